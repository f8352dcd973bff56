"""Preflight (deploy/engine/preflight.py): what AWS would reject mid-deploy is found before the
first write. Real-AWS answers come from botocore Stubber (what the emulator lacks); the commands
run end to end on the emulator."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from deploy.commands import App, cli
from deploy.engine import preflight
from deploy.engine.project import Project
from hana_templates import config, naming
from tests.deploy.conftest import moto_aws


class StubAws:
    """An Aws stand-in for a *real* account: stubbed clients, no endpoint, a fixed identity."""

    def __init__(self, region: str = "us-east-1", account: str = "111122223333"):
        self.region = region
        self.settings = type("S", (), {"local": False, "emulator": False})()
        self._session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=region)
        self.clients: dict[str, Any] = {}
        self.stubs: dict[str, Stubber] = {}
        self.account = account

    def client(self, service: str) -> Any:
        if service not in self.clients:  # a test may put its own fake there first
            self.clients[service] = self._session.client(service, region_name=self.region)
            self.stubs[service] = Stubber(self.clients[service])
            self.stubs[service].activate()
        return self.clients[service]

    def stub(self, service: str) -> Stubber:
        self.client(service)
        return self.stubs[service]

    def identity(self) -> Any:
        return type("I", (), {"account": self.account, "principal": "role Admin (SSO)"})()


def ctx(env: str, aws: Any, keys: list[str], live: dict | None = None, project: Any = None) -> preflight.Context:
    project = project or Project.default(env)
    return preflight.Context(project, aws, keys, False, {}, live or {k: None for k in keys})


# --- defect 5: account pinning ----------------------------------------------------------------------


def test_prod_never_deploys_to_an_unpinned_account():
    assert config.get("prod").account_id is None  # as shipped
    [item] = preflight.check_account(ctx("prod", StubAws(), ["network"]))
    assert "not pinned" in item.what and "account_id=" in item.fix and "111122223333" in item.why


def test_an_unpinned_dev_deploy_says_once_which_account_it_changes():
    aws = StubAws()
    aws.stub("cloudformation").add_client_error("describe_stacks", "ValidationError", "Stack does not exist")
    report = preflight.run(Project.default("dev"), aws, ["messaging"], checks={"account": preflight.check_account})
    assert report.ok
    assert len(report.notes) == 1 and "changes account 111122223333" in report.notes[0]


# --- defect 4: prod's hosted zone -------------------------------------------------------------------


def test_prods_placeholder_zone_is_refused_before_anything_is_asked():
    [item] = preflight.check_domain(ctx("prod", StubAws(), ["compute"]))
    assert preflight.PLACEHOLDER_ZONE in item.what and "hosted_zone_id=" in item.fix


def test_a_zone_that_does_not_serve_the_domain_is_refused():
    cfg = config.get("prod")
    real = Project.default("prod")
    real.cfg = config.EnvConfig(**{**cfg.__dict__, "domain": config.Domain("api.hana.example.com", "Z123")})
    aws = StubAws()
    aws.stub("route53").add_response(
        "get_hosted_zone",
        {
            "HostedZone": {"Id": "/hostedzone/Z123", "Name": "other.org.", "CallerReference": "x"},
            "DelegationSet": {"NameServers": ["ns"]},
        },
        {"Id": "Z123"},
    )
    [item] = preflight.check_domain(ctx("prod", aws, ["compute"], project=real))
    assert "does not serve api.hana.example.com" in item.what


# --- defect 3: the live engine version ----------------------------------------------------------------


def _orderable(aws: StubAws, version: str, klass: str, zones=("us-east-1a", "us-east-1b")) -> None:
    aws.stub("rds").add_response(
        "describe_orderable_db_instance_options",
        {
            "OrderableDBInstanceOptions": [
                {
                    "Engine": "postgres",
                    "EngineVersion": version,
                    "DBInstanceClass": klass,
                    "AvailabilityZones": [{"Name": z} for z in zones],
                }
            ]
        },
    )
    aws.stub("ec2").add_response(
        "describe_availability_zones",
        {"AvailabilityZones": [{"ZoneName": z, "State": "available"} for z in ("us-east-1a", "us-east-1b")]},
    )


def test_a_live_engine_version_newer_than_the_template_names_the_config_value_to_bump():
    cfg = config.get("dev")
    aws = StubAws()
    _orderable(aws, cfg.database.engine_version, cfg.database.instance_class)
    aws.stub("rds").add_response(
        "describe_db_instances", {"DBInstances": [{"DBInstanceIdentifier": "hana-dev-db", "EngineVersion": "16.16"}]}
    )
    [item] = preflight.check_database(ctx("dev", aws, ["database"]))
    assert "16.16, newer than the template's 16.15" in item.what
    assert item.fix.startswith('set database.engine_version = "16.16" for dev')


def test_an_engine_version_not_orderable_in_the_region_is_refused():
    aws = StubAws(region="eu-south-2")
    aws.stub("rds").add_response("describe_orderable_db_instance_options", {"OrderableDBInstanceOptions": []})
    aws.stub("rds").add_client_error("describe_db_instances", "DBInstanceNotFound", "none")
    [item] = preflight.check_database(ctx("dev", aws, ["database"]))
    assert "not orderable in eu-south-2" in item.what


def test_a_class_missing_from_one_of_the_environments_zones_is_refused():
    cfg = config.get("dev")
    aws = StubAws()
    _orderable(aws, cfg.database.engine_version, cfg.database.instance_class, zones=("us-east-1a",))
    aws.stub("rds").add_client_error("describe_db_instances", "DBInstanceNotFound", "none")
    [item] = preflight.check_database(ctx("dev", aws, ["database"]))
    assert "not offered in us-east-1b" in item.what


def test_cache_engine_version_and_node_type_must_exist():
    aws = StubAws()
    aws.stub("elasticache").add_response("describe_cache_engine_versions", {"CacheEngineVersions": []})
    aws.stub("elasticache").add_response("describe_reserved_cache_nodes_offerings", {"ReservedCacheNodesOfferings": []})
    items = preflight.check_cache(ctx("dev", aws, ["database"]))
    assert [i.check for i in items] == ["cache", "cache"]
    assert "7.1 does not exist" in items[0].what and "cache.t4g.medium is not offered" in items[1].what


# --- fargate ------------------------------------------------------------------------------------------


class Edited:
    """A Project whose compute template is edited in memory."""

    def __init__(self, env: str, edit):
        self.real = Project.default(env)
        self.cfg = self.real.cfg
        self.body = copy.deepcopy(self.real.template("compute"))
        edit(self.body["Resources"])

    def template(self, key: str) -> dict:
        return self.body if key == "compute" else self.real.template(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_every_environment_runs_its_fargate_tasks_where_fargate_can():
    for env in config.ENVIRONMENTS:
        assert preflight.check_fargate(ctx(env, StubAws(), ["compute"])) == [], env


def test_an_arm64_spot_service_below_platform_1_4_0_is_refused():
    assert config.get("lean-dev").savings.graviton and config.get("lean-dev").savings.workers_spot

    def old_platform(resources: dict) -> None:
        resources["WorkersService"]["Properties"]["PlatformVersion"] = "1.3.0"

    [item] = preflight.check_fargate(ctx("lean-dev", StubAws(), ["compute"], project=Edited("lean-dev", old_platform)))
    assert "ARM64 task on FARGATE_SPOT" in item.what and "1.4.0 or later" in item.why


def test_a_task_size_fargate_does_not_offer_is_refused():
    def too_much(resources: dict) -> None:
        resources["ApiTaskDefinition"]["Properties"]["Memory"] = "8192"

    [item] = preflight.check_fargate(ctx("dev", StubAws(), ["compute"], project=Edited("dev", too_much)))
    assert "512 CPU with 8192 MiB" in item.what


# --- quotas, names, image -------------------------------------------------------------------------------


def test_a_first_deploy_needs_headroom_for_its_vpc():
    aws = StubAws()
    ec2 = aws.stub("ec2")
    ec2.add_response("describe_vpcs", {"Vpcs": [{"VpcId": f"vpc-{n}"} for n in range(5)]})
    ec2.add_response("describe_addresses", {"Addresses": []})
    ec2.add_response("describe_nat_gateways", {"NatGateways": []})
    sq = aws.stub("service-quotas")
    for _ in range(4):  # VPCs, Elastic IPs, NAT per AZ, interface endpoints: the documented defaults
        sq.add_client_error("get_service_quota", "NoSuchResourceException", "no applied value")
        sq.add_client_error("get_aws_default_service_quota", "NoSuchResourceException", "none")
    items = preflight.check_quotas(ctx("dev", aws, ["network"]))
    assert [i.what for i in items] == ["VPCs per Region: 5 in use + 1 to add > quota 5"]
    assert "--quota-code L-F678F1CE --desired-value 6" in items[0].fix


def test_names_taken_outside_the_stacks_are_listed_with_a_way_out():
    from tests.deploy.fakes import client_error

    aws = StubAws()
    names = [p["Name"] for _, _, p in ctx("dev", aws, ["secrets"]).resources("AWS::SecretsManager::Secret")]
    taken = names[0]

    class Secrets:  # answers by name: the checks run in parallel, so no call order
        def describe_secret(self, SecretId: str) -> dict:  # noqa: N803 - boto3's keyword
            if SecretId == taken:
                return {"Name": taken, "ARN": f"arn:{taken}", "DeletedDate": datetime(2026, 1, 1, tzinfo=UTC)}
            raise client_error("ResourceNotFoundException", "no such secret", "DescribeSecret")

    aws.clients["secretsmanager"] = Secrets()
    # the one lookup (kept.py) also finds the stack's KMS key for the deploy: none kept here
    aws.stub("kms").add_response("list_keys", {"Keys": []})
    aws.stub("kms").add_response("list_aliases", {"Aliases": [{"AliasName": "alias/other"}]})
    items = preflight.check_names(ctx("dev", aws, ["secrets"]))
    assert [i.what for i in items] == [f"SecretsManager::Secret {taken} already exists outside stack hana-dev-secrets"]
    assert "scheduled for deletion" in items[0].fix and "all --adopt` (restores it first)" in items[0].fix


def test_a_service_asked_to_run_tasks_needs_its_image_in_ecr():
    aws = StubAws()
    live = {
        "compute": {
            "StackStatus": "UPDATE_COMPLETE",
            "Parameters": [
                {"ParameterKey": "ImageTag", "ParameterValue": "abc123"},
                {
                    "ParameterKey": "EcrRepositoryUri",
                    "ParameterValue": "111122223333.dkr.ecr.us-east-1.amazonaws.com/hana-dev",
                },
            ],
            "Outputs": [
                {"OutputKey": "ClusterName", "OutputValue": "hana-dev"},
                {"OutputKey": "ApiServiceName", "OutputValue": "hana-dev-api"},
            ],
        }
    }
    aws.stub("ecs").add_response(
        "describe_services", {"services": [{"serviceName": "hana-dev-api", "desiredCount": 1}]}
    )
    aws.stub("ecr").add_client_error("describe_images", "ImageNotFoundException", "no such image")
    [item] = preflight.check_image(ctx("dev", aws, ["compute"], live=live))
    assert item.what == "image hana-dev:abc123 is not in ECR"
    assert "push --tag abc123" in item.fix


def test_a_first_deploy_runs_no_task_so_needs_no_image():
    assert preflight.check_image(ctx("dev", StubAws(), ["compute"])) == []


# --- on the emulator, through the commands -----------------------------------------------------------------


def _app(url: str, env: str) -> App:
    aws = moto_aws(url, env)
    return App(project_factory=Project.default, aws_factory=lambda settings, region: aws, interactive=lambda: False)


def test_every_environment_passes_preflight_on_the_emulator(moto, emulator_server):
    for env in config.ENVIRONMENTS:
        cfg = config.get(env)
        if cfg.domain:
            emulator_server.add_hosted_zone(cfg.domain.name.split(".", 1)[1], cfg.domain.hosted_zone_id)
        report = preflight.run(Project.default(env), moto_aws(moto, env))
        assert report.ok, report.checklist()


def test_a_failed_preflight_stops_with_a_checklist_and_writes_nothing(moto, emulator_server):
    result = CliRunner().invoke(cli, ["--env", "prod", "all"], obj=_app(moto, "prod"))
    assert result.exit_code == 2, result.output
    assert "[domain] hosted zone Z0000000000EXAMPLE does not exist" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: preflight found 1 problem")
    session = emulator_server.session()
    cfn = session.client("cloudformation", endpoint_url=moto)
    assert cfn.describe_stacks()["Stacks"] == []
    ssm = session.client("ssm", endpoint_url=moto)
    assert ssm.describe_parameters()["Parameters"] == [], "the deploy lock was taken"


def test_skip_preflight_is_there_for_emergencies(moto):
    app = _app(moto, "dev")
    result = CliRunner().invoke(cli, ["stack", "messaging", "--skip-preflight"], obj=app)
    assert result.exit_code == 0, result.output
    assert "preflight skipped" in result.stderr


def test_the_local_emulator_holds_every_configured_hosted_zone():
    from deploy.commands.local import hosted_zones

    prod = config.get("prod")
    assert hosted_zones()[prod.domain.hosted_zone_id] == "hana.example.com"
    assert naming.prefix(prod) == "hana-prod"


@pytest.mark.parametrize("env", ["prod"])
def test_local_serve_creates_the_zones_it_is_given(env):
    import threading

    import hana_emulator.local as local
    from hana_emulator.client import ACCOUNT_ID

    stop = threading.Event()
    seen: list[str] = []

    def echo(line: str) -> None:
        if "listening" in line:
            from moto.route53.models import route53_backends

            seen.extend(route53_backends[ACCOUNT_ID]["aws"].zones)
            stop.set()

    zone = config.get(env).domain.hosted_zone_id
    local.serve(port=0, echo=echo, stop=stop, hosted_zones={zone: "hana.example.com"})
    assert zone in seen
