"""What the three ECS services are doing: the status rows (`status`), their events (`events`) and
their stopped tasks (`stopped`): the spec's "Services Not Starting" recipes as data.

A service row joins DescribeServices (counts, rollout, newest event) with its task definition
(revision, image tag). Stopped tasks come from ListTasks(desiredStatus=STOPPED) + DescribeTasks.
ECS keeps a stopped task listable for at least an hour ("Currently, stopped tasks appear in the
returned results for at least one hour", ListTasks in the ECS API reference), so "restarting"
evidence is naturally bounded to about the last hour. Tasks are listed per cluster and assigned to
a service by their `group` (`service:<name>`, which ECS sets for a service's tasks), newest first.

Exported: ServiceRow, service_rows, events, StoppedTask, stopped_tasks, image_tag.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from deploy.ops import ecs
from deploy.ops.context import Ops


def image_tag(image: str) -> str:
    """`123.dkr.ecr.../hana-dev/api:rc1` -> `rc1`; a digest reference keeps its digest; no tag -> `latest`."""
    if "@" in image:
        return image.rsplit("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"


def _one_line(text: Any) -> str:
    return " ".join(str(text or "").split())


@dataclass
class ServiceRow:
    key: str
    name: str
    running: int
    desired: int
    pending: int
    revision: str  # hana-dev-api:8
    image: str
    tag: str
    rollout: str  # COMPLETED, IN_PROGRESS, FAILED, or - when ECS reports none
    event: str  # the newest service event, one line
    event_at: datetime | None
    deployments: int = 1

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["event_at"] = self.event_at.isoformat() if self.event_at else None
        return data


def task_definitions(ops: Ops, arns: list[str]) -> dict[str, dict[str, Any]]:
    """ARN -> DescribeTaskDefinition's taskDefinition, in parallel."""
    client = ops.client("ecs")
    unique = list(dict.fromkeys(a for a in arns if a))
    if not unique:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(unique))) as pool:
        found = pool.map(lambda a: client.describe_task_definition(taskDefinition=a)["taskDefinition"], unique)
        return dict(zip(unique, found, strict=True))


def _container(task_definition: dict[str, Any], key: str) -> dict[str, Any]:
    containers = task_definition.get("containerDefinitions") or [{}]
    return next((c for c in containers if c.get("name") == key), containers[0])


def service_rows(ops: Ops, keys: list[str] | None = None) -> list[ServiceRow]:
    keys = keys or [s.name for s in ops.cfg.services]
    states = ecs.describe(ops, keys)
    definitions = task_definitions(ops, [st.task_definition for st in states.values()])
    rows = []
    for key, st in states.items():
        image = _container(definitions.get(st.task_definition, {}), key).get("image", "")
        newest = st.events[0] if st.events else {}
        rows.append(
            ServiceRow(
                key=key,
                name=st.name,
                running=st.running,
                desired=st.desired,
                pending=st.pending,
                revision=st.revision,
                image=image,
                tag=image_tag(image) if image else "-",
                rollout=st.rollout or "-",
                event=_one_line(newest.get("message")) or "-",
                event_at=newest.get("createdAt"),
                deployments=len(st.deployments) or 1,
            )
        )
    return rows


def events(ops: Ops, key: str, limit: int) -> list[dict[str, Any]]:
    """The service's events, newest first (as ECS lists them; it keeps the last 100)."""
    state = ecs.describe(ops, [key])[key]
    return [
        {"at": e.get("createdAt"), "message": _one_line(e.get("message")), "id": e.get("id")}
        for e in state.events[:limit]
    ]


@dataclass
class StoppedTask:
    id: str
    service: str  # the service key (api, ws, workers), or "" for a task of no service of ours
    task_definition: str  # hana-dev-api:8
    stopped_at: datetime | None
    stop_code: str
    reason: str  # stoppedReason
    containers: list[dict[str, Any]] = field(default_factory=list)  # name, exit_code, reason

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["stopped_at"] = self.stopped_at.isoformat() if self.stopped_at else None
        return data

    def exits(self) -> str:
        """`api exit 1 (Essential container in task exited)`, one per container that says something."""
        parts = []
        for c in self.containers:
            text = c["name"]
            if c.get("exit_code") is not None:
                text += f" exit {c['exit_code']}"
            if c.get("reason"):
                text += f" ({c['reason']})"
            parts.append(text)
        return "; ".join(parts) or "-"


def stopped_tasks(ops: Ops, keys: list[str] | None = None, since: datetime | None = None) -> list[StoppedTask]:
    """The stopped tasks of the services `keys` (default: all three), newest first, stopped after `since`."""
    target = ecs.Target.of(ops.cfg)
    wanted = {target.name(k): k for k in (keys or [s.name for s in ops.cfg.services])}
    client = ops.client("ecs")
    arns: list[str] = []
    kwargs: dict[str, Any] = {"cluster": target.cluster, "desiredStatus": "STOPPED"}
    try:
        while True:
            page = client.list_tasks(**kwargs)
            arns += page.get("taskArns") or []
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
    except Exception as err:
        from deploy.engine.cfn import error_code
        from deploy.errors import DeployError

        if error_code(err) == "ClusterNotFoundException":
            raise DeployError(
                f"the ECS cluster {target.cluster} does not exist in {ops.region}: deploy the compute stack first "
                f"(`{ops.command} stack compute`)"
            ) from None
        raise
    found: list[StoppedTask] = []
    for i in range(0, len(arns), 100):  # DescribeTasks takes up to 100 tasks
        for t in client.describe_tasks(cluster=target.cluster, tasks=arns[i : i + 100]).get("tasks") or []:
            group = str(t.get("group") or "")
            service = wanted.get(group.removeprefix("service:")) if group.startswith("service:") else None
            if service is None:
                continue
            at = t.get("stoppedAt") or t.get("stoppingAt") or t.get("createdAt")
            if since is not None and isinstance(at, datetime) and _utc(at) < since:
                continue
            found.append(
                StoppedTask(
                    id=t["taskArn"].rsplit("/", 1)[-1],
                    service=service,
                    task_definition=str(t.get("taskDefinitionArn") or "").rsplit("/", 1)[-1],
                    stopped_at=at if isinstance(at, datetime) else None,
                    stop_code=str(t.get("stopCode") or ""),
                    reason=_one_line(t.get("stoppedReason")) or "-",
                    containers=[
                        {
                            "name": c.get("name", "?"),
                            "exit_code": c.get("exitCode"),
                            "reason": _one_line(c.get("reason")),
                        }
                        for c in t.get("containers") or []
                        if c.get("exitCode") is not None or c.get("reason")
                    ],
                )
            )
    epoch = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda s: _utc(s.stopped_at) if s.stopped_at else epoch, reverse=True)
    return found


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
