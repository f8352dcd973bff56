"""Pricing rules on a synthetic template set shaped like the stacks, against figures computed by
hand here (unit prices from hana_cost/prices.py, 730 h a month, the usage assumptions' dev/prod
columns). These pin the rules themselves; test_environments.py prices the real templates."""

import dataclasses

import pytest

from hana_cost.errors import CostError
from hana_cost.estimate import estimate
from hana_cost.inventory import Inventory
from hana_cost.schedule import parse_cron, weekly_task_hours
from hana_templates import config
from tests.cost import synthetic


def _by_service(est, *, usage: bool) -> dict[str, float]:
    result: dict[str, float] = {}
    for ln in est.lines:
        if ln.usage == usage:
            result[ln.service] = result.get(ln.service, 0.0) + ln.monthly
    return result


def _approx(expected: dict[str, float]):
    return pytest.approx(expected, abs=0.005)


def test_dev_floor_and_usage_by_hand():
    est = estimate(config.get("dev"), Inventory(synthetic.templates()))
    floor = {
        "RDS PostgreSQL": 730 * 0.065 + 20 * 0.115,  # db.t4g.medium Single-AZ + 20 GB gp3 = 47.45 + 2.30
        "ElastiCache Redis": 1 * 730 * 0.065,  # one cache.t4g.medium = 47.45
        "ECS Fargate": 3 * 730 * (0.5 * 0.04048 + 1 * 0.004445),  # 3 services x 1 task x 0.5 vCPU/1 GB = 54.06
        "NAT Gateway": 730 * 0.045 + 730 * 0.005,  # 1 NAT + its Elastic IP = 32.85 + 3.65
        "Application Load Balancer": 730 * 0.0225 + 2 * 730 * 0.005,  # ALB + 2 node IPv4 = 16.43 + 7.30
        "VPC Endpoints": 4 * 2 * 730 * 0.01 + 0,  # 4 interface endpoints x 2 AZ = 58.40; S3 gateway free
        "CloudWatch": 10 * 0.10 + 3.00,  # 10 alarms + 1 dashboard
        "Secrets Manager": 7 * 0.40,  # 2.80
        "WAF": 5.00 + 5 * 1.00,  # WebACL + 5 rules
        "KMS": 5 * 1.00,  # network, secrets, storage, messaging, observability keys
    }
    assert _by_service(est, usage=False) == _approx(floor)
    assert est.floor == pytest.approx(sum(floor.values()), abs=0.01)  # 291.69

    retained = 7 / 30.4  # a 7-day log group holds 7/30.4 of a month's ingest
    usage = {
        "NAT Gateway": 20 * 0.045,  # nat_gb
        "Application Load Balancer": 0.5 * 730 * 0.008,  # alb_lcu
        "Data transfer": 10 * 0.09,  # transfer_out_gb
        "VPC Endpoints": 5 * 0.01,  # endpoint_gb
        "S3": 5 * 0.023 + 10 * 0.005,  # s3_gb + s3_put_1k
        "ECR": 2 * 0.10,
        "CloudWatch": (
            (3 + 2 + 0.5) * 0.50  # ingest: app_log_gb + flow_log_gb + waf_log_gb
            + (3 + 2 + 0.5) * retained * 0.03  # archive at steady state
            + (12 + 3 * (15 + 10)) * 0.30  # Container Insights: cluster + 3 x (service + family) metrics
            + 0.5 * 0.50  # ci_log_gb
        ),
        "Secrets Manager": 1 * 0.05,
        "SQS": 0.4 * 0.50 + 0.1 * 0.40,  # FIFO + standard requests
        "WAF": 1 * 0.60,
        "KMS": 5 * 0.03,
    }
    assert _by_service(est, usage=True) == _approx(usage)
    assert est.total == pytest.approx(sum(floor.values()) + sum(usage.values()), abs=0.01)


def test_prod_floor_by_hand_with_multi_az_replica_and_autoscaling_maximum():
    tmpl = synthetic.templates(
        prefix="hana-prod",
        nat=2,
        multi_az=True,
        db_class="db.r6g.large",
        storage_gb=100,
        cache_node="cache.r6g.large",
        cache_nodes=2,
        cpu="1024",
        memory="2048",
        domain=True,
    )
    est = estimate(config.get("prod"), Inventory(tmpl))
    task = 730 * (1 * 0.04048 + 2 * 0.004445)  # one 1 vCPU / 2 GB task all month = 36.04
    floor = {
        "RDS PostgreSQL": 2 * 730 * 0.225 + 2 * 100 * 0.115,  # Multi-AZ: 2 instances + 2 x 100 GB = 328.50 + 23.00
        "ElastiCache Redis": 2 * 730 * 0.206,  # primary + replica = 300.76
        "ECS Fargate": 3 * 2 * task,  # 3 services x 2 tasks (minimum) = 216.24
        "NAT Gateway": 2 * 730 * 0.045 + 2 * 730 * 0.005,  # 2 NATs + 2 Elastic IPs = 65.70 + 7.30
        "Application Load Balancer": 730 * 0.0225 + 2 * 730 * 0.005,
        "VPC Endpoints": 4 * 2 * 730 * 0.01,
        "CloudWatch": 10 * 0.10 + 3.00,
        "Secrets Manager": 7 * 0.40,
        "WAF": 5.00 + 5 * 1.00,
        "KMS": 5 * 1.00,
        "Route 53": 0.50,  # the existing zone of config.domain
        "ACM": 0.0,
    }
    assert _by_service(est, usage=False) == _approx(floor)
    assert est.total_at_max - est.total == pytest.approx(3 * (4 - 2) * task, abs=0.01)  # 4 tasks at the maximum
    usage = _by_service(est, usage=True)
    assert usage["NAT Gateway"] == pytest.approx(200 * 0.045)  # prod's nat_gb
    assert usage["Application Load Balancer"] == pytest.approx(2 * 730 * 0.008)  # prod's alb_lcu = 11.68


def test_graviton_spot_workers_and_working_hours_by_hand():
    tmpl = synthetic.templates(arch="ARM64", spot_workers=True, schedule=True)
    est = estimate(config.get("dev"), Inventory(tmpl))
    hours = 5 * 12 * 730 / 168  # Mon-Fri 08:00-20:00 = 60 h/week = 260.71 h/month
    arm_task = 0.5 * 0.03238 + 1 * 0.00356  # $/h of a 0.5 vCPU / 1 GB ARM64 task
    fargate = {ln.resource: ln.monthly for ln in est.lines if ln.service == "ECS Fargate"}
    assert fargate == _approx(
        {
            "hana-dev-api": hours * arm_task,  # 5.15
            "hana-dev-ws": hours * arm_task,
            "hana-dev-workers": hours * arm_task * (1 - 0.65),  # all on Spot at the assumed 65% off = 1.80
        }
    )
    (insights,) = [ln for ln in est.lines if ln.resource == "Container Insights"]
    assert insights.monthly == pytest.approx((12 + 3 * 25) * 60 / 168 * 0.30 + 0.5 * 0.50, abs=0.005)


def test_an_assumption_override_changes_only_its_lines():
    tmpl = Inventory(synthetic.templates())
    base = estimate(config.get("dev"), tmpl)
    from hana_cost import usage

    more = estimate(config.get("dev"), tmpl, usage=usage.for_env("dev", {"nat_gb": 120}))
    assert more.floor == pytest.approx(base.floor)
    assert more.usage_total - base.usage_total == pytest.approx((120 - 20) * 0.045)


def test_endpoints_bill_per_az_and_alb_nodes_per_subnet():
    tmpl = synthetic.templates()
    net = tmpl["network"]["Resources"]
    for res in net.values():
        if res["Properties"].get("VpcEndpointType") == "Interface":
            res["Properties"]["SubnetIds"] = [{"Ref": "PrivateSubnetA"}]  # one AZ
    tmpl["compute"]["Resources"]["LoadBalancer"]["Properties"]["Subnets"] = ["a", "b", "c"]
    est = estimate(config.get("dev"), Inventory(tmpl))
    by = _by_service(est, usage=False)
    assert by["VPC Endpoints"] == pytest.approx(4 * 1 * 730 * 0.01)
    assert by["Application Load Balancer"] == pytest.approx(730 * 0.0225 + 3 * 730 * 0.005)


def test_valkey_nodes_are_a_fifth_cheaper():
    tmpl = synthetic.templates()
    tmpl["database"]["Resources"]["Redis"]["Properties"]["Engine"] = "valkey"
    est = estimate(config.get("dev"), Inventory(tmpl))
    assert _by_service(est, usage=False)["ElastiCache Redis"] == pytest.approx(730 * 0.065 * 0.8)


def test_a_resource_type_without_a_rule_fails_naming_it():
    tmpl = synthetic.templates()
    tmpl["compute"]["Resources"]["Bastion"] = {"Type": "AWS::EC2::Instance", "Properties": {}}
    with pytest.raises(CostError, match=r"no pricing rule for AWS::EC2::Instance"):
        estimate(config.get("dev"), Inventory(tmpl))


def test_an_unpriced_instance_class_fails_naming_it():
    tmpl = synthetic.templates(db_class="db.x2g.huge")
    with pytest.raises(CostError, match=r"no price for RDS instance class 'db.x2g.huge'"):
        estimate(config.get("dev"), Inventory(tmpl))


def test_every_configurable_instance_class_has_a_price():
    from hana_cost.prices import PriceTable

    table = PriceTable()
    for cls in config.RDS_INSTANCE_CLASSES:
        assert table.rds_hour(cls) > 0, cls
    for node in config.CACHE_NODE_TYPES:
        assert table.cache_hour(node) > 0, node


def test_a_service_missing_from_config_fails_clearly():
    cfg = dataclasses.replace(config.get("dev"), services=config.get("dev").services[:2])
    with pytest.raises(CostError, match=r"matches no service in config"):
        estimate(cfg, Inventory(synthetic.templates()))


# --- schedule -------------------------------------------------------------------------------


def test_working_hours_schedule_counts_sixty_hours_a_week():
    actions = [
        {"Schedule": "cron(0 8 ? * MON-FRI *)", "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 1}},
        {"Schedule": "cron(0 20 ? * MON-FRI *)", "ScalableTargetAction": {"MinCapacity": 0, "MaxCapacity": 0}},
    ]
    assert weekly_task_hours(actions, (1, 1), 1) == 60
    assert weekly_task_hours(actions, (1, 1), 2) == 60  # capped by MaxCapacity 1
    assert weekly_task_hours([], (0, 4), 2) == 2 * 168  # no schedule: 2 tasks all week


def test_cron_fields():
    assert parse_cron("cron(30 7 ? * SAT,SUN *)") == ({30}, {7}, {1, 7})
    with pytest.raises(CostError, match="only weekly patterns"):
        parse_cron("cron(0 8 1 * ? *)")
    with pytest.raises(CostError, match="not a cron"):
        parse_cron("rate(5 minutes)")
