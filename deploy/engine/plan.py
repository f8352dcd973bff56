"""Many stacks: the runs built on the dependency-graph scheduler (scheduler.py).

`Deployer` builds the runs the CLI offers: survey (every stack read and no-op checked up front,
in two parallel rounds of calls: snapshot.py), deploy (only the changed stacks and those downstream
of them enter the scheduler; parameters resolved from upstream outputs),
plan (change sets never executed), delete (the graph reversed), status and outputs. Ctrl-C
stops the waiting and raises `Interrupted` naming the stacks still changing in AWS.

Exported: RunReport, Survey, StackRow, Deployer, ecs_live_value, parse_overrides; and, from
scheduler.py, Schedule, run_graph, ThreadExecutor, SimExecutor, FakeClock, critical_path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deploy.engine import adopt as adopting
from deploy.engine import snapshot
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
from deploy.engine.scheduler import (  # re-exported: the scheduler lived here
    FakeClock,
    Schedule,
    SimExecutor,
    ThreadExecutor,
    critical_path,
    run_graph,
)
from deploy.engine.snapshot import Survey
from deploy.engine.stackops import StackOps
from deploy.errors import BadInput, DeployError, Interrupted

__all__ = [
    "Deployer",
    "FakeClock",
    "RunReport",
    "Schedule",
    "SimExecutor",
    "StackRow",
    "Survey",
    "ThreadExecutor",
    "critical_path",
    "ecs_live_value",
    "parse_overrides",
    "run_graph",
]

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


FOLLOW = "status"  # a run's `resume` when there is nothing to carry on, only a change to follow


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
        return snapshot.parallel(fn, keys)

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
        done: Mapping[str, Result] | None = None,
        started: float | None = None,
    ) -> RunReport:
        """Run `order` through the scheduler with progress; Ctrl-C -> Interrupted (saying to run
        `resume`, default `all` or `delete`, to carry on). `done`: stacks of `order` already known
        to be finished (the up-front no-op check): reported, never scheduled; `started`: when the
        run began (the survey's start), default now."""
        start = self.timing.clock() if started is None else started
        done = done or {}
        names = {k: (self.project.stack_name(k)) for k in order}
        self.reporter.begin(action, names, {k: frozenset(deps.get(k, ())) for k in order})
        for key, result in done.items():
            self.reporter.start(key)
            self.reporter.finish(key, result)
        executor = self.executor_factory(self.concurrency)
        try:
            results = (
                done
                if len(done) == len(order)
                else run_graph(
                    [k for k in order if k not in done],
                    deps,
                    run,
                    concurrency=self.concurrency,
                    executor=executor,
                    on_start=self.reporter.start,
                    on_finish=lambda r: self.reporter.finish(r.key, r),
                    on_skip=lambda k, why: Result(k, names[k], Outcome.SKIPPED, message=why),
                )
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
        results = {k: results[k] if k in results else done[k] for k in order}
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
        """`resume` "status": nothing to carry on (a rollout through the nested master: `main` would
        also deploy whatever else out/ holds), only an update to follow to its end."""
        again = f"`{self.project.command()} {'all' if resume == 'deploy' else resume}`"
        if not flying:
            if resume == FOLLOW:
                return "interrupted: nothing was changing in AWS; nothing was rolled out"
            return f"interrupted: nothing was changing in AWS; run {again} to carry on"
        changing = ", ".join(f"{name} ({status})" for name, status in flying.values())
        if resume == FOLLOW:
            return (
                f"interrupted: still changing in AWS (CloudFormation carries on without us): {changing}; "
                f"follow it with {again}: it finishes, or rolls back, by itself"
            )
        return (
            f"interrupted: still changing in AWS (CloudFormation carries on without us): {changing}; "
            f"resume with {again}: it waits for them, then carries on"
        )

    # --- deploy ------------------------------------------------------------------------------

    def survey(
        self,
        keys: list[str] | None = None,
        *,
        overrides: Mapping[str, str] | None = None,
        continue_rollback: bool = False,
    ) -> Survey:
        """What a deploy of `keys` would have to do, in two parallel rounds of reads (snapshot.py):
        every stack described, then every deployed one no-op checked against the outputs read.
        Refuses (DeployError) when the environment is deployed nested. Writes nothing."""
        started = self.timing.clock()
        order = self.project.order() if keys is None else [k for k in self.project.order() if k in keys]
        outside = sorted({u for k in order for u in self.project.upstream(k)} - set(order), key=self._rank)
        # Round 1: every stack this run reads or writes, and the nested master, in parallel.
        snap = snapshot.read(self.ops.describe, {k: self.project.stack_name(k) for k in [MAIN, *order, *outside]})
        self._refuse_if_nested(snap.live[MAIN])
        extra = (overrides or {}) if keys else None
        deps = {k: self.project.upstream(k) for k in order}

        # Round 2: the no-op check (a stack to be created, or left by a failed create, is no candidate).
        def request_now(key: str) -> Request | None:
            upstream = {u: outputs_of(snap.live[u]) for u in self.project.upstream(key) if snap.live.get(u)}
            try:
                return self._request(key, upstream, extra, continue_rollback)
            except DeployError:
                return None  # an output is missing: the scheduler's run says so

        same = snapshot.unchanged(order, snap.live, request_now, self.ops.is_unchanged)
        todo = snapshot.dirty(order, deps, same)
        done = {
            k: snapshot.unchanged_result(k, self.project.stack_name(k), snap.live[k]) for k in order if k not in todo
        }
        return Survey(
            order, outside, snap.live, todo, done, deps, keys, dict(overrides or {}), continue_rollback, started
        )

    def deploy(
        self,
        keys: list[str] | None = None,
        *,
        overrides: Mapping[str, str] | None = None,
        continue_rollback: bool = False,
        adopt: bool = False,
        kept: list[Any] | None = None,
        survey: Survey | None = None,
    ) -> RunReport:
        """Deploy `keys` (default: every stack). Upstream stacks outside `keys` must exist already:
        their outputs are read from AWS; inside the run, outputs pass from stack to stack.
        Resources the new stacks would create that exist already (kept by a delete) stop the run
        before anything is written; with `adopt` they are imported into the new stacks (adopt.py).
        Only the stacks the survey (taken here, or given: the same keys and options) found changed,
        and the stacks downstream of them, enter the scheduler. `kept`: the preflight's lookup of
        the kept resources (kept.find), so a deploy asks AWS once."""
        if survey is None:
            survey = self.survey(keys, overrides=overrides, continue_rollback=continue_rollback)
        keys, overrides, continue_rollback = survey.keys, survey.overrides, survey.continue_rollback
        order, outside, live = survey.order, survey.outside, survey.live
        existing = adopting.find_existing(self.project, self.aws, order, {k: live[k] for k in order}, kept)
        if existing and not adopt:
            raise DeployError(adopting.refusal(existing, self.project))
        restored = adopting.restore(self.aws, existing)
        outputs: dict[str, dict[str, str]] = {}
        if outside:
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
        extra = (overrides or {}) if keys else None
        deps = survey.deps
        done = survey.done
        outputs.update({k: r.outputs for k, r in done.items()})
        lock = threading.Lock()

        def run(key: str) -> Result:
            with lock:
                upstream = {u: outputs[u] for u in self.project.upstream(key)}
            try:
                request = self._request(key, upstream, extra, continue_rollback)
            except DeployError as err:
                return Result(key, self.project.stack_name(key), Outcome.FAILED, message=str(err))
            mine = [e for e in existing if e.stack == key and e.type in adopting.IMPORTABLE]
            if mine:
                request = adopting.with_imports(request, self.project.template(key), mine)
            result = self.ops.deploy(request)
            with lock:
                outputs[key] = result.outputs
            return result

        resume = f"stack {order[0]}" if keys and len(order) == 1 else "all"
        report = self.run("deploy", order, deps, run, resume=resume, done=done, started=survey.started)
        report.notes.extend(restored)
        return report

    def _rank(self, key: str) -> int:
        return self.project.order().index(key)

    def _refuse_if_nested(self, live: dict[str, Any] | None) -> None:
        main = self.project.stack_name(MAIN)
        if live is not None:
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
