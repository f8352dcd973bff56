"""The teardown paths with `--local` over the real stacks of out/<env>/ (issue 12): prod's delete either
refuses before touching anything or, with --lift-protection, completes; a DELETE_FAILED stack gets a
command-level way out (--retain); a nested `main` deployment is seen by status and outputs and deleted."""

from __future__ import annotations

from typing import Any

import deploy.engine.teardown as teardown
from hana_templates import config, naming
from tests.ops.test_local_e2e import run  # noqa: F401 - the fixture


def _stacks(server: Any) -> dict[str, str]:
    cfn = server.client("cloudformation")
    return {s["StackName"]: s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]}


def _deploy(run: Any, server: Any, env: str, command: str = "all") -> config.EnvConfig:  # noqa: F811
    cfg = config.get(env)
    if cfg.domain:
        server.add_hosted_zone(cfg.domain.name.split(".", 1)[1], cfg.domain.hosted_zone_id)
    done = run("--env", env, command)
    assert done.code == 0, done.stdout + done.stderr
    return cfg


def _protections(server: Any) -> tuple[bool, bool]:
    rds = server.client("rds").describe_db_instances()["DBInstances"]
    elbv2 = server.client("elbv2")
    arn = elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    attrs = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    return rds[0]["DeletionProtection"], attrs["deletion_protection.enabled"] == "true"


def test_prod_teardown_refuses_before_touching_anything_then_completes_with_lift_protection(
    run,  # noqa: F811
    emulator_server,
):
    _deploy(run, emulator_server, "prod")
    before = _stacks(emulator_server)
    assert len(before) == 9 and set(before.values()) == {"CREATE_COMPLETE"}
    assert _protections(emulator_server) == (True, True)

    refused = run("--env", "prod", "delete", "--yes", "--confirm-prod")
    assert refused.code == 2, refused.stdout + refused.stderr
    assert "blocks the delete: hana-prod-database/Database: RDS deletion protection" in refused.stderr
    assert "blocks the delete: hana-prod-compute/Alb: ALB deletion protection" in refused.stderr
    hint = "`python -m deploy --env prod --local delete --confirm-prod --lift-protection`"
    assert "nothing was deleted" in refused.stderr and hint in refused.stderr
    assert _stacks(emulator_server) == before  # nothing touched: every stack, every protection
    assert _protections(emulator_server) == (True, True)

    done = run("--env", "prod", "delete", "--yes", "--confirm-prod", "--lift-protection")
    assert done.code == 0, done.stdout + done.stderr
    assert "deletion protection off (Alb)" in done.stderr and "deletion protection off (Database)" in done.stderr
    assert _stacks(emulator_server) == {}
    assert emulator_server.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    # the final snapshot was still taken (DeletionPolicy Snapshot)
    assert emulator_server.client("rds").describe_db_snapshots()["DBSnapshots"]


def test_a_delete_failed_stack_gets_a_command_level_way_out(run, emulator_server, monkeypatch):  # noqa: F811
    _deploy(run, emulator_server, "dev")
    elbv2 = emulator_server.client("elbv2")
    arn = elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    # switched on by hand after the check (a race the check cannot see): the delete stops at compute
    real_blockers = teardown.blockers

    def protect_then_check(aws: Any, stacks: dict[str, str], **kw: Any) -> list:
        found = real_blockers(aws, stacks, **kw)
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}]
        )
        return found

    monkeypatch.setattr(teardown, "blockers", protect_then_check)
    failed = run("--env", "dev", "delete", "--yes")
    monkeypatch.setattr(teardown, "blockers", real_blockers)
    assert failed.code == 1
    assert _stacks(emulator_server)["hana-dev-compute"] == "DELETE_FAILED"
    hint = "`python -m deploy --env dev --local delete --retain Alb`"
    assert hint in failed.stdout + failed.stderr

    kept = run("--env", "dev", "delete", "--yes", "--retain", "Alb")
    assert kept.code == 0, kept.stdout + kept.stderr
    assert _stacks(emulator_server) == {}
    assert [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]] == [arn]


def test_a_nested_deployment_is_seen_by_status_and_outputs_and_deleted(run, emulator_server):  # noqa: F811
    cfg = _deploy(run, emulator_server, "dev", "main")
    status = run("--env", "dev", "status")
    assert status.code == 0, status.stderr
    assert "NOT DEPLOYED" not in status.stdout
    assert "hana-dev-Compute-" in status.stdout
    outputs = run("--env", "dev", "outputs", "compute", "--json")
    assert outputs.code == 0, outputs.stderr
    assert "ClusterName" in outputs.stdout and naming.prefix(cfg) in outputs.stdout
    plan = run("--env", "dev", "plan")
    assert plan.code == 0, plan.stdout + plan.stderr
    assert " new" not in plan.stdout and "hana-dev-Network-" in plan.stdout
    done = run("--env", "dev", "delete", "--yes")
    assert done.code == 0, done.stdout + done.stderr
    assert _stacks(emulator_server) == {}
