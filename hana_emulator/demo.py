"""`make demo`: the whole dev deployment rehearsed on the local AWS emulator, offline.

Starts `python -m deploy local` in the background, then runs the commands a user would type
(`all --local`, `status --local`, `all --local` again, `delete --local --yes`) and stops the
emulator. Exit status: 0 when every step did what it should, 1 otherwise.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .client import DEFAULT_PORT, URL_VARIABLE, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
STEPS = (
    ("deploy every dev stack, in dependency order", ["all", "--local"]),
    ("what is deployed, and the endpoints", ["status", "--local"]),
    ("deploy again: nothing changed, so nothing is done", ["all", "--local"]),
    ("delete the environment, in reverse order", ["delete", "--local", "--yes"]),
)


def _free_port() -> int:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", DEFAULT_PORT)) != 0:
            return DEFAULT_PORT
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _say(text: str = "") -> None:
    print(text, flush=True)


def main() -> int:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, URL_VARIABLE: url, "PYTHONUNBUFFERED": "1"}
    python = sys.executable
    _say("hana-infra demo: the dev environment deployed on a local AWS emulator (moto + our extensions).")
    _say(f"Nothing leaves this machine: every AWS call goes to {url} with dummy credentials.")
    _say()
    started = time.perf_counter()
    server = subprocess.Popen(
        [python, "-m", "deploy", "local", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    timings: list[tuple[str, float, int]] = []
    try:
        wait_until_up(url)
        _say(f"$ python -m deploy local --port {port} &        (emulator up in {time.perf_counter() - started:.1f} s)")
        for title, args in STEPS:
            _say()
            _say(f"# {title}")
            _say(f"$ python -m deploy {' '.join(args)}")
            t0 = time.perf_counter()
            code = subprocess.call([python, "-m", "deploy", *args], cwd=ROOT, env=env)
            timings.append((" ".join(args), time.perf_counter() - t0, code))
            if code != 0:
                _say(f"\ndemo failed: `python -m deploy {' '.join(args)}` exited with {code}")
                return 1
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            _, errors = server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            _, errors = server.communicate()
        if server.returncode not in (0, -signal.SIGTERM) and errors:
            _say(errors)
    _say()
    _say("Done. Wall time per step (each includes starting Python and the CLI):")
    for command, seconds, _ in timings:
        _say(f"  python -m deploy {command:<22} {seconds:5.1f} s")
    _say(f"  whole demo, emulator start to stop   {time.perf_counter() - started:5.1f} s")
    _say()
    _say("Try it yourself:  python -m deploy local          (one terminal; Ctrl-C stops it)")
    _say("                  python -m deploy all --local    (another; also plan, status, outputs, main, delete)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
