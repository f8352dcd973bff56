"""`drift`: detect, wait, show property differences (botocore Stubber: moto has no DetectStackDrift)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from deploy.commands import App, cli
from deploy.ops import drift
from tests.ops.conftest import fast, make_project, ops_for

DETECTION = "d-1"


class StubbedAws:
    def __init__(self, client: Any):
        self._client = client
        self.region = "us-east-1"
        self.settings = None

    def client(self, name: str) -> Any:
        assert name == "cloudformation"
        return self._client

    def preflight(self, cfg: Any) -> None:
        pass


NO_MASTER = ("describe_stacks", "ValidationError", "Stack with id hana-dev does not exist", 400)


def stubbed(
    name: str, statuses: list[dict[str, Any]], drifts: list[dict[str, Any]], command: bool = False
) -> tuple[Any, Stubber]:
    """The calls of one detection; `command`: after the command's look for a nested master (none)."""
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    if command:
        stub.add_client_error(*NO_MASTER)
    stub.add_response("detect_stack_drift", {"StackDriftDetectionId": DETECTION}, {"StackName": name})
    for status in statuses:
        stub.add_response(
            "describe_stack_drift_detection_status",
            {"StackId": name, "StackDriftDetectionId": DETECTION, "Timestamp": "2026-01-01T00:00:00Z", **status},
            {"StackDriftDetectionId": DETECTION},
        )
    stub.add_response(
        "describe_stack_resource_drifts",
        {"StackResourceDrifts": drifts},
        {"StackName": name, "StackResourceDriftStatusFilters": ["MODIFIED", "DELETED"]},
    )
    stub.activate()
    return client, stub


RULE_DRIFT = {
    "StackId": "hana-dev-compute",
    "LogicalResourceId": "EcsSecurityGroup",
    "PhysicalResourceId": "sg-123",
    "ResourceType": "AWS::EC2::SecurityGroup",
    "StackResourceDriftStatus": "MODIFIED",
    "Timestamp": "2026-01-01T00:00:00Z",
    "PropertyDifferences": [
        {
            "PropertyPath": "/SecurityGroupIngress/0",
            "ExpectedValue": '{"FromPort":3000}',
            "ActualValue": "null",
            "DifferenceType": "REMOVE",
        },
        {"PropertyPath": "/Tags/0/Value", "ExpectedValue": "dev", "ActualValue": "test", "DifferenceType": "NOT_EQUAL"},
    ],
}


def test_detect_waits_and_lists_each_property_difference():
    client, stub = stubbed(
        "hana-dev-compute",
        [
            {"DetectionStatus": "DETECTION_IN_PROGRESS"},
            {"DetectionStatus": "DETECTION_COMPLETE", "StackDriftStatus": "DRIFTED", "DriftedStackResourceCount": 1},
        ],
        [RULE_DRIFT],
    )
    result = drift.detect(ops_for(StubbedAws(client)), "compute", "hana-dev-compute")
    stub.assert_no_pending_responses()
    assert result.drifted and result.drifted_count == 1
    [resource] = result.resources
    assert (resource.logical_id, resource.status) == ("EcsSecurityGroup", "MODIFIED")
    assert [(d.path, d.kind) for d in resource.differences] == [
        ("/SecurityGroupIngress/0", "REMOVE"),
        ("/Tags/0/Value", "NOT_EQUAL"),
    ]


def run_cli(tmp_path, client: Any, *args: str):
    project = make_project(tmp_path, "dev")
    aws = StubbedAws(client)
    app = App(
        project_factory=lambda env: project, aws_factory=lambda s, r: aws, timing=fast(), interactive=lambda: False
    )
    app.deployer = None  # type: ignore[assignment]  # drift must not need the deployer
    return CliRunner().invoke(cli, list(args), obj=app)


def test_the_command_shows_expected_and_actual_and_exits_1_on_drift(tmp_path):
    client, stub = stubbed(
        "hana-dev-compute",
        [{"DetectionStatus": "DETECTION_COMPLETE", "StackDriftStatus": "DRIFTED", "DriftedStackResourceCount": 1}],
        [RULE_DRIFT],
        command=True,
    )
    result = run_cli(tmp_path, client, "drift", "compute")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "hana-dev-compute: DRIFTED"
    assert "  modified EcsSecurityGroup (AWS::EC2::SecurityGroup) sg-123" in lines
    assert '      /SecurityGroupIngress/0: {"FromPort":3000} -> (removed)' in lines
    assert "      /Tags/0/Value: dev -> test" in lines
    assert lines[-1] == "drift dev: 1 of 1 stack drifted"


def test_in_sync_and_an_incomplete_detection(tmp_path):
    client, _ = stubbed(
        "hana-dev-storage",
        [
            {
                "DetectionStatus": "DETECTION_FAILED",
                "DetectionStatusReason": "Failed to detect drift on resource [Bucket]",
                "StackDriftStatus": "IN_SYNC",
            }
        ],
        [],
        command=True,
    )
    result = run_cli(tmp_path, client, "drift", "storage", "--json")
    assert result.exit_code == 0, result.output
    [data] = json.loads(result.stdout)
    assert data["status"] == "IN_SYNC" and data["detection"] == "DETECTION_FAILED"
    assert data["reason"] == "Failed to detect drift on resource [Bucket]"


def test_a_stack_that_is_not_deployed(tmp_path):
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_client_error(*NO_MASTER)
    stub.add_client_error("detect_stack_drift", "ValidationError", "Stack with id hana-dev-storage does not exist", 400)
    stub.activate()
    result = run_cli(tmp_path, client, "drift", "storage")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "hana-dev-storage: NOT DEPLOYED"


@pytest.mark.parametrize("status", ["DETECTION_IN_PROGRESS"])
def test_a_detection_that_never_ends_is_one_line(tmp_path, status):
    client, _ = stubbed("hana-dev-storage", [{"DetectionStatus": status}] * 3, [])
    ops = ops_for(StubbedAws(client))
    ticks = iter(range(0, 10_000, 20))
    ops.timing = type(ops.timing)(poll_min=0, poll_max=0, timeout=30, clock=lambda: next(ticks), sleep=lambda s: None)
    with pytest.raises(drift.DeployError, match="drift detection of hana-dev-storage still running after 30 s"):
        drift.detect(ops, "storage", "hana-dev-storage")


CHILD = "hana-dev-Compute-1A2B3C"
CHILD_ARN = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{CHILD}/0f0e"


def nested_master(stub: Stubber) -> None:
    """`hana-dev` exists with two children (find_children reads its resources)."""
    master = {
        "StackName": "hana-dev",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/hana-dev/1",
        "StackStatus": "UPDATE_COMPLETE",
        "CreationTime": "2026-01-01T00:00:00Z",
    }
    stub.add_response("describe_stacks", {"Stacks": [master]}, {"StackName": "hana-dev"})
    resources = [
        {
            "LogicalResourceId": logical,
            "PhysicalResourceId": arn,
            "ResourceType": "AWS::CloudFormation::Stack",
            "ResourceStatus": "UPDATE_COMPLETE",
            "LastUpdatedTimestamp": "2026-01-01T00:00:00Z",
        }
        for logical, arn in (("Storage", CHILD_ARN.replace("Compute", "Storage")), ("Compute", CHILD_ARN))
    ]
    stub.add_response("list_stack_resources", {"StackResourceSummaries": resources}, {"StackName": master["StackId"]})


@pytest.mark.parametrize("name", ["compute", CHILD])
def test_a_nested_deployment_is_detected_on_its_child_not_the_master(tmp_path, name):
    # "When detecting drift on a stack, CloudFormation doesn't detect drift on any nested stacks
    # belonging to that stack. Perform DetectStackDrift directly on the nested stack itself."
    # (DetectStackDrift, AWS CloudFormation API Reference)
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    nested_master(stub)
    stub.add_response("detect_stack_drift", {"StackDriftDetectionId": DETECTION}, {"StackName": CHILD})
    stub.add_response(
        "describe_stack_drift_detection_status",
        {
            "StackId": CHILD_ARN,
            "StackDriftDetectionId": DETECTION,
            "Timestamp": "2026-01-01T00:00:00Z",
            "DetectionStatus": "DETECTION_COMPLETE",
            "StackDriftStatus": "IN_SYNC",
        },
        {"StackDriftDetectionId": DETECTION},
    )
    stub.add_response(
        "describe_stack_resource_drifts",
        {"StackResourceDrifts": []},
        {"StackName": CHILD, "StackResourceDriftStatusFilters": ["MODIFIED", "DELETED"]},
    )
    stub.activate()
    result = run_cli(tmp_path, client, "drift", name)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{CHILD}: IN_SYNC", "drift dev: 0 of 1 stack drifted"]
    stub.assert_no_pending_responses()
