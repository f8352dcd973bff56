"""The AWS rules the emulator enforces (docs/emulator.md, "AWS rules"): a template AWS would reject
is rejected here too, the way AWS does it (the resource fails, the stack rolls back, the event
carries AWS's reason)."""

from __future__ import annotations

import pytest

from tests.emulator.helpers import apply_stack, events


def _fargate(arch: str = "X86_64", os_family: str = "LINUX", cpu: str = "512", memory: str = "1024") -> dict:
    return {
        "Type": "AWS::ECS::TaskDefinition",
        "Properties": {
            "Family": "rules",
            "Cpu": cpu,
            "Memory": memory,
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "RuntimePlatform": {"CpuArchitecture": arch, "OperatingSystemFamily": os_family},
            "ContainerDefinitions": [{"Name": "app", "Image": "public.ecr.aws/docker/library/busybox:latest"}],
        },
    }


def _service(task: dict, provider: str = "FARGATE_SPOT", platform: str = "LATEST") -> dict:
    return {
        "Resources": {
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "rules"}},
            "Task": task,
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "Cluster": {"Ref": "Cluster"},
                    "TaskDefinition": {"Ref": "Task"},
                    "DesiredCount": 0,
                    "PlatformVersion": platform,
                    "CapacityProviderStrategy": [{"CapacityProvider": provider, "Weight": 1}],
                },
            },
        }
    }


def _failure(cfn, name: str) -> str:
    return next(reason for logical, status, reason in events(cfn, name) if status == "CREATE_FAILED")


@pytest.mark.parametrize(
    ("arch", "platform"),
    [("ARM64", "LATEST"), ("ARM64", "1.4.0"), ("X86_64", "1.3.0"), ("X86_64", "LATEST")],
    ids=["arm64-latest", "arm64-1.4.0", "x86-1.3.0", "x86-latest"],
)
def test_fargate_spot_accepts_linux_tasks_on_their_platform_versions(cfn, arch, platform):
    # ECS API Reference, CapacityProviderStrategyItem: X86_64 on 1.3.0 or later, ARM64 on 1.4.0 or later.
    assert apply_stack(cfn, "spot-ok", _service(_fargate(arch), platform=platform))["StackStatus"] == "CREATE_COMPLETE"


def test_fargate_spot_rejects_an_arm64_task_below_platform_1_4_0(cfn):
    stack = apply_stack(cfn, "spot-arm", _service(_fargate("ARM64"), platform="1.3.0"))
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "ARM64 architecture on platform version 1.4.0 or later" in _failure(cfn, "spot-arm")


def test_fargate_spot_rejects_windows_tasks(cfn):
    task = _fargate("X86_64", "WINDOWS_SERVER_2022_CORE", cpu="1024", memory="2048")
    stack = apply_stack(cfn, "spot-win", _service(task))
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "not supported for Windows" in _failure(cfn, "spot-win")


def test_on_demand_fargate_takes_any_architecture(cfn):
    stack = apply_stack(cfn, "od-arm", _service(_fargate("ARM64"), provider="FARGATE", platform="1.3.0"))
    assert stack["StackStatus"] == "CREATE_COMPLETE"


def test_a_fargate_task_definition_needs_a_size_fargate_offers(cfn):
    stack = apply_stack(cfn, "size", {"Resources": {"Task": _fargate(cpu="512", memory="8192")}})
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "No Fargate configuration exists for given values: 512 CPU, 8192 memory." in _failure(cfn, "size")


def test_the_emulator_prices_a_string_and_label_match_rule_as_aws_does():
    """WAF string-match WCUs (AWS WAF developer guide, waf-rule-statement-type-string-match):
    exact/starts/ends 2, contains 10, +10 per text transformation; AND/OR/NOT add nothing."""
    from hana_emulator.models.wafv2 import statement_capacity

    def match(position: str, transforms: int = 0) -> dict:
        kinds = [{"Priority": i, "Type": "LOWERCASE"} for i in range(transforms)] or [{"Priority": 0, "Type": "NONE"}]
        return {
            "ByteMatchStatement": {
                "PositionalConstraint": position,
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": kinds,
            }
        }

    label = {"LabelMatchStatement": {"Scope": "LABEL", "Key": "awswaf:managed:aws:sql-database:SQLi_Body"}}
    assert statement_capacity(match("STARTS_WITH")) == 2
    assert statement_capacity(match("CONTAINS")) == 10
    assert statement_capacity(match("EXACTLY", transforms=2)) == 22
    rule = {
        "AndStatement": {
            "Statements": [
                {"OrStatement": {"Statements": [label, label]}},
                {"NotStatement": {"Statement": match("STARTS_WITH")}},
            ]
        }
    }
    assert statement_capacity(rule) == 4


def test_the_emulator_and_the_docs_agree_on_our_web_acls_capacity():
    import re
    from pathlib import Path

    import yaml

    from hana_emulator.models.wafv2 import web_acl_capacity

    root = Path(__file__).resolve().parents[2]
    documented = int(re.search(r"uses (\d+) of the default 1,500 WCU", (root / "docs/choices.md").read_text()).group(1))
    for env in ("dev", "prod", "lean-dev"):
        acl = next(
            r
            for r in yaml.safe_load((root / f"out/{env}/waf.yaml").read_text())["Resources"].values()
            if r["Type"] == "AWS::WAFv2::WebACL"
        )
        assert web_acl_capacity(acl["Properties"]["Rules"]) == documented, env


def _logged_to(lock: bool) -> dict:
    """A bucket writing its access logs into another bucket, with or without Object Lock there."""
    target = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "rules-logs", "ObjectLockEnabled": lock}}
    return {
        "Resources": {
            "Logs": target,
            "Data": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": "rules-data",
                    "LoggingConfiguration": {"DestinationBucketName": {"Ref": "Logs"}, "LogFilePrefix": "s3/"},
                },
            },
        }
    }


def test_a_bucket_with_object_lock_is_refused_as_a_server_access_log_destination(cfn, emu):
    # S3 User Guide, Configuring S3 Object Lock: "S3 buckets with Object Lock can't be used as
    # destination buckets for server access logs" (the reason storage.yaml's logs bucket has none).
    assert apply_stack(cfn, "logs-plain", _logged_to(lock=False))["StackStatus"] == "CREATE_COMPLETE"
    cfn.delete_stack(StackName="logs-plain")
    failed = apply_stack(cfn, "logs-locked", _logged_to(lock=True))
    assert failed["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "Object Lock" in _failure(cfn, "logs-locked")


def test_a_new_task_definition_or_forced_deployment_starts_a_new_primary_deployment(cfn, emu):
    # ECS Developer Guide, "Updating an Amazon ECS service": a new task definition revision or
    # forceNewDeployment starts a new deployment, which becomes PRIMARY; a count change does not.
    ecs = emu.client("ecs")

    def primary() -> dict:
        service = ecs.describe_services(cluster="rules", services=[svc_arn])["services"][0]
        (only,) = [d for d in service["deployments"] if d["status"] == "PRIMARY"]
        return {**only, "service_td": service["taskDefinition"]}

    assert apply_stack(cfn, "deploys", _service(_fargate(), provider="FARGATE"))["StackStatus"] == "CREATE_COMPLETE"
    svc_arn = ecs.list_services(cluster="rules")["serviceArns"][0]
    first = primary()

    updated = apply_stack(cfn, "deploys", _service(_fargate(memory="2048"), provider="FARGATE"))
    assert updated["StackStatus"] == "UPDATE_COMPLETE"
    second = primary()
    assert second["id"] != first["id"]
    assert second["taskDefinition"] == second["service_td"] != first["taskDefinition"]

    ecs.update_service(cluster="rules", service=svc_arn, desiredCount=2)
    scaled = primary()
    assert scaled["id"] == second["id"] and (scaled["desiredCount"], scaled["runningCount"]) == (2, 2)

    ecs.update_service(cluster="rules", service=svc_arn, forceNewDeployment=True)
    forced = primary()
    assert forced["id"] != second["id"] and forced["taskDefinition"] == second["taskDefinition"]
