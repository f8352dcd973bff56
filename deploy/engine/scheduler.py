"""The dependency-graph scheduler: which stack may start when, and the executors that run them.

`Schedule` is the pure scheduling state: a stack is ready as soon as its *own* upstream stacks
have succeeded (a true graph, not waves), and a failure marks every stack that depends on it,
directly or not, as skipped. `run_graph` drives a Schedule with an executor: `ThreadExecutor`
(real runs, `concurrency` stacks at a time) or `SimExecutor` (a fake clock: tests and the
benchmark run the very same loop with given per-stack durations). Stacks already running when
another fails are left to finish. (Split from plan.py, which re-exports these names.)

Exported: Schedule, run_graph, ThreadExecutor, SimExecutor, FakeClock, critical_path.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from deploy.engine.cfn import Result


class Schedule:
    """Which stacks may start now. Dependencies outside `order` count as satisfied (they exist already)."""

    def __init__(self, order: Iterable[str], deps: Mapping[str, Iterable[str]]):
        self.order = list(order)
        members = set(self.order)
        self.deps = {k: frozenset(deps.get(k, ())) & members for k in self.order}
        self.pending = list(self.order)
        self.running: set[str] = set()
        self.ok: set[str] = set()
        self.failed: set[str] = set()
        self.skipped: dict[str, str] = {}

    def ready(self) -> list[str]:
        return [k for k in self.pending if self.deps[k] <= self.ok]

    def start(self, key: str) -> None:
        self.pending.remove(key)
        self.running.add(key)

    def finish(self, key: str, ok: bool) -> dict[str, str]:
        """Record the outcome of `key`; returns the stacks this skips (key -> reason)."""
        self.running.discard(key)
        (self.ok if ok else self.failed).add(key)
        newly: dict[str, str] = {}
        changed = not ok
        while changed:
            changed = False
            for k in list(self.pending):
                blockers = sorted(self.deps[k] & (self.failed | set(self.skipped)))
                if blockers:
                    b = blockers[0]
                    reason = f"{b} failed" if b in self.failed else f"{b} was skipped"
                    self.pending.remove(k)
                    self.skipped[k] = newly[k] = reason
                    changed = True
        return newly

    @property
    def finished(self) -> bool:
        return not self.pending and not self.running


class ThreadExecutor:
    """Runs each stack in a worker thread; `wait_any` wakes often so Ctrl-C reaches the main thread."""

    def __init__(self, workers: int):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stack")
        self.futures: dict[Future, str] = {}

    def submit(self, key: str, fn: Callable[[], Any]) -> None:
        self.futures[self.pool.submit(fn)] = key

    def wait_any(self) -> list[tuple[str, Any]]:
        done, _ = wait(list(self.futures), timeout=0.25, return_when=FIRST_COMPLETED)
        finished = []
        for fut in done:
            key = self.futures.pop(fut)
            err = fut.exception()
            finished.append((key, err if err is not None else fut.result()))
        return finished

    def shutdown(self, grace: float = 0.0) -> None:
        if grace and self.futures:
            wait(list(self.futures), timeout=grace)
        self.pool.shutdown(wait=False, cancel_futures=True)


class FakeClock:
    def __init__(self, now: float = 0.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class SimExecutor:
    """Runs stacks on a fake clock: `fn` runs at submit time (it can read the clock: that is its start),
    and the stack completes `duration(key)` later; `wait_any` advances the clock to the next completion."""

    def __init__(self, clock: FakeClock, duration: Callable[[str], float]):
        self.clock = clock
        self.duration = duration
        self._heap: list[tuple[float, int, str, Any]] = []
        self._seq = itertools.count()

    def submit(self, key: str, fn: Callable[[], Any]) -> None:
        heapq.heappush(self._heap, (self.clock.now + self.duration(key), next(self._seq), key, fn()))

    def wait_any(self) -> list[tuple[str, Any]]:
        at, _, key, result = heapq.heappop(self._heap)
        self.clock.now = max(self.clock.now, at)
        return [(key, result)]

    def shutdown(self, grace: float = 0.0) -> None:
        self._heap.clear()


def run_graph(
    order: Iterable[str],
    deps: Mapping[str, Iterable[str]],
    run: Callable[[str], Result],
    *,
    concurrency: int,
    executor: Any,
    on_start: Callable[[str], None] = lambda key: None,
    on_finish: Callable[[Result], None] = lambda result: None,
    on_skip: Callable[[str, str], Result],
) -> dict[str, Result]:
    """Run every stack of `order`, each as soon as its own dependencies succeeded, at most
    `concurrency` at a time (ready stacks start in `order`). Returns key -> Result."""
    sched = Schedule(order, deps)
    results: dict[str, Result] = {}
    while not sched.finished:
        for key in sched.ready():
            if len(sched.running) >= concurrency:
                break
            sched.start(key)
            on_start(key)
            executor.submit(key, lambda key=key: run(key))
        if not sched.running:
            raise AssertionError(f"nothing can start: {sched.pending}")  # a cycle; the registry forbids it
        for key, value in executor.wait_any():
            if isinstance(value, BaseException):
                raise value
            results[key] = value
            on_finish(value)
            for skipped, reason in sched.finish(key, value.outcome.ok).items():
                results[skipped] = on_skip(skipped, reason)
                on_finish(results[skipped])
    return {k: results[k] for k in sched.order}


def critical_path(order: Iterable[str], deps: Mapping[str, Iterable[str]], duration: Mapping[str, float]) -> float:
    """The longest chain of durations through the graph: no schedule can finish sooner."""
    finish: dict[str, float] = {}
    for key in order:  # `order` is topological
        finish[key] = duration[key] + max((finish[d] for d in deps.get(key, ()) if d in finish), default=0.0)
    return max(finish.values(), default=0.0)
