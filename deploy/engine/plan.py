"""Many stacks: the dependency-graph scheduler and the runs built on it.

`Schedule` is the pure scheduling state: a stack is ready as soon as its *own* upstream stacks
have succeeded (a true graph, not waves), and a failure marks every stack that depends on it,
directly or not, as skipped. `run_graph` drives a Schedule with an executor: `ThreadExecutor`
(real runs, `concurrency` stacks at a time) or `SimExecutor` (a fake clock: tests and the
benchmark run the very same loop with given per-stack durations). Stacks already running when
another fails are left to finish.

`Deployer` builds the runs the CLI offers: deploy (parameters resolved from upstream outputs),
plan (change sets never executed), delete (the graph reversed), status and outputs. Ctrl-C
stops the waiting and raises `Interrupted` naming the stacks still changing in AWS.

Exported: Schedule, run_graph, ThreadExecutor, SimExecutor, FakeClock, critical_path,
RunReport, StackRow, Deployer, ecs_live_value.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deploy.engine import adopt as adopting
from deploy.engine.cfn import (
    USABLE,
    Api,
    CredentialsExpired,
    Outcome,
    Pacer,
    Preview,
    Request,
    Result,
    Timing,
    Unreachable,
    outputs_of,
)
from deploy.engine.project import MAIN, Project
from deploy.engine.reporting import NullReporter, Reporter
from deploy.engine.stackops import StackOps
from deploy.errors import BadInput, DeployError, Interrupted

# --- the scheduler -----------------------------------------------------------------------------


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


# --- runs -----------------------------------------------------------------------------------


@dataclass
class RunReport:
    action: str
    results: dict[str, Result]
    elapsed: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.outcome.ok for r in self.results.values())


@dataclass
class StackRow:
    key: str
    name: str
    description: str
    status: str | None = None  # None: not deployed
    updated: datetime | None = None
    protected: bool = False
    outputs: dict[str, str] = field(default_factory=dict)


def ecs_live_value(
    aws: Any, project: Project, timing: Timing | None = None, cancel: threading.Event | None = None
) -> Callable[[str, dict[str, str]], str | None]:
    """For `<X>DesiredCount` on a stack update: the count the service runs now, read from ECS by
    its name (counts.py), for the compute stack and the nested master alike; the template's
    default for a service that does not exist yet; `CountUnreadable` (the update stops) when it
    exists but cannot be read. None for every other parameter (-> UsePreviousValue)."""
    from deploy.engine import counts

    timing = timing or Timing()
    cancel = cancel or threading.Event()
    defaults = {p.name: p.default for spec in project.stacks.values() for p in spec.deploy_parameters}

    def value(parameter: str, outputs: dict[str, str]) -> str | None:
        key = counts.service_of(project.cfg, parameter)
        if key is None or parameter not in defaults:
            return None
        call = Api(aws.client("ecs"), Pacer(timing, cancel), timing.throttle_attempts)
        return counts.desired_count(call, counts.Target.of(project.cfg), key, defaults[parameter], parameter)

    return value


class Deployer:
    def __init__(
        self,
        project: Project,
        aws: Any,
        reporter: Reporter | None = None,
        timing: Timing | None = None,
        concurrency: int = 4,
        executor_factory: Callable[[int], Any] = ThreadExecutor,
    ):
        self.project = project
        self.aws = aws
        self.reporter = reporter or NullReporter()
        # The emulator on loopback keeps short polls (no shared quota there); AWS gets watch.py's policy.
        self.timing = timing or (
            Timing.local() if getattr(getattr(aws, "settings", None), "local", False) else Timing()
        )
        self.concurrency = concurrency
        self.executor_factory = executor_factory
        self.cancel = threading.Event()
        self.ops = StackOps(
            aws.client("cloudformation"),
            self.reporter,
            self.timing,
            self.cancel,
            live_value=ecs_live_value(aws, project, self.timing, self.cancel),
            upload=self._upload,
        )

    # --- helpers ---------------------------------------------------------------------------

    def _upload(self, key: str, body: str) -> str:
        """A template too big to send inline: into the template bucket; its TemplateURL."""
        from deploy.engine.nested import upload_one

        return upload_one(self.aws, self.project, key, body)

    def find_nested(self) -> bool:
        """A nested deployment (`hana-<env>` exists): the project's stack names become its children's."""
        from deploy.engine.nested import find_children

        return find_children(self)

    @property
    def protected(self) -> bool:
        """Stacks of this environment carry termination protection (prod)."""
        return self.project.cfg.termination_protection

    def _request(
        self,
        key: str,
        upstream: Mapping[str, dict[str, str]],
        overrides: Mapping[str, str] | None = None,
        continue_rollback: bool = False,
    ) -> Request:
        spec = self.project.stacks[key]
        params: dict[str, str] = {}
        for i in spec.inputs:
            outputs = upstream.get(i.stack, {})
            if i.output not in outputs:
                raise DeployError(
                    f"{self.project.stack_name(i.stack)} has no output {i.output}, which {key} needs: "
                    f"redeploy it (`{self.project.command()} stack {i.stack}`)"
                )
            params[i.parameter] = outputs[i.output]
        params.update(overrides or {})
        return Request(
            key=key,
            name=self.project.stack_name(key),
            body=self.project.body(key),
            parameters=params,
            defaults=self.project.parameter_defaults(key),
            keep_live=tuple(p.name for p in spec.deploy_parameters),
            tags=self.project.tags(key),
            termination_protection=self.protected,
            continue_rollback=continue_rollback,
            command=self.project.command(),
        )

    def _parallel(self, fn: Callable[[str], Any], keys: list[str]) -> dict[str, Any]:
        with ThreadPoolExecutor(max_workers=min(8, max(1, len(keys)))) as pool:
            return dict(zip(keys, pool.map(fn, keys), strict=True))

    def live(self, keys: list[str]) -> dict[str, dict[str, Any] | None]:
        """describe_stacks for each key (in parallel); None for a stack that does not exist."""
        return self._parallel(lambda k: self.ops.describe(self.project.stack_name(k)), keys)

    def run(
        self,
        action: str,
        order: list[str],
        deps: Mapping[str, Iterable[str]],
        run: Callable[[str], Result],
        resume: str | None = None,
    ) -> RunReport:
        """Run `order` through the scheduler with progress; Ctrl-C -> Interrupted (saying to run
        `resume`, default `all` or `delete`, to carry on)."""
        start = self.timing.clock()
        names = {k: (self.project.stack_name(k)) for k in order}
        self.reporter.begin(action, names, {k: frozenset(deps.get(k, ())) for k in order})
        executor = self.executor_factory(self.concurrency)
        try:
            results = run_graph(
                order,
                deps,
                run,
                concurrency=self.concurrency,
                executor=executor,
                on_start=self.reporter.start,
                on_finish=lambda r: self.reporter.finish(r.key, r),
                on_skip=lambda k, why: Result(k, names[k], Outcome.SKIPPED, message=why),
            )
        except KeyboardInterrupt:
            self.interrupt()
            executor.shutdown(grace=2.0)
            flying = dict(self.ops.in_flight)  # exact: nothing can start after interrupt()
            self.reporter.close()
            raise Interrupted(self._interrupted_message(resume or action, flying)) from None
        except Unreachable as lost:
            self.interrupt()
            executor.shutdown(grace=0.5)
            flying = dict(self.ops.in_flight)
            self.reporter.close()
            if isinstance(lost, CredentialsExpired):
                raise CredentialsExpired(self._expired_message(str(lost), resume or action, flying)) from None
            raise Unreachable(self._lost_message(str(lost), resume or action, flying)) from None
        except BaseException:
            self.cancel.set()
            executor.shutdown()
            self.reporter.close()
            raise
        executor.shutdown()
        self.reporter.close()
        return RunReport(action, results, self.timing.clock() - start)

    def interrupt(self) -> None:
        """Ctrl-C: wait for the calls starting work in AWS at this moment, refuse every new one (no
        change set is created or executed after this returns), and stop every wait."""
        self.ops.gate.close()
        self.cancel.set()

    def _lost_message(self, lost: str, resume: str, flying: dict[str, tuple[str, str]]) -> str:
        again = f"`{self.project.command()} {'all' if resume == 'deploy' else resume}`"
        if not flying:
            return f"{lost}; nothing was changing in AWS; run {again} when it answers again"
        changing = ", ".join(f"{name} ({status})" for name, status in flying.values())
        return f"{lost}; in flight when it stopped answering: {changing}; run {again} when it answers again"

    def _expired_message(self, why: str, resume: str, flying: dict[str, tuple[str, str]]) -> str:
        """Credentials that stopped working mid-run: an interruption, not a failure of the stacks."""
        from deploy.aws.session import LOGIN_HINT

        again = f"`{self.project.command()} {'all' if resume == 'deploy' else resume}`"
        profile = getattr(self.aws, "profile", None) or "NAME"
        login = f"`{self.project.command()} {LOGIN_HINT.removeprefix('python -m deploy ').format(profile=profile)}`"
        changing = (
            "still changing in AWS (CloudFormation carries on without us): "
            + ", ".join(f"{name} ({status})" for name, status in flying.values())
            if flying
            else "nothing was changing in AWS"
        )
        return f"{why}; {changing}; sign in again with {login}, then resume with {again}"

    def _interrupted_message(self, resume: str, flying: dict[str, tuple[str, str]]) -> str:
        again = f"`{self.project.command()} {'all' if resume == 'deploy' else resume}`"
        if not flying:
            return f"interrupted: nothing was changing in AWS; run {again} to carry on"
        changing = ", ".join(f"{name} ({status})" for name, status in flying.values())
        return (
            f"interrupted: still changing in AWS (CloudFormation carries on without us): {changing}; "
            f"resume with {again}: it waits for them, then carries on"
        )

    # --- deploy ------------------------------------------------------------------------------

    def deploy(
        self,
        keys: list[str] | None = None,
        *,
        overrides: Mapping[str, str] | None = None,
        continue_rollback: bool = False,
        adopt: bool = False,
    ) -> RunReport:
        """Deploy `keys` (default: every stack). Upstream stacks outside `keys` must exist already:
        their outputs are read from AWS; inside the run, outputs pass from stack to stack.
        Resources the new stacks would create that exist already (kept by a delete) stop the run
        before anything is written; with `adopt` they are imported into the new stacks (adopt.py)."""
        order = self.project.order() if keys is None else [k for k in self.project.order() if k in keys]
        self._refuse_if_nested()
        existing = adopting.find_existing(self.project, self.aws, order, self.live(order))
        if existing and not adopt:
            raise DeployError(adopting.refusal(existing, self.project))
        restored = adopting.restore(self.aws, existing)
        outputs: dict[str, dict[str, str]] = {}
        outside = sorted({u for k in order for u in self.project.upstream(k)} - set(order), key=self._rank)
        if outside:
            live = self.live(outside)
            unusable = [k for k in outside if live[k] is not None and live[k]["StackStatus"] not in USABLE]
            if unusable:  # deployed, but in a state whose outputs cannot be trusted: say which state
                k = unusable[0]
                raise DeployError(
                    f"{', '.join(self.project.stack_name(o) for o in order)} needs {self.project.stack_name(k)}, "
                    f"which is {live[k]['StackStatus']}: bring it back first (`{self.project.command()} stack {k}"
                    f"{' --continue-rollback' if live[k]['StackStatus'] == 'UPDATE_ROLLBACK_FAILED' else ''}`)"
                )
            missing = [k for k in outside if live[k] is None]
            if missing:
                verb = "is" if len(missing) == 1 else "are"
                raise DeployError(
                    f"{', '.join(self.project.stack_name(k) for k in order)} needs "
                    f"{', '.join(self.project.stack_name(k) for k in missing)}, which {verb} not deployed: "
                    f"deploy {'it' if len(missing) == 1 else 'them'} first "
                    f"(`{self.project.command()} stack {missing[0]}`, or `{self.project.command()} all`)"
                )
            outputs.update({k: outputs_of(live[k]) for k in outside})
        lock = threading.Lock()

        def run(key: str) -> Result:
            with lock:
                upstream = {u: outputs[u] for u in self.project.upstream(key)}
            try:
                request = self._request(key, upstream, (overrides or {}) if keys else None, continue_rollback)
            except DeployError as err:
                return Result(key, self.project.stack_name(key), Outcome.FAILED, message=str(err))
            mine = [e for e in existing if e.stack == key]
            if mine:
                request = adopting.with_imports(request, self.project.template(key), mine)
            result = self.ops.deploy(request)
            with lock:
                outputs[key] = result.outputs
            return result

        deps = {k: self.project.upstream(k) for k in order}
        resume = f"stack {order[0]}" if keys and len(order) == 1 else "all"
        report = self.run("deploy", order, deps, run, resume=resume)
        report.notes.extend(restored)
        return report

    def _rank(self, key: str) -> int:
        return self.project.order().index(key)

    def _refuse_if_nested(self) -> None:
        main = self.project.stack_name(MAIN)
        if self.ops.describe(main) is not None:
            raise DeployError(
                f"environment {self.project.env} is deployed as the nested stack {main} "
                f"(`{self.project.command()} main`); deploying the separate stacks too would create every "
                "resource twice"
            )

    # --- plan ----------------------------------------------------------------------------

    def plan(self, keys: list[str] | None = None) -> list[Preview]:
        """What deploy would change, per stack, using the live outputs of upstream stacks. In a nested
        deployment, per child: the change sets are created on the children (never executed)."""
        self.find_nested()
        order = self.project.order() if keys is None else [k for k in self.project.order() if k in keys]
        needed = sorted(set(order) | {u for k in order for u in self.project.upstream(k)}, key=self._rank)
        live = self.live(needed)

        def one(key: str) -> Preview:
            resources = self.project.template(key).get("Resources") or {}
            missing = [u for u in sorted(self.project.upstream(key), key=self._rank) if live[u] is None]
            if missing and live[key] is not None:
                return Preview(key, self.project.stack_name(key), "blocked", message=f"{missing[0]} is not deployed")
            if live[key] is None:
                request = Request(key, self.project.stack_name(key), self.project.body(key), {}, {})
                return self.ops.preview(request, resources)
            upstream = {u: outputs_of(live[u]) for u in self.project.upstream(key)}
            try:
                request = self._request(key, upstream)
            except DeployError as err:
                return Preview(key, self.project.stack_name(key), "blocked", message=str(err))
            return self.ops.preview(request, resources)

        return list(self._parallel(one, order).values())

    # --- delete --------------------------------------------------------------------------

    def delete(self, *, allow_protected: bool = False, retain: tuple[str, ...] = ()) -> RunReport:
        """Delete every stack, each after the stacks that read its outputs (the graph reversed);
        the nested stack `hana-<env>` first when it exists."""
        order = list(reversed(self.project.order()))
        deps = {k: self.project.downstream(k) for k in order}
        command = self.project.command()
        if self.ops.describe(self.project.stack_name(MAIN)) is not None:
            order = [MAIN, *order]
            deps = {k: v | {MAIN} for k, v in deps.items()}
            deps[MAIN] = frozenset()
        return self.run(
            "delete",
            order,
            deps,
            lambda k: self.ops.delete(k, self.project.stack_name(k), allow_protected, command, retain),
        )

    # --- status and outputs ----------------------------------------------------------------

    def status(self) -> list[StackRow]:
        self.find_nested()
        keys = self.project.order()
        live = self.live([*keys, MAIN])
        rows = []
        for key in [*keys, MAIN]:
            stack = live[key]
            if key == MAIN and stack is None:
                continue
            desc = self.project.stacks[key].description if key in self.project.stacks else "nested master stack"
            row = StackRow(key, self.project.stack_name(key), desc)
            if stack is not None:
                row.status = stack["StackStatus"]
                row.updated = stack.get("LastUpdatedTime") or stack.get("CreationTime")
                row.protected = bool(stack.get("EnableTerminationProtection"))
                row.outputs = outputs_of(stack)
            rows.append(row)
        return rows

    def outputs(self, keys: list[str] | None = None) -> dict[str, dict[str, str] | None]:
        self.find_nested()
        keys = self.project.order() if keys is None else keys
        live = self.live(keys)
        return {k: (outputs_of(live[k]) if live[k] is not None else None) for k in keys}


def parse_overrides(pairs: Iterable[str], project: Project, key: str) -> dict[str, str]:
    """`--parameter ImageTag=abc` -> {"ImageTag": "abc"}; only the stack's deploy-time parameters."""
    allowed = [p.name for p in project.stacks[key].deploy_parameters]
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise BadInput(f"--parameter {pair!r}: expected NAME=VALUE")
        if name not in allowed:
            choices = ", ".join(allowed) if allowed else "none"
            raise BadInput(
                f"--parameter {name}: {key} has no such deploy-time parameter (its inputs come from upstream "
                f"outputs); allowed: {choices}"
            )
        values[name] = value
    return values
