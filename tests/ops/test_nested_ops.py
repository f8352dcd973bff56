"""A nested deployment (`python -m deploy main`) in push's rollout checks, its failure report and
doctor's fixes, with stand-ins (the whole path on the emulator: test_nested_ops_e2e.py)."""

from __future__ import annotations

import shlex
from types import SimpleNamespace
from typing import Any

import pytest

from deploy.engine.project import Project
from deploy.errors import BadInput
from deploy.ops import doctor as checks
from deploy.ops import images
from hana_templates import config, registry
from tests.test_docs import parse

COMMAND = "python -m deploy --env dev --local"


def master(status: str = "UPDATE_COMPLETE", **params: str) -> dict[str, Any]:
    return {
        "StackName": "hana-dev",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/hana-dev/1",
        "StackStatus": status,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
    }


class FakeDeployer:
    """What check_rollout reads: the project, describe, find_nested (the children it would find)."""

    def __init__(self, stacks: dict[str, dict[str, Any]], children: dict[str, str]):
        self.project = Project(config.get("dev"), registry.STACKS, mode="--local")
        self.ops = SimpleNamespace(describe=stacks.get)
        self._children = children

    def find_nested(self) -> bool:
        self.project.children = dict(self._children)
        return True


def test_a_nested_deployment_is_rolled_out_through_the_master():
    deployer = FakeDeployer({"hana-dev": master(ImageTag="abc")}, {"compute": "hana-dev-Compute-X1"})
    check = images.check_rollout(deployer)
    assert (check.stack, check.live_tag, check.nested, check.child, check.key) == (
        "hana-dev",
        "abc",
        True,
        "hana-dev-Compute-X1",
        "main",
    )


@pytest.mark.parametrize(
    ("live", "children", "message"),
    [
        pytest.param(
            master("UPDATE_ROLLBACK_FAILED", ImageTag="abc"),
            {"compute": "c"},
            "hana-dev is UPDATE_ROLLBACK_FAILED: wait for it (or fix it) before a rollout, or push with --no-rollout",
            id="unusable",
        ),
        pytest.param(
            master(TemplateBucket="b"),
            {"compute": "c"},
            "the nested stack hana-dev declares no ImageTag parameter, so a rollout cannot reach its compute "
            "child: deploy the current main.yaml first (`python -m deploy --env dev --local main`), or push "
            "with --no-rollout",
            id="no-image-tag",
        ),
        pytest.param(
            master(ImageTag="abc"),
            {"network": "n"},
            "the nested stack hana-dev has no compute child: deploy it (`python -m deploy --env dev --local main`), "
            "or push with --no-rollout",
            id="no-compute-child",
        ),
    ],
)
def test_a_nested_rollout_that_cannot_change_only_the_image_is_refused_before_building(live, children, message):
    with pytest.raises(BadInput) as refused:
        images.check_rollout(FakeDeployer({"hana-dev": live}, children))
    assert str(refused.value) == message
    hints = [part for i, part in enumerate(message.split("`")) if i % 2]
    assert all(parse(shlex.split(h)[3:]) for h in hints)


def event(n: int, logical: str, status: str, reason: str = "", rtype: str = "AWS::ECS::Service") -> dict[str, Any]:
    return {
        "EventId": f"e{n}",
        "LogicalResourceId": logical,
        "ResourceType": rtype,
        "ResourceStatus": status,
        "ResourceStatusReason": reason,
    }


class FakeCfn:
    """describe_stack_events newest first, two pages."""

    def __init__(self, events: list[dict[str, Any]]):
        self.events = events

    def describe_stack_events(self, StackName: str, NextToken: str | None = None) -> dict[str, Any]:  # noqa: N803
        if NextToken is None:
            return {"StackEvents": self.events[:2], "NextToken": "2"}
        return {"StackEvents": self.events[2:]}


def test_the_child_failure_is_its_first_real_failed_resource_since_the_rollout_began():
    events = [  # newest first
        event(6, "hana-dev-Compute-X1", "UPDATE_ROLLBACK_COMPLETE", rtype="AWS::CloudFormation::Stack"),
        event(5, "WsService", "UPDATE_FAILED", "Resource update cancelled"),
        event(4, "ApiService", "UPDATE_FAILED", "Circuit breaker: tasks failed to start"),
        event(3, "hana-dev-Compute-X1", "UPDATE_IN_PROGRESS", "", rtype="AWS::CloudFormation::Stack"),
        event(2, "ApiService", "UPDATE_FAILED", "an older rollout's failure"),
        event(1, "ApiService", "UPDATE_IN_PROGRESS"),
    ]
    cfn = FakeCfn(events)
    assert (
        images.child_failure(cfn, "hana-dev-Compute-X1", "e2")
        == "ApiService (AWS::ECS::Service): Circuit breaker: tasks failed to start"
    )
    assert images.child_failure(cfn, "hana-dev-Compute-X1", "e6") is None
    only_cancelled = FakeCfn([events[1], events[3]])
    assert images.child_failure(only_cancelled, "c", None) == "WsService (AWS::ECS::Service): Resource update cancelled"


def stack(status: str, reason: str = "") -> dict[str, Any]:
    return {"StackStatus": status, "StackStatusReason": reason, "DriftInformation": {"StackDriftStatus": "IN_SYNC"}}


@pytest.mark.parametrize(
    ("live", "fix"),
    [
        pytest.param({"network": stack("UPDATE_ROLLBACK_FAILED")}, "main --continue-rollback", id="child-stuck"),
        pytest.param({"main": stack("UPDATE_ROLLBACK_FAILED")}, "main --continue-rollback", id="master-stuck"),
        pytest.param({"network": None}, "main", id="child-missing"),
    ],
)
def test_doctor_fixes_a_nested_deployment_with_main(live, fix):
    names = {"network": "hana-dev-Network-X1", "main": "hana-dev"}
    doc = checks.Doctor(ops=None, stacks=live, stack_names=names, command=COMMAND, nested=True)  # type: ignore[arg-type]
    check = checks.Check("stacks", "Next checks", "stacks")
    doc.stack_states(check)
    assert check.state == "fail"
    assert check.fix == f"{COMMAND} {fix}"
    assert parse(shlex.split(check.fix)[3:])
