"""`exec`: ECS calls through botocore's Stubber (moto has no ExecuteCommand), the Session Manager
plugin as a fake executable that records how it was started."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from deploy.aws.session import Aws, Settings
from deploy.commands import cli
from tests.deploy.fakes import FakeSession, FakeSts
from tests.ops import fakes
from tests.ops.conftest import app_for, make_project

CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/hana-dev"
TASK_OLD = "arn:aws:ecs:us-east-1:123456789012:task/hana-dev/0f3c9a2b7d1e4c5a"
TASK_NEW = "arn:aws:ecs:us-east-1:123456789012:task/hana-dev/9a1b2c3d4e5f6071"
SESSION = {
    "sessionId": "alice-0123456789abcdef",
    "streamUrl": "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/x",
    "tokenValue": "AAEAAZ-secret-session-token",
}


def task(arn: str, started: int, agent: str = "RUNNING", exec_enabled: bool = True, status: str = "RUNNING") -> dict:
    return {
        "taskArn": arn,
        "clusterArn": CLUSTER_ARN,
        "lastStatus": status,
        "enableExecuteCommand": exec_enabled,
        "startedAt": datetime(2026, 3, 1, 12, started, tzinfo=UTC),
        "containers": [
            {
                "name": "api",
                "runtimeId": arn.rsplit("/", 1)[-1] + "-1234567890",
                "managedAgents": [{"name": "ExecuteCommandAgent", "lastStatus": agent}],
            }
        ],
    }


@pytest.fixture
def ecs():
    client = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x").client("ecs", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def plugin(fake_bin, monkeypatch):
    fake_bin.add("session-manager-plugin", fakes.PLUGIN)
    monkeypatch.setenv("FAKE_RECORD_ENV", "AWS_SSM_START_SESSION_RESPONSE")
    return fake_bin


def app_with(ecs_client, tmp_path, profile: str | None = "hana-dev"):
    aws = Aws(Settings(profile=profile), "us-east-1", session=FakeSession(ecs=ecs_client, sts=FakeSts()))
    return app_for(make_project(tmp_path, "dev"), aws)


def expect_lookup(stub, tasks: list[dict]) -> None:
    stub.add_response(
        "list_tasks",
        {"taskArns": [t["taskArn"] for t in tasks]},
        {"cluster": "hana-dev", "serviceName": "hana-dev-api", "desiredStatus": "RUNNING"},
    )
    stub.add_response(
        "describe_tasks", {"tasks": tasks}, {"cluster": "hana-dev", "tasks": [t["taskArn"] for t in tasks]}
    )


def expect_exec(stub, arn: str, command: str = "/bin/sh") -> None:
    stub.add_response(
        "execute_command",
        {"clusterArn": CLUSTER_ARN, "containerName": "api", "taskArn": arn, "interactive": True, "session": SESSION},
        {"cluster": "hana-dev", "task": arn, "container": "api", "interactive": True, "command": command},
    )


def invoke(args, app):
    return CliRunner().invoke(cli, args, obj=app)


def test_exec_picks_a_task_whose_agent_runs_and_hands_the_session_to_the_plugin_via_the_environment(
    ecs, plugin, tmp_path
):
    client, stub = ecs
    expect_lookup(stub, [task(TASK_OLD, 1, agent="PENDING"), task(TASK_NEW, 5)])
    expect_exec(stub, TASK_NEW)
    result = invoke(["--profile", "hana-dev", "exec"], app_with(client, tmp_path))
    assert result.exit_code == 0, result.output

    version, session = plugin.calls("session-manager-plugin")
    assert version["argv"] == ["--version"]
    assert session["argv"] == [
        "AWS_SSM_START_SESSION_RESPONSE",
        "us-east-1",
        "StartSession",
        "hana-dev",
        json.dumps({"Target": "ecs:hana-dev_9a1b2c3d4e5f6071_9a1b2c3d4e5f6071-1234567890"}),
        "https://ecs.us-east-1.amazonaws.com",
    ]
    assert json.loads(session["env"]["AWS_SSM_START_SESSION_RESPONSE"]) == {
        "SessionId": SESSION["sessionId"],
        "StreamUrl": SESSION["streamUrl"],
        "TokenValue": SESSION["tokenValue"],
    }
    assert SESSION["tokenValue"] not in result.output
    assert "ECS Exec: /bin/sh in api of task 9a1b2c3d4e5f6071 (hana-dev-api)" in result.stderr


def test_an_old_plugin_gets_the_session_as_its_first_argument(ecs, plugin, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_PLUGIN_VERSION", "1.2.463.0")
    client, stub = ecs
    expect_lookup(stub, [task(TASK_NEW, 5)])
    expect_exec(stub, TASK_NEW, command="nc -zv $DB_HOST 5432")
    result = invoke(["exec", "--command", "nc -zv $DB_HOST 5432"], app_with(client, tmp_path, profile=None))
    assert result.exit_code == 0, result.output
    session = plugin.calls("session-manager-plugin")[1]
    assert json.loads(session["argv"][0])["SessionId"] == SESSION["sessionId"]
    assert session["argv"][3] == ""  # no --profile: the plugin uses the default credential chain
    assert "AWS_SSM_START_SESSION_RESPONSE" not in session["env"]


def test_a_named_task_skips_the_lookup(ecs, plugin, tmp_path):
    client, stub = ecs
    stub.add_response("describe_tasks", {"tasks": [task(TASK_OLD, 1)]}, {"cluster": "hana-dev", "tasks": [TASK_OLD]})
    expect_exec(stub, TASK_OLD)
    result = invoke(["exec", "--task", TASK_OLD], app_with(client, tmp_path))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("tasks", "expected"),
    [
        pytest.param(
            [],
            "error: hana-dev-api has no running task: start one with `python -m deploy --env dev scale --count 1 "
            "--service api`",
            id="no-task",
        ),
        pytest.param(
            [task(TASK_NEW, 5, exec_enabled=False)],
            "error: no task of hana-dev-api accepts ECS Exec: task 9a1b2c3d4e5f6071 was started without ECS Exec "
            "(enableExecuteCommand)",
            id="exec-off",
        ),
        pytest.param(
            [task(TASK_NEW, 5, agent="PENDING")],
            "error: no task of hana-dev-api accepts ECS Exec: the ECS Exec agent of task 9a1b2c3d4e5f6071 is PENDING",
            id="agent-starting",
        ),
    ],
)
def test_no_usable_task_is_one_line_and_no_session(ecs, plugin, tmp_path, tasks, expected):
    client, stub = ecs
    if tasks:
        expect_lookup(stub, tasks)
    else:
        stub.add_response(
            "list_tasks",
            {"taskArns": []},
            {"cluster": "hana-dev", "serviceName": "hana-dev-api", "desiredStatus": "RUNNING"},
        )
    result = invoke(["exec"], app_with(client, tmp_path))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith(expected)
    assert plugin.calls("session-manager-plugin") == []


def test_a_failed_session_is_exit_1(ecs, plugin, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_PLUGIN_EXIT", "255")
    client, stub = ecs
    expect_lookup(stub, [task(TASK_NEW, 5)])
    expect_exec(stub, TASK_NEW)
    result = invoke(["exec"], app_with(client, tmp_path))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == "error: the ECS Exec session ended with exit status 255"
