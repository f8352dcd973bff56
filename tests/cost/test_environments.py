"""The committed templates of dev and prod, priced, against figures computed by hand from the
spec's sizes and the unit prices (hana_cost/prices.py, 730 h a month). When a stack adds or
removes a billable resource, these figures must be updated on purpose."""

import pytest

from hana_cost.estimate import for_env


def _floor_by_service(env: str) -> dict[str, float]:
    result: dict[str, float] = {}
    for ln in for_env(env).lines:
        if not ln.usage:
            result[ln.service] = result.get(ln.service, 0.0) + ln.monthly
    return result


DEV_FLOOR = {
    "RDS PostgreSQL": 730 * 0.065 + 20 * 0.115,  # db.t4g.medium Single-AZ + 20 GB gp3 = 47.45 + 2.30
    "ElastiCache Redis": 1 * 730 * 0.065,  # one cache.t4g.medium node, no replica = 47.45
    "ECS Fargate": 3 * 1 * 730 * (0.5 * 0.04048 + 1 * 0.004445),  # 3 services x 1 task, 0.5 vCPU / 1 GB = 54.06
    "Application Load Balancer": 730 * 0.0225 + 2 * 730 * 0.005,  # ALB + one IPv4 per AZ node = 16.43 + 7.30
    "NAT Gateway": 730 * 0.045 + 730 * 0.005,  # one NAT + its Elastic IP = 32.85 + 3.65
    "VPC Endpoints": 4 * 2 * 730 * 0.01,  # ecr.api, ecr.dkr, logs, secretsmanager x 2 AZ = 58.40
    "Secrets Manager": 7 * 0.40,  # 2.80
    # 15 alarms: 13 on one metric (with the notifications DLQ's), ALB 5xx reads 2 (ALB + targets),
    # Redis memory 1 per node (1 in dev)
    "CloudWatch": (13 + 2 + 1) * 0.10 + 1 * 3.00,  # + the overview dashboard = 4.60
    # WebACL + rate limit, IP reputation, known bad inputs, common, SQLi, body rules outside prompt routes = 11.00
    "WAF": 5.00 + 6 * 1.00,
    # one key per stack that encrypts something: network (flow logs), storage, secrets, messaging,
    # database, compute (service logs), waf (WAF logs), observability (alarm topic)
    "KMS": 8 * 1.00,
}
PROD_FLOOR = {
    "RDS PostgreSQL": 2 * 730 * 0.225 + 2 * 100 * 0.115,  # Multi-AZ db.r6g.large + 100 GB, both twice = 351.50
    "ElastiCache Redis": 2 * 730 * 0.206,  # cache.r6g.large primary + replica = 300.76
    "ECS Fargate": 3 * 2 * 730 * (1 * 0.04048 + 2 * 0.004445),  # 3 services x 2 tasks (minimum), 1 vCPU / 2 GB = 216.24
    "Application Load Balancer": 730 * 0.0225 + 2 * 730 * 0.005,
    "Route 53": 0.50,  # the existing hosted zone of config.domain (the alias record's queries are free)
    "ACM": 0.0,  # public certificate
    "NAT Gateway": 2 * 730 * 0.045 + 2 * 730 * 0.005,  # one NAT per AZ + 2 Elastic IPs = 65.70 + 7.30
    "VPC Endpoints": 4 * 2 * 730 * 0.01,
    "Secrets Manager": 7 * 0.40,
    "CloudWatch": (13 + 2 + 2) * 0.10 + 1 * 3.00,  # Redis memory reads both nodes in prod = 4.70
    "WAF": 5.00 + 6 * 1.00,
    "KMS": 8 * 1.00,
}


@pytest.mark.parametrize(("env", "expected"), [("dev", DEV_FLOOR), ("prod", PROD_FLOOR)])
def test_fixed_floor_by_hand(env, expected):
    assert _floor_by_service(env) == pytest.approx(expected, abs=0.005)


def test_prod_at_the_autoscaling_maximum_adds_two_tasks_per_service():
    est = for_env("prod")
    task = 730 * (1 * 0.04048 + 2 * 0.004445)  # one 1 vCPU / 2 GB task all month = 36.04
    assert est.total_at_max - est.total == pytest.approx(3 * (4 - 2) * task, abs=0.01)


def test_lean_dev_fargate_by_hand():
    """ARM64, Mon-Fri 08:00-20:00 (60 of 168 hours), workers on Spot at the assumed 65% off."""
    hours = 60 / 168 * 730  # 260.71 h a month
    task = 0.5 * 0.03238 + 1 * 0.00356  # $/h of a 0.5 vCPU / 1 GB ARM64 task
    fargate = {ln.resource: ln.monthly for ln in for_env("lean-dev").lines if ln.service == "ECS Fargate"}
    assert fargate == pytest.approx(
        {
            "hana-lean-dev-api": hours * task,  # 5.15
            "hana-lean-dev-ws": hours * task,
            "hana-lean-dev-workers": hours * task * (1 - 0.65),  # 1.80
        },
        abs=0.005,
    )
