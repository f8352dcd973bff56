#!/usr/bin/env python3
"""Benchmark the deployer (figures go in the README; not a test).

1. CLI start-up: `python -m deploy --help`, whole process (aim: under 0.3 s).
2. `deploy all` and the no-op re-run on the local AWS emulator (in this process):
   a. the real registry through the real CLI (`python -m deploy --endpoint-url ... all`), whole
      processes: what a user waits for;
   b. the four purpose-built test stacks (tests/deploy/templates.py) through the library.
3. The scheduler against the critical path, for given per-stack durations on the nine-stack
   graph of the contracts: dependency graph vs waves, and with the polling delay modelled, on a
   fake clock; then the real threaded runner with the durations scaled down.

moto needs the change-set Outputs shim; the emulator (hana_emulator/, issue #6) replaces it
when present.
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

# Typical CloudFormation create times (s) for the nine stacks, and the contract graph (CONTRACTS.md).
DURATIONS = {
    "network": 180.0,  # NAT gateways
    "storage": 30.0,
    "secrets": 20.0,
    "messaging": 25.0,
    "iam": 60.0,
    "database": 660.0,  # RDS + ElastiCache
    "compute": 300.0,  # ALB + ECS services stable
    "waf": 45.0,
    "observability": 30.0,
}
GRAPH = {
    "network": set(),
    "storage": set(),
    "secrets": set(),
    "messaging": set(),
    "iam": {"storage", "secrets", "messaging"},
    "database": {"network", "secrets", "iam"},
    "compute": {"network", "storage", "secrets", "messaging", "database", "iam"},
    "waf": {"compute"},
    "observability": {"compute", "database", "messaging"},
}


def cli_startup() -> None:
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "deploy", "--help"], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    print(
        f"CLI start-up, `python -m deploy --help`, {RUNS} runs: median {statistics.median(times):.3f} s, best {min(times):.3f} s"
    )


def start_server() -> tuple[object, str, str]:
    import logging
    import warnings

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.ERROR)  # "No Moto CloudFormation support for ..."
    warnings.filterwarnings("ignore", module="moto")
    import hana_emulator as emulator

    server = emulator.start(port=0)
    return server, server.url, "the local emulator (hana_emulator)"


def reset(url: str) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST", data=b""), timeout=10)  # noqa: S310


def cli_deploys(url: str) -> None:
    from hana_templates import registry

    with tempfile.TemporaryDirectory() as home:
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": home,
            "AWS_CONFIG_FILE": f"{home}/config",
            "AWS_SHARED_CREDENTIALS_FILE": f"{home}/credentials",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        cmd = [sys.executable, "-m", "deploy", "--endpoint-url", url, "all"]
        for label in ("deploy all (creates)", "deploy all again (no-op)"):
            t0 = time.perf_counter()
            run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - t0
            last = (run.stdout.strip().splitlines() or ["?"])[0]
            print(f"  {label:<26} {elapsed:6.2f} s  exit {run.returncode}  {last}")
            if run.returncode:
                print("    " + run.stderr.strip().splitlines()[-1])
    print(f"  (the registry holds {len(registry.STACKS)} stack(s): {', '.join(registry.order())})")


def library_deploys(url: str) -> None:
    import boto3

    from deploy.aws.session import Aws, Settings
    from deploy.engine.plan import Deployer
    from tests.deploy import templates as T
    from tests.deploy.conftest import write_project

    with tempfile.TemporaryDirectory() as tmp:
        project = write_project(Path(tmp), T.STACKS)
        session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
        aws = Aws(Settings(endpoint_url=url), "us-east-1", session=session)
        for label in ("deploy all (creates)", "deploy all again (no-op)"):
            t0 = time.perf_counter()
            report = Deployer(project, aws).deploy()
            outcomes = sorted({r.outcome.value for r in report.results.values()})
            print(f"  {label:<26} {time.perf_counter() - t0:6.2f} s  {len(report.results)} stacks {outcomes}")


BEFORE = {"poll_min": 1.0, "poll_max": 4.0, "poll_long": 4.0, "jitter": 0.0, "status_every": 1}  # until issue #18


def polled(duration: float, timing_kw: dict | None = None, seed: int = 0) -> tuple[float, int]:
    """When the poller notices a stack that took `duration` s, and how many API calls it made: polls
    from the start with the real Pacer on a fake clock (seeded jitter), events only in the first
    seconds (the slow case: no event resets the backoff before the end). A poll is one
    DescribeStackEvents, plus DescribeStacks on the first poll, every `status_every`-th poll and
    when the stack's own completion event arrives. Before issue #18 every poll made both calls."""
    import random as _random

    from deploy.engine.cfn import Pacer, Timing
    from deploy.engine.plan import FakeClock

    _random.seed(seed)
    clock = FakeClock()
    timing = Timing(clock=clock, sleep=lambda s: setattr(clock, "now", clock.now + s), **(timing_kw or {}))
    pacer = Pacer(timing, __import__("threading").Event())
    calls = polls = 0
    while True:
        described = polls % timing.status_every == 0 or clock.now >= duration
        calls += 1 + described
        polls += 1
        if clock.now >= duration:
            return clock.now, calls
        pacer.wait(changed=clock.now < 5.0)


def simulated(poll: bool, concurrency: int, timing_kw: dict | None = None) -> tuple[float, int]:
    """End-to-end time of the nine-stack create on a fake clock, and the API calls its waits made."""
    from deploy.engine.cfn import Outcome, Result
    from deploy.engine.plan import FakeClock, SimExecutor, run_graph

    calls = 0

    def noticed(key: str) -> float:
        nonlocal calls
        if not poll:
            return DURATIONS[key]
        at, made = polled(DURATIONS[key], timing_kw, seed=len(key))
        calls += made
        return at

    clock = FakeClock()
    order = list(DURATIONS)
    run_graph(
        order,
        GRAPH,
        lambda k: Result(k, k, Outcome.CREATED),
        concurrency=concurrency,
        executor=SimExecutor(clock, noticed),
        on_skip=lambda k, w: Result(k, k, Outcome.SKIPPED),
    )
    return clock.now, calls


def waves_total() -> float:
    from hana_templates import registry
    from hana_templates.spec import From, StackSpec

    specs = {
        k: StackSpec(k, k, inputs=tuple(From(u, "X") for u in sorted(deps)), outputs=("X",))
        for k, deps in GRAPH.items()
    }
    return sum(max(DURATIONS[k] for k in wave) for wave in registry.waves(specs))


def threaded(scale: float) -> tuple[float, float]:
    from deploy.engine.cfn import Outcome, Result
    from deploy.engine.plan import ThreadExecutor, critical_path, run_graph

    def run(key: str) -> Result:
        time.sleep(DURATIONS[key] * scale)
        return Result(key, key, Outcome.CREATED)

    executor = ThreadExecutor(9)
    t0 = time.perf_counter()
    run_graph(list(DURATIONS), GRAPH, run, concurrency=9, executor=executor, on_skip=lambda k, w: None)
    executor.shutdown()
    return time.perf_counter() - t0, critical_path(list(DURATIONS), GRAPH, DURATIONS) * scale


def longest_chain() -> list[str]:
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for key in DURATIONS:  # topological
        best = max(GRAPH[key], key=lambda d: finish[d], default=None)
        via[key] = best
        finish[key] = DURATIONS[key] + (finish[best] if best else 0.0)
    key: str | None = max(finish, key=finish.__getitem__)
    chain = []
    while key:
        chain.append(key)
        key = via[key]
    return chain[::-1]


def scheduler() -> None:
    from deploy.engine.cfn import Timing
    from deploy.engine.plan import critical_path

    cp = critical_path(list(DURATIONS), GRAPH, DURATIONS)
    poll_long = Timing().poll_long
    print("Scheduler, nine stacks with the contract graph and these create times (s):")
    print("  " + ", ".join(f"{k} {v:.0f}" for k, v in DURATIONS.items()))
    print(
        f"  critical path ({' -> '.join(longest_chain())}):{' ' * max(1, 35 - len(' -> '.join(longest_chain())))}{cp:7.1f} s"
    )
    print(f"  dependency graph, unlimited concurrency, no polling delay:    {simulated(False, 9)[0]:7.1f} s")
    for c in (9, 4):
        for label, kw in (("before #18 (1-4 s, 2 calls a poll)", BEFORE), ("now (2-5-10 s, jitter)", None)):
            total, calls = simulated(True, c, kw)
            print(
                f"  concurrency {c}, polling modelled, {label:<34} {total:7.1f} s (+{total - cp:.1f} s), "
                f"{calls} calls = {calls / total:.2f} calls/s"
            )
    print(f"  (the slow case: no event resets the backoff; the long cap now is {poll_long:.0f} s)")
    print(f"  waves (each wave waits for its slowest stack), for comparison: {waves_total():7.1f} s")
    real, scaled_cp = threaded(scale=0.002)
    print(
        f"  real threaded runner, durations x 0.002: {real:.3f} s against a critical path of {scaled_cp:.3f} s "
        f"(+{(real - scaled_cp) * 1000:.0f} ms scheduling overhead)"
    )


def main() -> None:
    cli_startup()
    server, url, what = start_server()
    try:
        print(f"On a local AWS API ({what}, {url}):")
        print(" the real registry through the CLI (whole processes):")
        cli_deploys(url)
        reset(url)
        print(" the four purpose-built test stacks through the library:")
        library_deploys(url)
    finally:
        server.stop()  # type: ignore[attr-defined]
    scheduler()


if __name__ == "__main__":
    main()
