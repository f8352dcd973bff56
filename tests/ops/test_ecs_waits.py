"""Issue #18 item 6: ECS waits do not believe the first answer.

Right after UpdateService, DescribeServices can still show the old deployment (stable) or the old
desired count: "The Amazon ECS API follows an eventual consistency model ... the result of an API
command you run that affects your Amazon ECS resources might not be immediately visible to all
subsequent commands you run" (Amazon ECS API reference, eventual consistency). `restart` waits for
the PRIMARY deployment UpdateService returned (its id, rolloutState COMPLETED), `scale` for the
count it set; a rollout of that deployment ECS marks FAILED ends the wait with one line.

The fake ECS answers describe_services from a script (one state per poll; the last repeats) and
update_service with the new deployment, as ECS does.
"""

from __future__ import annotations

from typing import Any

import pytest

from deploy.engine.plan import FakeClock
from deploy.errors import DeployError
from deploy.ops import ecs
from tests.ops.conftest import fast, ops_for

API = "hana-dev-api"
TASK_DEFINITION = f"arn:aws:ecs:us-east-1:123456789012:task-definition/{API}"


def state(
    deployment: str,
    desired: int,
    running: int,
    rollout: str = "COMPLETED",
    old: str | None = None,
    reason: str = "",
    revision: int = 3,
) -> dict[str, Any]:
    """One describe_services entry: the PRIMARY `deployment`, and `old` still ACTIVE when given."""
    deps = [
        {
            "id": deployment,
            "status": "PRIMARY",
            "desiredCount": desired,
            "runningCount": running,
            "rolloutState": rollout,
            "rolloutStateReason": reason,
        }
    ]
    if old:
        deps.append({"id": old, "status": "ACTIVE", "desiredCount": 0, "runningCount": desired, "rolloutState": ""})
    return {
        "serviceName": API,
        "status": "ACTIVE",
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": 0,
        "taskDefinition": f"{TASK_DEFINITION}:{revision}",
        "deployments": deps,
        "events": [],
    }


class LaggingEcs:
    """describe_services answers the script, poll by poll; update_service answers with `updated`
    (what ECS returns: the service after the update, the new PRIMARY deployment first)."""

    def __init__(self, script: list[dict[str, Any]], updated: dict[str, Any]):
        self.script = list(script)
        self.updated = updated
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def describe_services(self, cluster: str, services: list[str]) -> dict[str, Any]:
        self.calls.append(("describe_services", {"cluster": cluster, "services": services}))
        return {"services": [self.script.pop(0) if len(self.script) > 1 else self.script[0]], "failures": []}

    def update_service(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("update_service", kwargs))
        return {"service": self.updated}

    def describe_scalable_targets(self, **_: Any) -> dict[str, Any]:  # application-autoscaling: none (dev)
        return {"ScalableTargets": []}

    def list_stack_resources(self, StackName: str, **_: Any) -> dict[str, Any]:  # noqa: N803 - cloudformation
        self.calls.append(("list_stack_resources", {"StackName": StackName}))
        return {
            "StackResourceSummaries": [
                {"LogicalResourceId": "ApiService", "ResourceType": "AWS::ECS::Service", "PhysicalResourceId": "x"},
                {
                    "LogicalResourceId": "ApiTaskDefinition",
                    "ResourceType": "AWS::ECS::TaskDefinition",
                    "PhysicalResourceId": f"{TASK_DEFINITION}:4",
                },
            ]
        }


def lagging_ops(fake: LaggingEcs, timeout: float = 60.0) -> tuple[Any, list[str]]:
    lines: list[str] = []

    class Aws:
        region = "us-east-1"
        settings = None

        def client(self, name: str) -> Any:
            return fake

    ops = ops_for(Aws(), emit=lines.append)
    clock = FakeClock()
    ops.timing = fast()
    ops.timing.clock = clock
    ops.timing.timeout = timeout
    ops.timing.sleep = lambda seconds: setattr(clock, "now", clock.now + max(seconds, 1.0))
    return ops, lines


def text(lines: list[str]) -> list[str]:
    return [line.split("]", 1)[1].strip() for line in lines]


def test_restart_waits_for_the_new_deployment_not_the_old_one_still_answering():
    old, new = "ecs-svc/old", "ecs-svc/new"
    fake = LaggingEcs(
        [
            state(old, 2, 2),  # before the restart
            state(old, 2, 2),  # after UpdateService, ECS still answers with the old deployment: "stable"
            state(old, 2, 2),
            state(new, 2, 1, "IN_PROGRESS", old=old),
            state(new, 2, 2),
        ],
        updated=state(new, 2, 0, "IN_PROGRESS", old=old),
    )
    ops, lines = lagging_ops(fake)

    restarted, states = ecs.restart(ops, ["api"])

    assert restarted == ["api"]
    assert states["api"].primary_id == new and states["api"].stable
    assert [op for op, _ in fake.calls].count("describe_services") == 5
    assert text(lines) == [
        "api  2/2 running, ECS still shows deployment ecs-svc/old, waiting for ecs-svc/new",
        "api  1 running, desired 2, 2 deployments, rollout in progress",
        "api  2/2 running (stable)",
    ]


def test_scale_waits_for_the_count_it_set_not_the_old_count_still_answering():
    fake = LaggingEcs(
        [
            state("ecs-svc/1", 1, 1),  # before
            state("ecs-svc/1", 1, 1),  # stale: the old count, stable
            state("ecs-svc/1", 3, 1),
            state("ecs-svc/1", 3, 3),
        ],
        updated=state("ecs-svc/1", 3, 1),
    )
    ops, lines = lagging_ops(fake)

    [result] = ecs.scale(ops, ["api"], 3)

    assert result.after is not None and (result.after.desired, result.after.running) == (3, 3)
    assert ("update_service", {"cluster": "hana-dev", "service": API, "desiredCount": 3}) in fake.calls
    assert text(lines)[0] == "api  1/1 running, ECS still shows desired 1, waiting for 3"
    assert text(lines)[-1] == "api  3/3 running (stable)"


def test_a_count_moved_on_by_autoscaling_after_it_was_seen_still_ends_the_wait():
    fake = LaggingEcs(
        [state("ecs-svc/1", 2, 2), state("ecs-svc/1", 3, 2), state("ecs-svc/1", 4, 4)],
        updated=state("ecs-svc/1", 3, 2),
    )
    ops, _ = lagging_ops(fake)
    [result] = ecs.scale(ops, ["api"], 3)
    assert result.after is not None and result.after.desired == 4  # ours was seen; then autoscaling acted


def test_the_new_deployment_failing_ends_the_wait_with_ecs_reason():
    old, new = "ecs-svc/old", "ecs-svc/new"
    reason = "ECS deployment circuit breaker: tasks failed to start."
    fake = LaggingEcs(
        [state(old, 2, 2), state(old, 2, 2), state(new, 2, 0, "FAILED", old=old, reason=reason)],
        updated=state(new, 2, 0, "IN_PROGRESS", old=old),
    )
    ops, _ = lagging_ops(fake)
    with pytest.raises(DeployError) as caught:
        ecs.restart(ops, ["api"])
    assert str(caught.value) == (
        f"{API}: ECS stopped the rollout: {reason} (the circuit breaker rolls back to the previous task "
        "definition); see `python -m deploy --env dev logs api`"
    )


def test_a_deployment_ecs_never_shows_ends_in_the_timeout_naming_both():
    fake = LaggingEcs(
        [state("ecs-svc/old", 2, 2)], updated=state("ecs-svc/new", 2, 0, "IN_PROGRESS", old="ecs-svc/old")
    )
    ops, _ = lagging_ops(fake, timeout=30)
    with pytest.raises(DeployError) as caught:
        ecs.restart(ops, ["api"])
    assert str(caught.value).startswith(
        "gave up waiting after 30s: api 2/2 running, ECS still shows deployment ecs-svc/old, waiting for "
        "ecs-svc/new; ECS carries on"
    )


def test_after_a_stack_update_the_wait_takes_only_the_revision_the_stack_names():
    """push's rollout: CloudFormation updated compute; an answer still naming the old revision is
    not the new tasks running."""
    fake = LaggingEcs(
        [
            state("ecs-svc/1", 2, 2, revision=3),  # stale: the old revision, stable
            state("ecs-svc/2", 2, 1, "IN_PROGRESS", old="ecs-svc/1", revision=4),
            state("ecs-svc/2", 2, 2, revision=4),
        ],
        updated={},
    )
    ops, lines = lagging_ops(fake)

    expect = ecs.expect_task_definitions(ops, "hana-dev-compute")
    states = ecs.wait_stable(ops, ["api"], expect=expect)

    assert expect == {"api": ecs.Expect(task_definition=f"{TASK_DEFINITION}:4")}
    assert states["api"].revision == "hana-dev-api:4" and states["api"].stable
    assert text(lines)[0] == "api  2/2 running, ECS still shows hana-dev-api:3, waiting for hana-dev-api:4"
