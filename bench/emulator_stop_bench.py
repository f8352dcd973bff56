#!/usr/bin/env python3
"""Benchmark: how long `python -m deploy local` takes to exit after SIGTERM (issue #17: under 1 s).

Each run starts the emulator on a free loopback port, waits for its banner, sends SIGTERM and
times the wait until the process has exited (the orderly stop: message, state saved with
--state, server shut down, interpreter exit). `ROOT` (argument 1, default this checkout) says
whose code and `.venv` run, so an older checkout gives the before figure.
"""

from __future__ import annotations

import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one(root: Path) -> tuple[float, int]:
    process = subprocess.Popen(
        [str(root / ".venv" / "bin" / "python"), "-m", "deploy", "local", "--port", str(_free_port())],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("Ctrl-C stops it"):  # the banner's last line
            break
    time.sleep(0.2)  # settled: measure the stop, not a race with start-up
    start = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    return time.perf_counter() - start, process.returncode


def main() -> None:
    root = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    runs = [one(root) for _ in range(RUNS)]
    seconds = [s for s, _ in runs]
    codes = sorted({c for _, c in runs})
    print(
        f"SIGTERM to exit, {RUNS} runs ({root}): median {statistics.median(seconds):.2f} s, "
        f"min {min(seconds):.2f} s, max {max(seconds):.2f} s; exit codes {codes}"
    )


if __name__ == "__main__":
    main()
