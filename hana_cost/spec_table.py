"""The spec's own "AWS Pricing Estimate" tables, line by line, and why ours differ.

The spec (`../shared/spec/hana-aws-infrastructure.md`, "AWS Pricing Estimate") prices dev at
~$260/month and prod at ~$880/month by hand. `reconcile(estimate)` puts each of its lines
beside the sum of our lines for the same service and says what makes the difference, in
figures taken from our lines (so the explanation cannot drift from the estimate).

Exported: SpecLine, SPEC, SPEC_TOTALS, BUDGETS, Reconciliation, reconcile(estimate).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .estimate import Estimate
from .rules import SERVICES, Line


@dataclass(frozen=True)
class SpecLine:
    service: str
    resource: str
    specs: str
    monthly: float  # the spec's "~$" figure; 0 for "Free"


SPEC: dict[str, tuple[SpecLine, ...]] = {
    "dev": (
        SpecLine("RDS PostgreSQL", "db.t4g.medium", "2 vCPU, 4 GB RAM, 20 GB storage", 50),
        SpecLine("ElastiCache Redis", "cache.t4g.medium", "2 vCPU, 3.09 GB RAM", 47),
        SpecLine("ECS Fargate", "3 services", "0.5 vCPU, 1 GB each (when running)", 55),
        SpecLine("NAT Gateway", "1 gateway", "Data processing", 35),
        SpecLine("Application Load Balancer", "1 ALB", "+ LCU charges", 22),
        SpecLine("VPC Endpoints", "4 endpoints", "ECR, Logs, Secrets Manager", 30),
        SpecLine("S3", "3 buckets", "Minimal storage", 1),
        SpecLine("CloudWatch", "Logs + Metrics", "7-day retention", 10),
        SpecLine("Secrets Manager", "7 secrets", "", 3),
        SpecLine("SQS", "3 queues", "FIFO + standard", 1),
        SpecLine("WAF", "WebACL", "+ request charges", 6),
    ),
    "prod": (
        SpecLine("RDS PostgreSQL", "db.r6g.large Multi-AZ", "2 vCPU, 16 GB RAM, 100 GB", 300),
        SpecLine("ElastiCache Redis", "cache.r6g.large + replica", "2 vCPU, 13 GB RAM x2", 200),
        SpecLine("ECS Fargate", "3 services", "1 vCPU, 2 GB each, 2-4 tasks", 200),
        SpecLine("NAT Gateway", "2 gateways (HA)", "Data processing", 70),
        SpecLine("Application Load Balancer", "1 ALB", "+ LCU charges", 30),
        SpecLine("VPC Endpoints", "4 endpoints", "", 30),
        SpecLine("S3", "3 buckets", "~100 GB storage", 5),
        SpecLine("CloudWatch", "Logs + Metrics", "30-day retention", 30),
        SpecLine("Secrets Manager", "7 secrets", "", 3),
        SpecLine("SQS", "3 queues", "", 2),
        SpecLine("WAF", "WebACL", "", 10),
        SpecLine("Route 53", "Hosted zone", "", 1),
        SpecLine("ACM", "SSL Certificate", "", 0),
    ),
}
SPEC_TOTALS = {"dev": 260, "prod": 880}  # as printed; the dev lines add up to 260, the prod lines to 881
BUDGETS = {"lean-dev": 150}  # config.LEAN_DEV: dev's capabilities for at most $150/month (tests/cost/test_lean_dev.py)


@dataclass(frozen=True)
class Reconciliation:
    service: str
    spec: float | None  # None: the spec has no line for it
    ours: float
    why: str

    @property
    def difference(self) -> float:
        return self.ours - (self.spec or 0.0)


def _sum(lines: list[Line], *, usage: bool | None = None) -> float:
    return sum(ln.monthly for ln in lines if usage is None or ln.usage == usage)


def _arith(lines: list[Line]) -> str:
    """Our arithmetic for a service, identical formulas counted once ("7 x [1 x $0.4]")."""
    counts = Counter(ln.formula for ln in lines if ln.monthly)
    return "; ".join(f"{n} x [{f}]" if n > 1 else f for f, n in counts.items())


def _why(service: str, lines: list[Line], spec: SpecLine | None) -> str:  # noqa: C901 - one clause per known cause
    """What makes our figure for `service` differ from the spec's, in our own numbers."""
    ours = _sum(lines)
    usage = _sum(lines, usage=True)
    causes: list[str] = []
    if spec is None:
        causes.append("not in the spec's table")
    elif not lines:
        causes.append("no such resource in this environment's templates")
    ipv4 = [ln for ln in lines if "IPv4" in ln.resource or "IPv4" in ln.specs]
    if service == "NAT Gateway" and ipv4:
        what = "the NAT's Elastic IP" if len(ipv4) == 1 else f"the {len(ipv4)} NATs' Elastic IPs"
        causes.append(f"the spec leaves out public IPv4, billed since Feb 2024: {what} (${_sum(ipv4):.2f})")
    if service == "Application Load Balancer" and ipv4:
        causes.append(
            f"the spec leaves out public IPv4, billed since Feb 2024: one address per AZ node of the ALB (${_sum(ipv4):.2f})"
        )
    for ln in lines:
        if "endpoints" in ln.meta:
            n, azs, per = int(ln.meta["endpoints"]), int(ln.meta["azs"]), ln.meta["per_endpoint_az"]
            causes.append(
                f"the spec prices {n} endpoints once each (${n * per:.2f}); AWS bills every interface endpoint "
                f"in every AZ it has a subnet in: {n} x {azs} AZ = ${n * azs * per:.2f}"
            )
        if ln.resource == "Container Insights":
            causes.append(f"Container Insights metrics and logs (${ln.monthly:.2f}) are not in the spec's figure")
        if "alarms" in ln.meta:
            causes.append(f"{int(ln.meta['alarms'])} alarms and the dashboard at list price (free tiers not applied)")
    if service == "VPC Endpoints" and lines and not any("endpoints" in ln.meta for ln in lines):
        causes.append("no interface endpoints here: AWS API calls go out through the NAT")
    if service == "RDS PostgreSQL" and any("Multi-AZ" in ln.specs for ln in lines):
        instance = _sum([ln for ln in lines if "storage" not in ln.resource])
        causes.append(
            f"Multi-AZ bills the standby too: 2 instances (${instance:.2f}) and 2 copies of the storage "
            f"(${ours - instance:.2f})"
            + ("; the spec's figure is below the instance-hours alone" if spec and spec.monthly < instance else "")
        )
    if service == "ElastiCache Redis" and spec and ours > spec.monthly * 1.2:
        causes.append(f"the spec's figure is below the node-hours of {lines[0].specs.split(' (')[0]} (${ours:.2f})")
    if service == "ECS Fargate":
        at_max = sum(ln.monthly_at_max for ln in lines)
        if at_max > ours:
            causes.append(f"priced at the minimum task count; ${at_max:.2f} at the autoscaling maximum")
        if any(word in ln.specs for ln in lines for word in ("ARM64", "Spot", "scheduled")):
            causes.append("with this environment's savings switches")
    if service == "WAF":
        acl = [ln for ln in lines if not ln.usage]
        if acl:
            rules = acl[0].specs.split("+ ")[-1]
            causes.append(f"the spec prices the WebACL with about one rule; this one has {rules} at $1 each")
    notes: list[str] = []
    if usage and usage != ours:
        notes.append(f"${usage:.2f} is usage under the stated assumptions")
    if spec is not None and lines and not causes:
        if ours == 0 == spec.monthly:
            causes.append("free in both")
        elif ours == usage:
            causes.append("only usage charges: both figures follow from assumed usage")
        elif abs(ours - spec.monthly) <= max(2.0, 0.1 * spec.monthly):
            causes.append("same resources at list price; the spec's figure is rounded")
        else:
            causes.append("same resources at list price; the spec's figure does not follow from them")
    arith = _arith(lines)
    return "; ".join(causes + notes) + (f". Ours: {arith}" if arith else "")


def reconcile(est: Estimate) -> list[Reconciliation]:
    """One row per service of the spec's table for this environment, then our extra services.
    Empty for an environment the spec has no table for."""
    spec_lines = SPEC.get(est.env)
    if spec_lines is None:
        return []
    by_service: dict[str, list[Line]] = {}
    for ln in est.lines:
        by_service.setdefault(ln.service, []).append(ln)
    rows = []
    for spec in spec_lines:
        lines = by_service.pop(spec.service, [])
        rows.append(Reconciliation(spec.service, spec.monthly, _sum(lines), _why(spec.service, lines, spec)))
    for service in SERVICES:
        lines = by_service.pop(service, [])
        if lines:
            rows.append(Reconciliation(service, None, _sum(lines), _why(service, lines, None)))
    return rows
