"""Config: dev as the spec deploys it, prod as its recommended table, bad values rejected in one line."""

import dataclasses

import pytest

from hana_templates import config
from hana_templates.errors import ConfigError


def test_dev_is_the_spec_deployment():
    dev = config.get("dev")
    assert (dev.project, dev.region) == ("hana", "us-east-1")
    assert dev.network.vpc_cidr == "10.0.0.0/16"
    assert dev.network.public_subnets == ("10.0.0.0/24", "10.0.1.0/24")
    assert dev.network.private_subnets == ("10.0.2.0/24", "10.0.3.0/24")
    assert dev.network.database_subnets == ("10.0.4.0/24", "10.0.5.0/24")
    assert dev.network.nat_gateways == 1
    assert (dev.database.instance_class, dev.database.allocated_storage_gb) == ("db.t4g.medium", 20)
    assert dev.database.multi_az is False
    assert (dev.cache.node_type, dev.cache.replicas) == ("cache.t4g.medium", 0)
    assert [(s.name, s.port, s.cpu, s.memory) for s in dev.services] == [
        ("api", 3000, 512, 1024),
        ("ws", 3001, 512, 1024),
        ("workers", None, 512, 1024),
    ]
    assert dev.log_retention_days == 7
    assert dev.https is False


def test_prod_is_the_recommended_table():
    prod = config.get("prod")
    assert (prod.database.instance_class, prod.database.allocated_storage_gb) == ("db.r6g.large", 100)
    assert prod.database.multi_az is True
    assert (prod.cache.node_type, prod.cache.replicas) == ("cache.r6g.large", 1)
    assert prod.network.nat_gateways == 2
    assert {(s.cpu, s.memory, s.min_tasks, s.max_tasks) for s in prod.services} == {(1024, 2048, 2, 4)}
    assert prod.log_retention_days == 30
    assert prod.https is True


def test_alarm_thresholds_are_the_specs():
    a = config.get("dev").alarms
    assert (a.api_cpu_percent, a.api_memory_percent, a.sustained_minutes) == (80, 85, 10)
    assert (a.rds_cpu_percent, a.rds_free_storage_gb, a.redis_memory_percent) == (80, 5, 80)
    assert (a.alb_5xx_count, a.alb_5xx_minutes, a.dlq_messages) == (10, 5, 1)


def _with(cfg, **changes):
    """A copy of cfg with nested changes: _with(dev, network={"vpc_cidr": "x"})."""
    updates = {}
    for key, value in changes.items():
        current = getattr(cfg, key)
        updates[key] = dataclasses.replace(current, **value) if isinstance(value, dict) else value
    return dataclasses.replace(cfg, **updates)


BAD = [
    pytest.param({"network": {"private_subnets": ("10.0.1.0/24", "10.0.3.0/24")}}, "overlaps", id="overlapping-cidr"),
    pytest.param({"network": {"database_subnets": ("10.1.4.0/24", "10.0.5.0/24")}}, "outside the VPC", id="out-of-vpc"),
    pytest.param({"network": {"vpc_cidr": "10.0.0.0/33"}}, "not a valid network", id="bad-vpc-cidr"),
    pytest.param({"network": {"nat_gateways": 3}}, "nat_gateways 3", id="nat-count"),
    pytest.param(
        {"database": {"instance_class": "db.x9.huge"}}, "unknown RDS instance class 'db.x9.huge'", id="rds-class"
    ),
    pytest.param({"cache": {"node_type": "cache.z1.big"}}, "unknown ElastiCache node type", id="cache-type"),
    pytest.param(
        {"services": (config.Service("api", 3000, min_tasks=3, max_tasks=2),)},
        "min tasks 3 > max tasks 2",
        id="min>max",
    ),
    pytest.param(
        {"services": (config.Service("api", 3000, cpu=512, memory=512),)}, "memory 512 MiB", id="fargate-size"
    ),
    pytest.param({"log_retention_days": 10}, "log retention 10 days", id="retention"),
    pytest.param({"storage": {"ecr_keep_images": 0}}, "ECR images kept 0", id="ecr-keep-images"),
    pytest.param(
        {"storage": {"access_log_retention_days": 0}}, "S3 access log retention 0 days", id="access-log-retention"
    ),
    pytest.param({"name": "Prod!"}, "name is invalid", id="env-name"),
]


@pytest.mark.parametrize(("changes", "message"), BAD)
def test_bad_config_fails_with_one_clear_line(changes, message):
    with pytest.raises(ConfigError) as err:
        _with(config.get("dev"), **changes)
    text = str(err.value)
    assert message in text
    assert "\n" not in text
    assert "allowed" in text or "not a valid" in text


def test_unknown_environment_names_the_allowed_ones():
    with pytest.raises(ConfigError, match=r"unknown environment 'staging'; allowed: dev, prod"):
        config.get("staging")
