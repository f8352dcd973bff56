"""Usage assumptions: the named quantities that usage-priced lines multiply (data processed,
requests, log GB, stored GB, load-balancer capacity units).

The figures are guesses for a small team's platform, stated so that anyone can replace them
(`cost --assume nat_gb=120`). Lines priced from them are shown apart from the fixed monthly
floor, which depends only on the config and the templates. `prod` has its own column; every
other environment (dev, lean-dev, new ones) uses the dev column.

Exported: Assumption, ASSUMPTIONS, Usage, for_env(name, overrides), parse_overrides(pairs).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .errors import CostInputError


@dataclass(frozen=True)
class Assumption:
    name: str
    unit: str
    dev: float
    prod: float
    why: str


ASSUMPTIONS: dict[str, Assumption] = {
    a.name: a
    for a in (
        Assumption("nat_gb", "GB/month", 20, 200, "through the NAT: LLM API calls and replies, package pulls"),
        Assumption("endpoint_gb", "GB/month", 5, 50, "through the interface endpoints: image manifests, logs, secrets"),
        Assumption(
            "alb_lcu", "LCU (average)", 0.5, 2, "ALB load: 1 LCU = 25 new conn/s, 3,000 active conn/min or 1 GB/h"
        ),
        Assumption("transfer_out_gb", "GB/month", 10, 100, "responses to clients over the internet"),
        Assumption("app_log_gb", "GB/month", 3, 20, "logs of the three services together"),
        Assumption("flow_log_gb", "GB/month", 2, 10, "VPC flow log records"),
        Assumption("waf_log_gb", "GB/month", 0.5, 5, "WAF request logs"),
        Assumption("rds_log_gb", "GB/month", 0.5, 2, "PostgreSQL logs exported to CloudWatch"),
        Assumption(
            "rds_os_metrics_gb", "GB/month", 0.1, 0.1, "RDS enhanced monitoring at a 60 s interval (RDSOSMetrics)"
        ),
        Assumption("other_log_gb", "GB/month per group", 0.1, 0.5, "any other log group in the templates"),
        Assumption("ci_log_gb", "GB/month", 0.5, 2, "Container Insights performance log events"),
        Assumption(
            "ci_metrics_per_cluster",
            "metrics",
            12,
            12,
            "Container Insights, ClusterName: Cpu/Memory Utilized+Reserved, Network Rx/Tx, Storage Read/Write, "
            "EphemeralStorage Reserved/Utilized, ServiceCount, TaskCount",
        ),
        Assumption(
            "ci_metrics_per_service",
            "metrics",
            15,
            15,
            "Container Insights, per service: the first ten above + Deployment/Desired/Pending/Running/TaskSet counts",
        ),
        Assumption(
            "ci_metrics_per_family", "metrics", 10, 10, "Container Insights, per task family: the first ten above"
        ),
        Assumption("s3_gb", "GB stored", 5, 100, "media, artifacts and access logs together"),
        Assumption("s3_put_1k", "thousand PUTs/month", 10, 200, "uploads and access-log objects"),
        Assumption("ecr_gb", "GB stored", 2, 5, "images the lifecycle policy keeps"),
        Assumption(
            "sqs_fifo_million", "million requests/month", 0.4, 2.5, "agent-runs: sends, long-poll receives, deletes"
        ),
        Assumption("sqs_standard_million", "million requests/month", 0.1, 0.5, "notifications queue"),
        Assumption("waf_million", "million requests/month", 1, 10, "requests the WebACL inspects"),
        Assumption("secrets_api_10k", "10k calls/month", 1, 5, "secret reads at task start and by the deployer"),
        Assumption("kms_10k", "10k requests/month", 5, 30, "data-key requests of SQS, S3, logs, secrets"),
        Assumption(
            "fargate_spot_discount",
            "fraction",
            0.65,
            0.65,
            "Fargate Spot price below on-demand (AWS: 50-70%; observed 66-71%)",
        ),
    )
}


@dataclass(frozen=True)
class Usage:
    """The assumption values for one environment; `overridden` names the ones the user set."""

    values: Mapping[str, float]
    overridden: frozenset[str] = field(default_factory=frozenset)

    def __getitem__(self, name: str) -> float:
        return self.values[name]


def for_env(env: str, overrides: Mapping[str, float] | None = None) -> Usage:
    column = "prod" if env == "prod" else "dev"
    values = {name: getattr(a, column) for name, a in ASSUMPTIONS.items()}
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(values))
    if unknown:
        raise CostInputError(f"unknown assumption {unknown[0]!r}; allowed: {', '.join(ASSUMPTIONS)}")
    values.update(overrides)
    return Usage(values, frozenset(overrides))


def parse_overrides(pairs: Iterable[str]) -> dict[str, float]:
    """`["nat_gb=120", "alb_lcu=1.5"]` -> {"nat_gb": 120.0, "alb_lcu": 1.5}; CostInputError (exit 2) on a bad pair."""
    result: dict[str, float] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        try:
            if not sep:
                raise ValueError
            value = float(raw)
        except ValueError:
            raise CostInputError(f"assumption {pair[:60]!r} is not NAME=NUMBER; e.g. nat_gb=120") from None
        if not math.isfinite(value) or value < 0:
            raise CostInputError(f"assumption {pair[:60]!r} is not a finite number of 0 or more; e.g. nat_gb=120")
        result[name.strip()] = value
    for name in result:
        if name not in ASSUMPTIONS:
            raise CostInputError(f"unknown assumption {name[:60]!r}; allowed: {', '.join(ASSUMPTIONS)}")
    return result
