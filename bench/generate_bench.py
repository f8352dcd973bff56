#!/usr/bin/env python3
"""Benchmark: how long generating every environment takes (target: under one second).

Measures, in one fresh process each: the whole `python generate.py --out TMP` command
(start-up, imports, build, render, write), and in-process the build+render of all
environments after imports (best and median of several runs).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = 7


def main() -> None:
    from hana_templates import config
    from hana_templates.render import render_environment

    cli = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(RUNS):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "generate.py", "--out", tmp], cwd=ROOT, check=True, capture_output=True)
            cli.append(time.perf_counter() - t0)
    inproc = []
    files = 0
    for _ in range(RUNS):
        t0 = time.perf_counter()
        files = sum(len(render_environment(cfg)) for cfg in config.ENVIRONMENTS.values())
        inproc.append(time.perf_counter() - t0)
    envs = ", ".join(config.ENVIRONMENTS)
    print(f"generate.py, all environments ({envs}; {files} templates), {RUNS} runs:")
    print(f"  whole command (process start to exit): median {statistics.median(cli):.3f} s, best {min(cli):.3f} s")
    print(
        f"  build + render in-process:             median {statistics.median(inproc):.3f} s, best {min(inproc):.3f} s"
    )


if __name__ == "__main__":
    main()
