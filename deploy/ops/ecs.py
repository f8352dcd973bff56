"""The three ECS services: their state, waiting until they are stable (with progress), scaling
(alongside Application Auto Scaling, never against it), restarting, and ECS Exec.

Names: the cluster `hana-<env>` and the services `hana-<env>-<service>` come from naming.py
(through engine/counts.py's `Target`, which the deployer reads live desired counts with), the same
place the compute stack takes them from, so these commands need no stack lookup and work however
compute was deployed. A missing cluster or service says to deploy compute.

Stable means what the `services_stable` waiter means, plus the rollout: the service is ACTIVE,
has one deployment, runs as many tasks as it wants with none pending, and that deployment's
rollout (if ECS reports one) is COMPLETED. A rollout ECS marks FAILED (the circuit breaker) stops
the wait with ECS's reason. After our own UpdateService (`scale`, `restart`), an answer counts
only once it shows that update (`Expect`: the PRIMARY deployment UpdateService returned, the
desired count it set): ECS is eventually consistent, and its first answers can still show the old
deployment, stable, or the old count. After a stack update (push), an answer counts once the
service names the task definition revision the stack names (`expect_task_definitions`).

Scaling and CloudFormation: `scale` calls UpdateService. The compute stack's `<X>DesiredCount`
parameters do not fight it: on every stack update the deployer passes the count each service
runs now, read by name from ECS (engine/counts.py). Where a service has a scalable target (prod),
the target's range is moved first (`count`..max, or 0..0 to stop), otherwise Application Auto
Scaling would undo the new count at its next evaluation. CloudFormation rewrites that range only
when the ScalableTarget's own properties change in the template; `scale --count <config min>`
puts the configured range back.

Exported: SERVICES, Target, ServiceState, Expect, Range, ScaleResult, describe, wait_stable,
expect_task_definitions, check_count, allowed_counts, scale, restart, readers_running, TaskRef,
find_task, exec_session.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from deploy.engine.cfn import Pacer, error_code
from deploy.engine.counts import Target
from deploy.engine.reporting import fmt_elapsed
from deploy.errors import BadInput, DeployError, Interrupted
from deploy.ops.context import Ops
from hana_templates.config import EnvConfig

SERVICES = ("api", "ws", "workers")
DIMENSION = "ecs:service:DesiredCount"
# session-manager-plugin versions above this read the session from an environment variable
# (the AWS CLI's rule), so the session token stays off the command line.
_PLUGIN_ENV_SINCE = (1, 2, 497, 0)
_PLUGIN_ENV = "AWS_SSM_START_SESSION_RESPONSE"


@dataclass
class ServiceState:
    key: str
    name: str
    status: str
    desired: int
    running: int
    pending: int
    task_definition: str
    deployments: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # newest first, as ECS lists them

    @classmethod
    def from_api(cls, key: str, svc: dict[str, Any]) -> ServiceState:
        return cls(
            key=key,
            name=svc["serviceName"],
            status=svc.get("status", ""),
            desired=int(svc.get("desiredCount") or 0),
            running=int(svc.get("runningCount") or 0),
            pending=int(svc.get("pendingCount") or 0),
            task_definition=svc.get("taskDefinition") or "",
            deployments=list(svc.get("deployments") or []),
            events=list(svc.get("events") or []),
        )

    @property
    def revision(self) -> str:
        """`hana-dev-api:8` from the task definition ARN."""
        return self.task_definition.rsplit("/", 1)[-1]

    @property
    def rollout(self) -> str | None:
        for d in self.deployments:
            if d.get("status") == "PRIMARY":
                return d.get("rolloutState")
        return None

    @property
    def primary_id(self) -> str | None:
        for d in self.deployments:
            if d.get("status") == "PRIMARY":
                return d.get("id")
        return None

    @property
    def failure(self) -> str | None:
        """ECS's reason when it stopped a rollout (deployment circuit breaker)."""
        return self.failure_of(None)

    def failure_of(self, deployment: str | None) -> str | None:
        """ECS's reason when it stopped the rollout of `deployment` (None: of any deployment)."""
        for d in self.deployments:
            if d.get("rolloutState") == "FAILED" and deployment in (None, d.get("id")):
                return " ".join((d.get("rolloutStateReason") or "the deployment failed").split())
        return None

    @property
    def stable(self) -> bool:
        return (
            self.status == "ACTIVE"
            and len(self.deployments) <= 1
            and self.running == self.desired
            and self.pending == 0
            and self.rollout in (None, "COMPLETED")
        )

    def summary(self) -> str:
        if self.running == self.desired:
            text = f"{self.running}/{self.desired} running"
        else:
            text = f"{self.running} running, desired {self.desired}"
        if self.pending:
            text += f", {self.pending} pending"
        if len(self.deployments) > 1:
            text += f", {len(self.deployments)} deployments"
        if self.rollout and self.rollout != "COMPLETED":
            text += f", rollout {self.rollout.lower().replace('_', ' ')}"
        return text


@dataclass(frozen=True)
class Expect:
    """What a wait after UpdateService waits to *see* before it believes an answer: the PRIMARY
    deployment UpdateService answered with (its id) and, for `scale`, the desired count it set.
    ECS is eventually consistent: "the result of an API command you run that affects your Amazon
    ECS resources might not be immediately visible to all subsequent commands you run" (Amazon ECS
    API reference, e.g. RunTask / UpdateService: eventual consistency), so the first
    DescribeServices answers can still show the old deployment, stable, or the old count."""

    deployment: str | None = None
    desired: int | None = None
    # After a stack update: the revision the stack names now, as the service's taskDefinition (the
    # service-level field: with `stable` (one deployment, COMPLETED) that deployment runs it).
    task_definition: str | None = None

    @classmethod
    def of(cls, reply: dict[str, Any], desired: int | None = None) -> Expect:
        """From UpdateService's answer (`{"service": {...}}`)."""
        service = reply.get("service") or {}
        primary = next((d for d in service.get("deployments") or [] if d.get("status") == "PRIMARY"), None)
        return cls(primary.get("id") if primary else None, desired)

    def seen_in(self, st: ServiceState) -> bool:
        """This answer already reflects the update: our deployment is the PRIMARY one, and the
        desired count is the one we set."""
        if self.deployment is not None and st.primary_id != self.deployment:
            return False
        if self.task_definition is not None and st.task_definition != self.task_definition:
            return False
        return self.desired is None or st.desired == self.desired


def describe(ops: Ops, keys: Iterable[str]) -> dict[str, ServiceState]:
    """The services' state; DeployError saying to deploy compute when the cluster or a service is missing."""
    from botocore.exceptions import ClientError

    target = Target.of(ops.cfg)
    keys = list(keys)
    try:
        reply = ops.client("ecs").describe_services(cluster=target.cluster, services=[target.name(k) for k in keys])
    except ClientError as err:
        if error_code(err) == "ClusterNotFoundException":
            raise DeployError(_not_deployed(ops, f"the ECS cluster {target.cluster} does not exist")) from None
        raise
    by_name = {s["serviceName"]: s for s in reply.get("services") or []}
    states = {}
    for key in keys:
        svc = by_name.get(target.name(key))
        if svc is None or svc.get("status") == "INACTIVE":
            raise DeployError(_not_deployed(ops, f"the ECS service {target.name(key)} does not exist"))
        states[key] = ServiceState.from_api(key, svc)
    return states


def _not_deployed(ops: Ops, what: str) -> str:
    return f"{what} in {ops.region}: deploy the compute stack first (`{ops.command} stack compute`)"


def wait_stable(
    ops: Ops,
    keys: Iterable[str],
    baseline: dict[str, ServiceState] | None = None,
    expect: dict[str, Expect] | None = None,
) -> dict[str, ServiceState]:
    """Poll until every service in `keys` is stable, printing what changes (counts, rollout, and
    the service events ECS adds after `baseline`). With `expect` (after UpdateService), an answer
    counts only once it shows the update: the PRIMARY deployment UpdateService returned (every
    answer) and the desired count it set (once seen: autoscaling may move it on). DeployError on a
    failed rollout or the timeout; Ctrl-C stops the waiting (ECS carries on) with one line."""
    keys = list(keys)
    expect = expect or {}
    seen = {k: {e.get("id") for e in (baseline or {}).get(k, _EMPTY).events} for k in keys}
    counted: set[str] = {k for k in keys if expect.get(k, _NO_EXPECT).desired is None}
    shown: dict[str, str] = {}
    pacer = Pacer(ops.timing, ops.cancel)
    start = ops.clock()
    deadline = start + ops.timing.timeout
    width = max(len(k) for k in keys) if keys else 6
    states: dict[str, ServiceState] = {}
    fresh: dict[str, bool] = {}
    try:
        while True:
            states = describe(ops, keys)
            changed = False
            stamp = f"[{fmt_elapsed(ops.clock() - start):>6}]"
            for key, st in states.items():
                exp = expect.get(key, _NO_EXPECT)
                if exp.desired is not None and st.desired == exp.desired:
                    counted.add(key)
                fresh[key] = key in counted and Expect(exp.deployment, None, exp.task_definition).seen_in(st)
                for event in reversed(st.events):
                    if event.get("id") not in seen[key]:
                        seen[key].add(event.get("id"))
                        if baseline is not None:  # without a baseline, old events are history
                            ops.emit(f"{stamp} {key:<{width}}  {' '.join(str(event.get('message', '')).split())}")
                            changed = True
                line = _line(st, exp, fresh[key])
                if shown.get(key) != line:
                    shown[key] = line
                    ops.emit(f"{stamp} {key:<{width}}  {line}")
                    changed = True
                failure = st.failure_of(exp.deployment)
                if failure:
                    raise DeployError(
                        f"{st.name}: ECS stopped the rollout: {failure} (the circuit breaker rolls back to the "
                        f"previous task definition); see `{ops.command} logs {key}`"
                    )
            if all(fresh[k] and st.stable for k, st in states.items()):
                return states
            if ops.clock() > deadline:
                waiting = ", ".join(
                    f"{k} {_line(st, expect.get(k, _NO_EXPECT), fresh[k])}"
                    for k, st in states.items()
                    if not (fresh[k] and st.stable)
                )
                raise DeployError(
                    f"gave up waiting after {fmt_elapsed(ops.timing.timeout)}: {waiting}; ECS carries on, "
                    f"see `{ops.command} logs {next(k for k, st in states.items() if not (fresh[k] and st.stable))}`"
                )
            pacer.wait(changed=changed)
    except KeyboardInterrupt:
        waiting = ", ".join(f"{k} {st.summary()}" for k, st in states.items() if not (fresh.get(k, True) and st.stable))
        raise Interrupted(
            f"stopped waiting: ECS carries on with the change{f' ({waiting})' if waiting else ''}"
        ) from None


def _line(st: ServiceState, exp: Expect, fresh: bool) -> str:
    """The progress line of one service; an answer that does not show the update yet says so
    (never "stable": those are the old tasks)."""
    if fresh:
        return st.summary() + (" (stable)" if st.stable else "")
    if exp.deployment is not None and st.primary_id != exp.deployment:
        return f"{st.summary()}, ECS still shows deployment {st.primary_id or 'none'}, waiting for {exp.deployment}"
    if exp.task_definition is not None and st.task_definition != exp.task_definition:
        shown = st.revision or "none"
        return f"{st.summary()}, ECS still shows {shown}, waiting for {exp.task_definition.rsplit('/', 1)[-1]}"
    return f"{st.summary()}, ECS still shows desired {st.desired}, waiting for {exp.desired}"


def expect_task_definitions(ops: Ops, stack: str) -> dict[str, Expect]:
    """After a stack update (push's rollout): each service's task definition revision the stack
    names now (its AWS::ECS::TaskDefinition resources; the family is the service's name), so the
    wait does not take an answer still showing the old revision for the new one."""
    target = Target.of(ops.cfg)
    keys = {name: key for key, name in target.services}
    cfn = ops.client("cloudformation")
    found: dict[str, Expect] = {}
    kwargs: dict[str, Any] = {"StackName": stack}
    while True:
        page = cfn.list_stack_resources(**kwargs)
        for res in page.get("StackResourceSummaries") or []:
            arn = str(res.get("PhysicalResourceId") or "")
            if res.get("ResourceType") != "AWS::ECS::TaskDefinition" or ":task-definition/" not in arn:
                continue
            family = arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]
            if family in keys:
                found[keys[family]] = Expect(task_definition=arn)
        if not page.get("NextToken"):
            return found
        kwargs["NextToken"] = page["NextToken"]


_EMPTY = ServiceState("", "", "", 0, 0, 0, "")
_NO_EXPECT = Expect()


# --- scale --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    min: int
    max: int

    def __str__(self) -> str:
        return f"{self.min}-{self.max}"


@dataclass
class ScaleResult:
    key: str
    name: str
    before: ServiceState
    count: int
    after: ServiceState | None = None
    range_before: Range | None = None  # the service's autoscaling range, when it has one
    range_after: Range | None = None

    @property
    def changed(self) -> bool:
        return self.before.desired != self.count or self.range_before != self.range_after


def allowed_counts(cfg: EnvConfig, key: str) -> tuple[int, int]:
    """The environment's task limits for one service (config.py: min_tasks, max_tasks)."""
    svc = cfg.service(key)
    return svc.min_tasks, svc.max_tasks


def _allowed_text(low: int, high: int) -> str:
    if low <= 1:
        return f"0-{high}"
    return f"0 (stop) or {low}" if low == high else f"0 (stop) or {low}-{high}"


def check_count(cfg: EnvConfig, keys: Iterable[str], count: int, confirm_prod: bool = False) -> None:
    """BadInput unless `count` is 0 (stop) or within every service's configured range."""
    if count < 0:
        raise BadInput(f"--count {count}: a task count cannot be negative")
    for key in keys:
        low, high = allowed_counts(cfg, key)
        if count != 0 and not low <= count <= high:
            raise BadInput(
                f"--count {count} is outside {cfg.name}'s limits for {key}: allowed {_allowed_text(low, high)} "
                f"(hana_templates/config.py: min_tasks {low}, max_tasks {high})"
            )
    if count == 0 and cfg.termination_protection and not confirm_prod:
        raise BadInput(f"--count 0 stops {cfg.name}, a protected environment: add --confirm-prod")
    if confirm_prod and not (count == 0 and cfg.termination_protection):
        raise BadInput("--confirm-prod is only for stopping a protected environment (prod) with --count 0")


def scalable_targets(ops: Ops, keys: Iterable[str]) -> dict[str, Range]:
    """The services that have an Application Auto Scaling target, with its range."""
    target = Target.of(ops.cfg)
    ids = {target.resource_id(k): k for k in keys}
    found: dict[str, Range] = {}
    token = None
    while True:
        kwargs: dict[str, Any] = {"ServiceNamespace": "ecs", "ResourceIds": list(ids), "ScalableDimension": DIMENSION}
        if token:
            kwargs["NextToken"] = token
        page = ops.client("application-autoscaling").describe_scalable_targets(**kwargs)
        for t in page.get("ScalableTargets") or []:
            if t["ResourceId"] in ids:
                found[ids[t["ResourceId"]]] = Range(int(t["MinCapacity"]), int(t["MaxCapacity"]))
        token = page.get("NextToken")
        if not token:
            return found


def new_range(cfg: EnvConfig, key: str, count: int) -> Range:
    """The autoscaling range that keeps `count`: 0-0 to stop, else count up to the configured max."""
    if count == 0:
        return Range(0, 0)
    return Range(count, max(count, allowed_counts(cfg, key)[1]))


def scale(ops: Ops, keys: list[str], count: int) -> list[ScaleResult]:
    """Set the desired count of `keys` (moving autoscaling ranges first), wait until stable."""
    target = Target.of(ops.cfg)
    before = describe(ops, keys)
    ranges = scalable_targets(ops, keys)
    results = [
        ScaleResult(
            key,
            before[key].name,
            before[key],
            count,
            range_before=ranges.get(key),
            range_after=new_range(ops.cfg, key, count) if key in ranges else None,
        )
        for key in keys
    ]
    aas = ops.client("application-autoscaling")
    ecs = ops.client("ecs")
    expect: dict[str, Expect] = {}
    for r in results:
        if r.range_before is not None and r.range_after is not None:
            if r.range_after != r.range_before:
                ops.emit(
                    f"{r.key} has Application Auto Scaling (range {r.range_before}): setting the range to "
                    f"{r.range_after} so it keeps {count} task{'s' if count != 1 else ''}"
                    + (" (autoscaling paused until the next scale up)" if count == 0 else "")
                )
                aas.register_scalable_target(
                    ServiceNamespace="ecs",
                    ResourceId=target.resource_id(r.key),
                    ScalableDimension=DIMENSION,
                    MinCapacity=r.range_after.min,
                    MaxCapacity=r.range_after.max,
                )
            else:
                ops.emit(f"{r.key} has Application Auto Scaling (range {r.range_before}): keeping it")
        expect[r.key] = Expect(desired=count)
        if r.before.desired != count:
            reply = ecs.update_service(cluster=target.cluster, service=r.name, desiredCount=count)
            expect[r.key] = Expect.of(reply, desired=count)
    after = wait_stable(ops, keys, baseline=before, expect=expect)
    for r in results:
        r.after = after[r.key]
    return results


# --- restart ------------------------------------------------------------------------------------


def readers_running(ops: Ops, keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """(services with tasks, services at 0 tasks) among `keys`."""
    states = describe(ops, keys)
    return [k for k, s in states.items() if s.desired > 0], [k for k, s in states.items() if s.desired == 0]


def restart(ops: Ops, keys: list[str]) -> tuple[list[str], dict[str, ServiceState]]:
    """Replace the tasks of every running service in `keys` (a new deployment of the same task
    definition: tasks read secrets and pull the image tag again). Services at 0 tasks are left
    alone. Returns (restarted keys, final states)."""
    target = Target.of(ops.cfg)
    before = describe(ops, keys)
    running = [k for k in keys if before[k].desired > 0]
    ecs = ops.client("ecs")
    expect = {}
    for key in running:
        reply = ecs.update_service(cluster=target.cluster, service=before[key].name, forceNewDeployment=True)
        expect[key] = Expect.of(reply)  # the new deployment: the old one may still answer, stable
    if not running:
        return [], before
    return running, wait_stable(ops, running, baseline=before, expect=expect)


# --- ECS Exec -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRef:
    arn: str
    container: str
    runtime_id: str

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


def find_task(ops: Ops, key: str, task: str | None = None) -> TaskRef:
    """A running task of the service whose container has the ECS Exec agent running (or `task`)."""
    target = Target.of(ops.cfg)
    ecs = ops.client("ecs")
    name = target.name(key)
    if task is None:
        from botocore.exceptions import ClientError

        try:
            arns = ecs.list_tasks(cluster=target.cluster, serviceName=name, desiredStatus="RUNNING").get("taskArns")
        except ClientError as err:
            if error_code(err) in ("ClusterNotFoundException", "ServiceNotFoundException"):
                raise DeployError(_not_deployed(ops, f"the ECS service {name} does not exist")) from None
            raise
        if not arns:
            raise DeployError(
                f"{name} has no running task: start one with `{ops.command} scale --count 1 --service {key}`"
            )
    else:
        arns = [task]
    tasks = ecs.describe_tasks(cluster=target.cluster, tasks=arns[:100]).get("tasks") or []
    if not tasks:
        raise DeployError(f"task {task} is not in cluster {target.cluster}")
    problems = []
    for t in sorted(tasks, key=lambda t: str(t.get("startedAt") or "")):
        tid = t["taskArn"].rsplit("/", 1)[-1]
        if t.get("lastStatus") != "RUNNING":
            problems.append(f"task {tid} is {t.get('lastStatus', '?')}")
            continue
        if not t.get("enableExecuteCommand", False):
            problems.append(f"task {tid} was started without ECS Exec (enableExecuteCommand)")
            continue
        container = next((c for c in t.get("containers") or [] if c.get("name") == key), None)
        if container is None or not container.get("runtimeId"):
            problems.append(f"task {tid} has no running container {key}")
            continue
        agents = {a.get("name"): a.get("lastStatus") for a in container.get("managedAgents") or []}
        agent = agents.get("ExecuteCommandAgent")
        if agent is not None and agent != "RUNNING":
            problems.append(f"the ECS Exec agent of task {tid} is {agent} (it starts a little after the task)")
            continue
        return TaskRef(t["taskArn"], key, container["runtimeId"])
    raise DeployError(f"no task of {name} accepts ECS Exec: {'; '.join(problems)}")


def exec_session(ops: Ops, key: str, command: str, plugin: str, task: str | None = None) -> int:
    """Open ECS Exec in a running task of `key` and hand the session to the Session Manager plugin
    (as the AWS CLI does); returns the plugin's exit status."""
    from deploy.aws.external import parse_version, version_of

    ref = find_task(ops, key, task)
    target = Target.of(ops.cfg)
    ecs = ops.client("ecs")
    reply = ecs.execute_command(
        cluster=target.cluster, task=ref.arn, container=ref.container, interactive=True, command=command
    )
    session = reply["session"]
    start = json.dumps(
        {"SessionId": session["sessionId"], "StreamUrl": session["streamUrl"], "TokenValue": session["tokenValue"]}
    )
    parameters = json.dumps({"Target": f"ecs:{target.cluster}_{ref.id}_{ref.runtime_id}"})
    env = dict(os.environ)
    version = parse_version(version_of(plugin, "--version"))
    if version is not None and _padded(version) > _padded(_PLUGIN_ENV_SINCE):
        env[_PLUGIN_ENV] = start  # the plugin reads the session (and its token) from here
        start = _PLUGIN_ENV
    ops.emit(f"ECS Exec: {command} in {ref.container} of task {ref.id} ({target.name(key)}); exit the shell to end")
    args = [plugin, start, ops.region, "StartSession", ops.settings.profile or "", parameters, ecs.meta.endpoint_url]
    with _signals_to_child():
        return subprocess.call(args, env=env)  # noqa: S603 - our argument list, no shell


def _padded(version: tuple[int, ...]) -> tuple[int, ...]:
    return (*version, 0, 0, 0, 0)[:4]


@contextlib.contextmanager
def _signals_to_child() -> Iterator[None]:
    """Ctrl-C, Ctrl-\\ and Ctrl-Z belong to the remote shell while the plugin runs (AWS CLI's way)."""
    names = ("SIGINT", "SIGQUIT", "SIGTSTP")
    saved = {}
    for name in names:
        sig = getattr(signal, name, None)
        if sig is not None:
            with contextlib.suppress(ValueError):  # not the main thread (tests): leave signals alone
                saved[sig] = signal.signal(sig, signal.SIG_IGN)
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
