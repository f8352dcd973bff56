"""`doctor` on a deployed local environment broken in each way the spec's Common Issues table lists
(and the next checks on-call runs): it names each cause with its evidence and a fix that parses,
with --local in it; exit 1. What the emulator cannot hold (unhealthy targets, a failed or drifted
stack) comes from moto's backends or from DescribeStacks answers given to the check directly.
Bad input to the new commands is one line, exit 2, nothing sent.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest
from click.testing import CliRunner

import hana_emulator as emulator
from deploy.commands import App, cli
from deploy.ops import doctor as checks
from hana_emulator.client import URL_VARIABLE
from hana_templates import config, naming
from tests.ops.conftest import fast, make_project
from tests.test_docs import parse

ACCOUNT, REGION = "123456789012", "us-east-1"


def local_run(server: emulator.Emulator):
    env = {**emulator.client_env(server.url), URL_VARIABLE: server.url}
    env |= dict.fromkeys(emulator.LOCAL_ENV_UNSET)

    def invoke(*args: str, input: str | None = None):  # noqa: A002
        app = App(interactive=lambda: False, timing=fast())
        return CliRunner().invoke(cli, [*args, "--local"], env=env, obj=app, input=input)

    return invoke


def outputs(server: emulator.Emulator, cfg: config.EnvConfig, key: str) -> dict[str, str]:
    stack = server.client("cloudformation").describe_stacks(StackName=naming.stack_name(cfg, key))["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in report["checks"]}


def assert_fix_pastes(fix: str) -> None:
    """A `python -m deploy` fix parses as the CLI would, and runs in the mode it was printed in."""
    words = shlex.split(fix)
    if words[:3] == ["python", "-m", "deploy"]:
        assert "--local" in words, fix
        assert parse([w for w in words[3:]]), fix
    else:
        assert words[0] == "aws" and "--endpoint-url" in words, fix


def break_everything(server: emulator.Emulator, cfg: config.EnvConfig) -> None:
    from moto.elbv2 import models as elbv2_models

    net, compute = outputs(server, cfg, "network"), outputs(server, cfg, "compute")
    msg, obs = outputs(server, cfg, "messaging"), outputs(server, cfg, "observability")
    sm, ecs, ec2 = server.client("secretsmanager"), server.client("ecs"), server.client("ec2")

    # Tasks keep restarting: a secret without the JSON key its task definition reads; tasks that stopped
    sm.put_secret_value(SecretId=naming.secret_name(cfg, "openai-api-key"), SecretString='{"key": "sk-x"}')
    # moto cannot place a task without a container memory value: the stopped tasks run a copy of api's
    # task definition that has one (moto never starts a service's tasks itself)
    service = ecs.describe_services(cluster="hana-dev", services=["hana-dev-api"])["services"][0]
    live = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    copy = ecs.register_task_definition(
        family="hana-dev-api",
        networkMode="bridge",  # moto fails awsvpc tasks (its ENI lacks private_dns_name)
        cpu="256",
        memory="512",
        containerDefinitions=[{**live["containerDefinitions"][0], "memory": 512}],
    )["taskDefinition"]
    for reason in ["ResourceInitializationError: unable to pull secrets or registry auth"] * 2 + [
        "Essential container in task exited"
    ]:
        task = ecs.run_task(
            cluster="hana-dev",
            taskDefinition=copy["taskDefinitionArn"],
            group="service:hana-dev-api",
            launchType="FARGATE",
        )["tasks"][0]
        ecs.stop_task(cluster="hana-dev", task=task["taskArn"], reason=reason)

    # Health check failing: a registered target the load balancer reports unhealthy
    elb = server.client("elbv2")
    group_name = compute["ApiTargetGroupFullName"].split("/")[1]
    group_arn = elb.describe_target_groups(Names=[group_name])["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=group_arn, Targets=[{"Id": "10.0.10.5", "Port": 3000}])
    ecs.update_service(cluster="hana-dev", service="hana-dev-api", desiredCount=1)

    def unhealthy(self, target, ec2_backend):  # moto reports every IP target healthy
        return elbv2_models.FakeHealthStatus(
            target["Id"],
            "3000",
            "3000",
            "unhealthy",
            "Target.ResponseCodeMismatch",
            "Health checks failed with these codes: [502]",
        )

    pytest.MonkeyPatch().setattr(elbv2_models.FakeTargetGroup, "health_for", unhealthy)

    # Database timeout: the RDS rule removed by hand; the instance stopped
    group = ec2.describe_security_groups(GroupIds=[net["RdsSecurityGroupId"]])["SecurityGroups"][0]
    ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
    server.client("rds").stop_db_instance(DBInstanceIdentifier=outputs(server, cfg, "database")["DbInstanceIdentifier"])

    # Redis connection refused: an AUTH token ElastiCache would reject
    sm.put_secret_value(SecretId=naming.secret_name(cfg, "redis-auth"), SecretString='{"token": "too/short"}')

    # next checks: an alarm firing, an unconfirmed e-mail, a message in the DLQ
    server.client("cloudwatch").set_alarm_state(
        AlarmName="hana-dev-api-cpu", StateValue="ALARM", StateReason="Threshold Crossed: 2 datapoints > 80.0"
    )
    server.client("sns").subscribe(TopicArn=obs["AlarmTopicArn"], Protocol="email", Endpoint="oncall@example.com")
    sqs = server.client("sqs")
    url = sqs.get_queue_url(QueueName=msg["AgentRunsDlqName"])["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{}", MessageGroupId="g", MessageDeduplicationId="d1")


@pytest.fixture
def patched_health():
    """Undo the moto patch after the test."""
    from moto.elbv2 import models as elbv2_models

    original = elbv2_models.FakeTargetGroup.health_for
    yield
    elbv2_models.FakeTargetGroup.health_for = original


def test_doctor_names_each_common_issue_and_its_fix(emulator_server, patched_health):
    emulator_server.reset()
    run = local_run(emulator_server)
    cfg = config.get("dev")
    assert run("all").exit_code == 0
    break_everything(emulator_server, cfg)

    result = run("doctor", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    found = by_id(report)

    def failed(check: str, *evidence: str, fix: str | None = None) -> None:
        c = found[check]
        assert c["state"] == "fail", c
        text = "\n".join(c["evidence"])
        for e in evidence:
            assert e in text, (check, e, text)
        if fix is not None:
            assert c["fix"] == fix, c["fix"]
            assert_fix_pastes(c["fix"])

    cmd = "python -m deploy --env dev --local"
    failed(
        "restarting-tasks",
        "3 tasks stopped in the last hour (api 3)",
        "2x ResourceInitializationError: unable to pull secrets or registry auth",
        "1x Essential container in task exited",
        fix=f"{cmd} secrets list",
    )
    failed(
        "secrets",
        "hana/dev/anthropic-api-key: empty (read by api, workers",
        "hana/dev/openai-api-key: no JSON key api_key (the task definition reads it)",
    )
    assert found["secrets"]["fix"] == f"{cmd} secrets set anthropic-api-key"
    failed(
        "target-health",
        "hana-dev-api: target 10.0.10.5:3000 unhealthy (Target.ResponseCodeMismatch: Health checks failed",
        fix=f"{cmd} logs api --since 1h",
    )
    assert found["health-endpoint"]["state"] == "n/a"  # the emulator's load balancer serves no traffic
    failed("image", "hana-dev/api:latest is not in ECR", fix=f"{cmd} push --context APP_DIR")
    failed("rds-ingress", "has no rule allowing tcp 5432 from the ECS group")
    assert found["rds-ingress"]["fix"].startswith("aws ec2 authorize-security-group-ingress --group-id sg-")
    assert_fix_pastes(found["rds-ingress"]["fix"])
    assert found["redis-ingress"]["state"] == "pass"
    assert found["db-subnets"]["state"] == "pass"
    failed("rds-available", "hana-dev-postgres is stopped")
    failed("redis-auth", "hana/dev/redis-auth: the Redis AUTH token is 16-128 characters long (this is 9)")
    assert found["redis-auth"]["fix"] == f"{cmd} secrets set redis-auth --overwrite-generated"
    assert "too/short" not in result.stdout  # the token is never printed
    failed("alarms", "hana-dev-api-cpu in ALARM since ", "Threshold Crossed", fix=f"{cmd} logs api --since 1h")
    failed("dlq", "hana-dev-agent-runs-dlq.fifo holds 1 message", fix=f"{cmd} logs workers --since 1h --filter ERROR")
    sub = found["subscriptions"]
    assert sub["state"] in ("fail", "pass")  # moto may confirm e-mail subscriptions at once
    if sub["state"] == "fail":
        assert "oncall@example.com has not confirmed" in sub["evidence"][0]
    assert found["stacks"]["state"] == "pass"

    # the text form: one symbol per check, the fix under it, a summary line
    text = run("doctor")
    assert text.exit_code == 1
    assert "  ✘ image tags in ECR" in text.stdout and "  ✔ database subnets route" in text.stdout
    assert f"      fix: {cmd} push --context APP_DIR" in text.stdout
    assert text.stdout.rstrip().endswith("(nothing was changed)")


def test_doctor_passes_a_healthy_environment(emulator_server):
    emulator_server.reset()
    run = local_run(emulator_server)
    cfg = config.get("dev")
    assert run("all").exit_code == 0
    key = "sk-ant-api03-" + "Zz9" * 20
    assert run("secrets", "set", "anthropic-api-key", input=key).exit_code == 0
    ecr = emulator_server.client("ecr")
    ecr.put_image(
        repositoryName=naming.ecr_repository(cfg),
        imageManifest=json.dumps(
            {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}
        ),
        imageTag="latest",
    )
    result = run("doctor")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "✘" not in result.stdout
    assert key not in result.stdout + result.stderr


def stack(status: str, drift: str = "IN_SYNC", reason: str = "") -> dict[str, Any]:
    return {"StackStatus": status, "StackStatusReason": reason, "DriftInformation": {"StackDriftStatus": drift}}


@pytest.mark.parametrize(
    ("live", "evidence", "fix"),
    [
        pytest.param({"network": None}, "hana-dev-network is not deployed", "stack network", id="missing"),
        pytest.param(
            {"network": stack("UPDATE_ROLLBACK_FAILED", reason="Resource failed")},
            "hana-dev-network is UPDATE_ROLLBACK_FAILED: Resource failed",
            "stack network --continue-rollback",
            id="rollback-failed",
        ),
        pytest.param(
            {"network": stack("ROLLBACK_COMPLETE")}, "is ROLLBACK_COMPLETE", "stack network", id="create-failed"
        ),
        pytest.param(
            {"network": stack("UPDATE_COMPLETE", drift="DRIFTED")},
            "drifted (last detection)",
            "drift network",
            id="drifted",
        ),
    ],
)
def test_failed_missing_or_drifted_stacks(live, evidence, fix):
    doc = checks.Doctor(
        ops=None, stacks=live, stack_names={"network": "hana-dev-network"}, command="python -m deploy --env dev"
    )  # type: ignore[arg-type]
    check = checks.Check("stacks", "Next checks", "stacks")
    doc.stack_states(check)
    assert check.state == "fail" and evidence in check.evidence[0]
    assert check.fix == f"python -m deploy --env dev {fix}"
    assert parse(shlex.split(check.fix)[3:])


def no_aws(settings, region):
    raise AssertionError("bad input must not reach AWS")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["events", "web"], "error: unknown service 'web'; allowed: api, ws, workers"),
        (["events", "-n", "0"], "error: Invalid value for '-n' / '--limit': 0 is not in the range 1<=x<=100"),
        (["stopped", "--since", "yesterday"], "error: --since 'yesterday': expected a duration such as 10m, 1h, 2d"),
        (["drift", "nope"], "error: unknown stack 'nope'; valid stacks: storage, compute"),
        (["secrets", "get", "nope"], "error: unknown secret 'nope'; the secrets are: anthropic-api-key"),
    ],
    ids=["events-service", "events-limit", "stopped-since", "drift-stack", "secrets-get-name"],
)
def test_bad_input_is_one_line_and_sends_nothing(tmp_path, args, message):
    project = make_project(tmp_path, "dev")
    app = App(project_factory=lambda env: project, aws_factory=no_aws, timing=fast(), interactive=lambda: False)
    result = CliRunner().invoke(cli, args, obj=app)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), lines
