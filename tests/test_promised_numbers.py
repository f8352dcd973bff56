"""Every number the spec and docs/choices.md promise, written down here on its own (issue #18):
the stack tests compare a template with the config value it came from, so a wrong number in
config.py moves both sides together and passes. This table reads out/ and compares with literals:
changing a promise means changing it here too, deliberately."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

OUT = Path(__file__).resolve().parent.parent / "out"


@cache
def _template(env: str, stack: str) -> dict:
    return yaml.safe_load((OUT / env / f"{stack}.yaml").read_text())


def _props(env: str, stack: str, rtype: str, where: str, equals: str) -> dict:
    """The properties of the one resource of `rtype` whose property `where` contains `equals`."""
    found = [
        r.get("Properties") or {}
        for r in _template(env, stack)["Resources"].values()
        if r["Type"] == rtype and equals in str((r.get("Properties") or {}).get(where, ""))
    ]
    assert len(found) == 1, f"{env}/{stack}: {len(found)} {rtype} with {where} ~ {equals!r}"
    return found[0]


def _queue(env: str, name: str) -> dict:
    return _props(env, "messaging", "AWS::SQS::Queue", "QueueName", name)


DAY = 86400
ENVS = ("dev", "prod", "lean-dev")

PROMISES = [
    # (what, env, read the value, the promised value)
    *[
        (
            f"agent runs: 3 receives before the DLQ [{e}]",
            e,
            lambda e: _queue(e, "agent-runs.fifo")["RedrivePolicy"]["maxReceiveCount"],
            3,
        )
        for e in ENVS
    ],
    *[
        (
            f"agent runs: 15-minute visibility timeout [{e}]",
            e,
            lambda e: _queue(e, "agent-runs.fifo")["VisibilityTimeout"],
            900,
        )
        for e in ENVS
    ],
    *[
        (f"agent runs: kept 4 days [{e}]", e, lambda e: _queue(e, "agent-runs.fifo")["MessageRetentionPeriod"], 4 * DAY)
        for e in ENVS
    ],
    *[
        (
            f"agent runs DLQ: kept 14 days [{e}]",
            e,
            lambda e: _queue(e, "agent-runs-dlq.fifo")["MessageRetentionPeriod"],
            14 * DAY,
        )
        for e in ENVS
    ],
    (
        "RDS backups: 7 days in dev",
        "dev",
        lambda e: _props(e, "database", "AWS::RDS::DBInstance", "Engine", "postgres")["BackupRetentionPeriod"],
        7,
    ),
    (
        "RDS backups: 14 days in prod",
        "prod",
        lambda e: _props(e, "database", "AWS::RDS::DBInstance", "Engine", "postgres")["BackupRetentionPeriod"],
        14,
    ),
    (
        "Redis snapshots: 7 days in prod",
        "prod",
        lambda e: _props(e, "database", "AWS::ElastiCache::ReplicationGroup", "Engine", "redis")[
            "SnapshotRetentionLimit"
        ],
        7,
    ),
    *[
        (
            f"WAF: 2000 requests per IP per 5 minutes [{e}]",
            e,
            lambda e: next(
                r["Statement"]["RateBasedStatement"]["Limit"]
                for r in _props(e, "waf", "AWS::WAFv2::WebACL", "Scope", "REGIONAL")["Rules"]
                if "RateBasedStatement" in r["Statement"]
            ),
            2000,
        )
        for e in ENVS
    ],
    (
        "app logs: 7 days in dev (the spec's cost table)",
        "dev",
        lambda e: _props(e, "compute", "AWS::Logs::LogGroup", "LogGroupName", "/api")["RetentionInDays"],
        7,
    ),
    (
        "app logs: 30 days in prod (the spec's cost table)",
        "prod",
        lambda e: _props(e, "compute", "AWS::Logs::LogGroup", "LogGroupName", "/api")["RetentionInDays"],
        30,
    ),
]


@pytest.mark.parametrize(("env", "read", "promised"), [p[1:] for p in PROMISES], ids=[p[0] for p in PROMISES])
def test_the_promised_number_is_in_the_template(env, read, promised):
    assert read(env) == promised


def test_prod_and_only_prod_gets_termination_protection():
    """Termination protection is a stack setting the deployer applies (Request.termination_protection)."""
    from hana_templates import config

    assert {e: config.get(e).termination_protection for e in ENVS} == {"dev": False, "prod": True, "lean-dev": False}
