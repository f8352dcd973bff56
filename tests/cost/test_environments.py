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
    "NAT Gateway": 730 * 0.045 + 730 * 0.005,  # one NAT + its Elastic IP = 32.85 + 3.65
    "VPC Endpoints": 4 * 2 * 730 * 0.01,  # ecr.api, ecr.dkr, logs, secretsmanager x 2 AZ = 58.40
    "Secrets Manager": 7 * 0.40,  # 2.80
    "KMS": 5 * 1.00,  # network (flow logs), storage, secrets, messaging, database
}
PROD_FLOOR = {
    "RDS PostgreSQL": 2 * 730 * 0.225 + 2 * 100 * 0.115,  # Multi-AZ db.r6g.large + 100 GB, both twice = 351.50
    "ElastiCache Redis": 2 * 730 * 0.206,  # cache.r6g.large primary + replica = 300.76
    "NAT Gateway": 2 * 730 * 0.045 + 2 * 730 * 0.005,  # one NAT per AZ + 2 Elastic IPs = 65.70 + 7.30
    "VPC Endpoints": 4 * 2 * 730 * 0.01,
    "Secrets Manager": 7 * 0.40,
    "KMS": 5 * 1.00,
}


@pytest.mark.parametrize(("env", "expected"), [("dev", DEV_FLOOR), ("prod", PROD_FLOOR)])
def test_fixed_floor_by_hand(env, expected):
    assert _floor_by_service(env) == pytest.approx(expected, abs=0.005)
