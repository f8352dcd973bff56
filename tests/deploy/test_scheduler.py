"""The dependency-graph scheduler: a stack starts as soon as its own upstream stacks are done
(not when a whole wave is), at most `concurrency` at a time; a failure skips what depends on it.
Run on a fake clock through the same `run_graph` loop the real deploy uses."""

from __future__ import annotations

import threading

import pytest

from deploy.engine.cfn import Outcome, Result
from deploy.engine.plan import FakeClock, Schedule, SimExecutor, ThreadExecutor, critical_path, run_graph

# a ─> c ─┐
# b ──────┴─> d        waves would be [a, b], [c], [d]: c would wait for b
ORDER = ["a", "b", "c", "d"]
DEPS = {"c": {"a"}, "d": {"b", "c"}}
DURATION = {"a": 10.0, "b": 30.0, "c": 10.0, "d": 5.0}


def simulate(durations, deps=DEPS, order=ORDER, concurrency=8, fail=()):
    clock = FakeClock()
    started: dict[str, float] = {}
    finished: dict[str, float] = {}

    def run(key: str) -> Result:
        started[key] = clock.now
        outcome = Outcome.FAILED if key in fail else Outcome.CREATED
        return Result(key, key, outcome)

    def on_finish(result: Result) -> None:
        finished[result.key] = clock.now

    results = run_graph(
        order,
        deps,
        run,
        concurrency=concurrency,
        executor=SimExecutor(clock, durations.__getitem__),
        on_finish=on_finish,
        on_skip=lambda k, why: Result(k, k, Outcome.SKIPPED, message=why),
    )
    return results, started, finished, clock.now


def test_a_stack_starts_when_its_own_dependencies_finish_not_its_wave():
    _, started, finished, total = simulate(DURATION)

    assert started == {"a": 0.0, "b": 0.0, "c": 10.0, "d": 30.0}
    assert started["c"] == finished["a"] < finished["b"]  # c did not wait for b
    assert started["d"] == max(finished["b"], finished["c"])


def test_the_total_is_the_critical_path():
    _, _, _, total = simulate(DURATION)
    assert total == critical_path(ORDER, DEPS, DURATION) == 35.0


def test_concurrency_limits_how_many_run_at_once():
    durations = {"x": 10.0, "y": 10.0, "z": 10.0}
    _, started, _, total = simulate(durations, deps={}, order=["x", "y", "z"], concurrency=2)
    assert sorted(started.values()) == [0.0, 0.0, 10.0]
    assert total == 20.0


def test_a_failure_skips_everything_downstream_and_running_stacks_finish():
    results, started, finished, _ = simulate(DURATION, fail={"a"})

    outcomes = {k: r.outcome for k, r in results.items()}
    assert outcomes == {"a": "failed", "b": "created", "c": "skipped", "d": "skipped"}
    assert results["c"].message == "a failed"
    assert results["d"].message == "c was skipped"
    assert finished["b"] == 30.0  # b was running when a failed, and finished
    assert "c" not in started and "d" not in started


def test_results_come_back_in_deploy_order():
    results, *_ = simulate(DURATION)
    assert list(results) == ORDER


@pytest.mark.parametrize("failed", ["a", "b", "c", "d"])
def test_every_stack_gets_exactly_one_outcome(failed):
    results, *_ = simulate(DURATION, fail={failed})
    assert sorted(results) == sorted(ORDER)


def test_schedule_treats_dependencies_outside_the_run_as_done():
    sched = Schedule(["c"], {"c": {"a"}})  # `stack c`: a exists already
    assert sched.ready() == ["c"]


def test_with_real_threads_c_starts_while_b_is_still_running():
    """b blocks until c has started: were c to wait for b (waves), b would time out and fail."""
    c_started = threading.Event()

    def run(key: str) -> Result:
        if key == "c":
            c_started.set()
        if key == "b" and not c_started.wait(timeout=5):
            return Result(key, key, Outcome.FAILED, message="c never started while b ran")
        return Result(key, key, Outcome.CREATED)

    executor = ThreadExecutor(4)
    try:
        results = run_graph(
            ORDER, DEPS, run, concurrency=4, executor=executor, on_skip=lambda k, w: Result(k, k, Outcome.SKIPPED)
        )
    finally:
        executor.shutdown()
    assert {k: r.outcome for k, r in results.items()} == dict.fromkeys(ORDER, Outcome.CREATED)
