"""End to end on the emulator: `python -m deploy ... --local` over the real out/<env>/ templates.

Every registered stack is created with the spec's resources visible through the service APIs,
a re-run changes nothing, `plan` after a config change shows it, `main` deploys the nested
stack, a failing resource rolls back and is reported, and `delete` removes everything in reverse
order (what a DeletionPolicy keeps stays). Expectations come from the environment's config.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import hana_emulator as emulator
from deploy.commands import App, cli
from deploy.engine.project import Project
from hana_emulator.client import URL_VARIABLE
from hana_templates import config, naming, registry
from hana_templates.render import render_environment

OUT = Path(__file__).resolve().parents[2] / "out"


@dataclasses.dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def deploy(emu: emulator.Emulator) -> Callable[..., Run]:
    """`python -m deploy <args> --local` in this process, against the test's emulator."""
    env = {**emulator.client_env(emu.url), URL_VARIABLE: emu.url, **{k: None for k in emulator.LOCAL_ENV_UNSET}}

    def run(*args: str, project: Project | None = None) -> Run:
        app = App(interactive=lambda: False, project_factory=(lambda _env: project) if project else None)
        result = CliRunner().invoke(cli, [*args, "--local"], env=env, obj=app)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def cfg(env: str, emu: emulator.Emulator) -> Iterator[config.EnvConfig]:
    cfg = config.get(env)
    if cfg.domain:  # the environment's hosted zone exists in its account before anything deploys
        emu.add_hosted_zone(cfg.domain.name.split(".", 1)[1], cfg.domain.hosted_zone_id)
    yield cfg


def _stacks(cfn: Any) -> dict[str, str]:
    return {s["StackName"]: s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]}


def _outputs(cfn: Any, name: str) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


# --- what each stack must have put into the service backends -------------------------------------


def _network(emu: emulator.Emulator, cfg: config.EnvConfig, out: dict[str, str]) -> None:
    ec2 = emu.client("ec2")
    vpc = ec2.describe_vpcs(VpcIds=[out["VpcId"]])["Vpcs"][0]
    assert vpc["CidrBlock"] == cfg.network.vpc_cidr
    by_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    cidrs = {s["CidrBlock"] for s in ec2.describe_subnets(Filters=by_vpc)["Subnets"]}
    net = cfg.network
    assert cidrs == {*net.public_subnets, *net.private_subnets, *net.database_subnets}
    nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] == "available"]
    assert len(nats) == net.nat_gateways
    groups = {g["GroupId"]: g for g in ec2.describe_security_groups(Filters=by_vpc)["SecurityGroups"]}
    names = {g["GroupName"] for g in groups.values()}
    assert {naming.name(cfg, role, "sg") for role in ("alb", "ecs", "rds", "redis")} <= names

    def peers(group_id: str) -> set[tuple[int, str]]:
        return {
            (p["FromPort"], pair["GroupId"])
            for p in groups[group_id]["IpPermissions"]
            for pair in p["UserIdGroupPairs"]
        }

    alb, ecs = out["AlbSecurityGroupId"], out["EcsSecurityGroupId"]
    assert {(3000, alb), (3001, alb)} <= peers(ecs)
    assert (5432, ecs) in peers(out["RdsSecurityGroupId"])
    assert (6379, ecs) in peers(out["RedisSecurityGroupId"])
    endpoints = [e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["State"] == "available"]
    services = {e["ServiceName"].rsplit(".", 1 if e["ServiceName"].endswith(".s3") else 2)[-1] for e in endpoints}
    assert len(endpoints) == len(net.interface_endpoints) + 1 and "s3" in services
    assert ec2.describe_flow_logs()["FlowLogs"]


def _storage(emu: emulator.Emulator, cfg: config.EnvConfig, out: dict[str, str]) -> None:
    repos = emu.client("ecr").describe_repositories()["repositories"]
    assert [r["repositoryName"] for r in repos] == [naming.ecr_repository(cfg)]
    s3 = emu.client("s3")
    for key in ("MediaBucketName", "ArtifactsBucketName", "LogsBucketName"):
        assert s3.get_bucket_versioning(Bucket=out[key])["Status"] == "Enabled"
        policy = json.loads(s3.get_bucket_policy(Bucket=out[key])["Policy"])
        assert any(st["Effect"] == "Deny" for st in policy["Statement"])


def _secrets(emu: emulator.Emulator, cfg: config.EnvConfig, out: dict[str, str]) -> None:
    names = {s["Name"] for s in emu.client("secretsmanager").list_secrets()["SecretList"]}
    assert names == {naming.secret_name(cfg, key) for key in naming.SECRET_KEYS}


def _messaging(emu: emulator.Emulator, cfg: config.EnvConfig, out: dict[str, str]) -> None:
    urls = emu.client("sqs").list_queues()["QueueUrls"]
    assert {u.rsplit("/", 1)[1] for u in urls} == {
        out["AgentRunsQueueName"],
        out["AgentRunsDlqName"],
        out["NotificationsQueueName"],
        out["NotificationsDlqName"],
    }
    sqs = emu.client("sqs")
    for queue, dlq in (("AgentRunsQueue", "AgentRunsDlq"), ("NotificationsQueue", "NotificationsDlq")):
        redrive = sqs.get_queue_attributes(QueueUrl=out[f"{queue}Url"], AttributeNames=["RedrivePolicy"])
        assert json.loads(redrive["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"] == out[f"{dlq}Arn"]


def _iam(emu: emulator.Emulator, cfg: config.EnvConfig, out: dict[str, str]) -> None:
    iam = emu.client("iam")
    for arn in out.values():
        assert iam.get_role(RoleName=arn.rsplit("/", 1)[1])["Role"]["Arn"] == arn


def _database(emu: emulator.Emulator, cfg: config.EnvConfig, out: dict[str, str]) -> None:
    instance = emu.client("rds").describe_db_instances(DBInstanceIdentifier=out["DbInstanceIdentifier"])
    instance = instance["DBInstances"][0]
    assert (instance["Engine"], instance["DBInstanceClass"]) == ("postgres", cfg.database.instance_class)
    assert instance["MultiAZ"] == cfg.database.multi_az and instance["StorageEncrypted"]
    assert (instance["Endpoint"]["Address"], str(instance["Endpoint"]["Port"])) == (
        out["DbEndpointAddress"],
        out["DbEndpointPort"],
    )
    group = emu.client("elasticache").describe_replication_groups(ReplicationGroupId=out["RedisReplicationGroupId"])
    group = group["ReplicationGroups"][0]
    assert group["CacheNodeType"] == cfg.cache.node_type
    assert len(group["MemberClusters"]) == 1 + cfg.cache.replicas
    assert group["TransitEncryptionEnabled"] and group["AtRestEncryptionEnabled"]
    assert group["NodeGroups"][0]["PrimaryEndpoint"]["Address"] == out["RedisPrimaryEndpointAddress"]


def _compute(emu: emulator.Emulator, cfg: config.EnvConfig, out: dict[str, str]) -> None:
    ecs = emu.client("ecs")
    cluster = out["ClusterName"]
    names = [out["ApiServiceName"], out["WsServiceName"], out["WorkersServiceName"]]
    services = ecs.describe_services(cluster=cluster, services=names)["services"]
    assert {s["serviceName"] for s in services} == {naming.name(cfg, s.name) for s in cfg.services}
    elb = emu.client("elbv2")
    alb = elb.describe_load_balancers(LoadBalancerArns=[out["AlbArn"]])["LoadBalancers"][0]
    assert alb["Scheme"] == "internet-facing" and alb["DNSName"] == out["AlbDnsName"]
    paths = set()
    for listener in elb.describe_listeners(LoadBalancerArn=out["AlbArn"])["Listeners"]:
        for rule in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
            for condition in rule["Conditions"]:
                paths.update(condition.get("Values") or condition.get("PathPatternConfig", {}).get("Values", []))
    assert {"/api/*", "/health", "/v1/*", "/ws/*", "/socket.io/*"} <= paths
    if any(s.autoscaling for s in cfg.services):
        targets = emu.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")
        assert {t["ResourceId"].rsplit("/", 1)[1] for t in targets["ScalableTargets"]} == {
            naming.name(cfg, s.name) for s in cfg.services if s.autoscaling
        }


def _waf(emu: emulator.Emulator, cfg: config.EnvConfig, out: dict[str, str]) -> None:
    waf = emu.client("wafv2")
    assert [a["ARN"] for a in waf.list_web_acls(Scope="REGIONAL")["WebACLs"]] == [out["WebAclArn"]]
    alb_arn = emu.client("elbv2").describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    assert waf.get_web_acl_for_resource(ResourceArn=alb_arn)["WebACL"]["ARN"] == out["WebAclArn"]
    assert waf.get_logging_configuration(ResourceArn=out["WebAclArn"])["LoggingConfiguration"]


def _observability(emu: emulator.Emulator, cfg: config.EnvConfig, out: dict[str, str]) -> None:
    assert emu.client("cloudwatch").get_dashboard(DashboardName=out["DashboardName"])["DashboardBody"]
    alarms = emu.client("cloudwatch").describe_alarms()["MetricAlarms"]
    ours = [a for a in alarms if out["AlarmTopicArn"] in a["AlarmActions"]]
    assert len(ours) >= 7  # the spec's seven, plus the ones the stack adds
    assert all(out["AlarmTopicArn"] in a["OKActions"] for a in ours)


CHECKS: dict[str, Callable[[emulator.Emulator, config.EnvConfig, dict[str, str]], None]] = {
    "network": _network,
    "storage": _storage,
    "secrets": _secrets,
    "messaging": _messaging,
    "iam": _iam,
    "database": _database,
    "compute": _compute,
    "waf": _waf,
    "observability": _observability,
}


def test_every_registered_stack_has_an_end_to_end_check():
    assert set(registry.STACKS) <= set(CHECKS), "add a check of the new stack's resources to CHECKS"


# --- the tests ---------------------------------------------------------------------------------------


def test_all_then_rerun_then_delete(deploy, emu, cfg):
    cfn = emu.client("cloudformation")
    order = registry.order()
    created = deploy("--env", cfg.name, "all")
    assert created.code == 0, created.text
    names = [naming.stack_name(cfg, k) for k in order]
    assert _stacks(cfn) == dict.fromkeys(names, "CREATE_COMPLETE")
    for key in order:
        CHECKS[key](emu, cfg, _outputs(cfn, naming.stack_name(cfg, key)))

    events = {n: len(cfn.describe_stack_events(StackName=n)["StackEvents"]) for n in names}
    again = deploy("--env", cfg.name, "all")
    assert again.code == 0, again.text
    assert f"{len(order)} unchanged" in again.text
    assert {n: len(cfn.describe_stack_events(StackName=n)["StackEvents"]) for n in names} == events
    assert cfn.list_change_sets(StackName=names[0])["Summaries"] == []

    flags = ["--confirm-prod"] if cfg.termination_protection else []
    deleted = deploy("--env", cfg.name, "delete", "--yes", *flags)
    if cfg.database.deletion_protection:
        # As in AWS, an RDS instance (and an ALB) with deletion protection on cannot be deleted: delete
        # finds that first and refuses before touching anything; --lift-protection lifts it, then deletes.
        assert deleted.code == 2
        assert "RDS deletion protection" in deleted.text and "nothing was deleted" in deleted.text
        assert set(_stacks(cfn)) == set(names)
        deleted = deploy("--env", cfg.name, "delete", "--yes", *flags, "--lift-protection")
    assert deleted.code == 0, deleted.text
    assert _stacks(cfn) == {}
    finished = {}
    for summary in cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]:
        finished[summary["StackName"]] = summary["DeletionTime"]
    assert set(finished) == set(names)
    for key in order:  # reverse dependency order: a stack goes only after every stack reading from it
        for reader in (k for k, spec in registry.STACKS.items() if key in spec.upstream):
            assert finished[naming.stack_name(cfg, reader)] <= finished[naming.stack_name(cfg, key)]
    ec2 = emu.client("ec2")
    assert [v for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    assert emu.client("rds").describe_db_instances()["DBInstances"] == []
    assert emu.client("elasticache").describe_replication_groups()["ReplicationGroups"] == []
    assert emu.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert emu.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"] == []
    assert len(emu.client("secretsmanager").list_secrets()["SecretList"]) == len(naming.SECRET_KEYS)  # Retain


def test_plan_after_a_config_change_shows_it_and_executes_nothing(deploy, emu, cfg, tmp_path):
    assert deploy("--env", cfg.name, "all").code == 0
    changed = dataclasses.replace(cfg, log_retention_days=30 if cfg.log_retention_days != 30 else 14)
    for filename, body in render_environment(changed).items():
        (tmp_path / cfg.name).mkdir(exist_ok=True)
        (tmp_path / cfg.name / filename).write_text(body)
    project = Project(changed, registry.STACKS, tmp_path)
    cfn = emu.client("cloudformation")
    before = _stacks(cfn)
    plan = deploy("--env", cfg.name, "plan", project=project)
    assert plan.code == 0, plan.text
    assert "AWS::Logs::LogGroup" in plan.stdout and "RetentionInDays" in plan.stdout
    assert "to change" in plan.stdout
    assert _stacks(cfn) == before
    assert all(not cfn.list_change_sets(StackName=n)["Summaries"] for n in before)


@pytest.mark.skipif(not (OUT / "dev" / "main.yaml").exists(), reason="main.yaml is not generated yet (issue #4)")
def test_main_deploys_the_nested_stack(deploy, emu, cfg):
    result = deploy("--env", cfg.name, "main")
    assert result.code == 0, result.text
    cfn = emu.client("cloudformation")
    root = cfn.describe_stacks(StackName=naming.stack_name(cfg, "main"))["Stacks"][0]
    assert root["StackStatus"] == "CREATE_COMPLETE"
    children = [s for s in cfn.describe_stacks()["Stacks"] if s.get("ParentId") == root["StackId"]]
    assert len(children) == len(registry.STACKS)
    assert all(s["StackStatus"] == "CREATE_COMPLETE" for s in children)
    assert deploy("--env", cfg.name, "main").code == 0  # and again: nothing to do
    if not cfg.database.deletion_protection:  # prod's database refuses deletion, as in AWS
        assert deploy("--env", cfg.name, "delete", "--yes").code == 0
        assert _stacks(cfn) == {}  # the child stacks went with the master: nothing orphaned


def test_a_kept_resource_is_refused_before_anything_is_written(deploy, emu, cfg):
    # A secret left behind by an earlier, deleted stack (DeletionPolicy RetainExceptOnCreate) holds
    # the name: `all` names it and `--adopt` before creating anything (it used to fail half-way).
    taken = naming.secret_name(cfg, naming.SECRET_KEYS[0])
    emu.client("secretsmanager").create_secret(Name=taken, SecretString="{}")
    caught = deploy("--env", cfg.name, "all")  # preflight finds it before anything is written
    assert caught.code == 2 and f"SecretsManager::Secret {taken} already exists" in caught.text
    assert _stacks(emu.client("cloudformation")) == {}
    result = deploy("--env", cfg.name, "all", "--skip-preflight")  # and the engine's own handling
    assert result.code == 1
    assert taken in result.stderr and "all --adopt`" in result.stderr and "nothing was changed" in result.stderr
    assert _stacks(emu.client("cloudformation")) == {}
    # A failing resource on the real stacks (rolled back, reported, the others go on, and the next
    # deploy retries it): tests/ops/test_recreate_e2e.py.
