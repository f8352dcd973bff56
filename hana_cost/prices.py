"""The dated us-east-1 unit-price table the estimator uses (on-demand, USD).

Every figure comes from `../shared/notes/aws-prices-us-east-1.md` (researched 2026-11 from
stored, dated pages; each row below names its source). Rows marked VERIFY were found only in
price-list-shaped data in public code, not on a dated page: `cost --refresh` reads the AWS
Price List API (the authority) and shows where the stored figure differs.

A month is 730 hours (8,760 / 12), as AWS's own calculator counts it.

Exported: PRICE_DATE, REGION, HOURS_PER_MONTH, Price, PRICES (key -> Price), RDS_HOURLY,
CACHE_HOURLY, PriceTable (PRICES with overrides, what the rules read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PRICE_DATE = "2026-11"
REGION = "us-east-1"
HOURS_PER_MONTH = 730

_NOTES = "../shared/notes/aws-prices-us-east-1.md"


@dataclass(frozen=True)
class Price:
    key: str
    usd: float
    unit: str
    source: str
    verify: bool = False  # only from price-list-shaped data in public code: confirm with --refresh


def _p(key: str, usd: float, unit: str, source: str, verify: bool = False) -> tuple[str, Price]:
    return key, Price(key, usd, unit, source, verify)


PRICES: dict[str, Price] = dict(
    [
        # --- compute ---------------------------------------------------------------------------
        _p(
            "fargate.x86.vcpu_hour",
            0.04048,
            "vCPU-hour",
            "vantage.sh Fargate; fortem.dev (June 2026); cloudburn.io (Apr 2026)",
        ),
        _p(
            "fargate.x86.gb_hour",
            0.004445,
            "GB-hour",
            "vantage.sh Fargate; fortem.dev (June 2026); cloudburn.io (Apr 2026)",
        ),
        _p(
            "fargate.arm.vcpu_hour",
            0.03238,
            "vCPU-hour",
            "vantage.sh; fortem.dev (June 2026); AWS Pricing API quote 2026-08-28",
        ),
        _p(
            "fargate.arm.gb_hour",
            0.00356,
            "GB-hour",
            "vantage.sh; fortem.dev (June 2026); AWS Pricing API quote 2026-08-28",
        ),
        _p("fargate.ephemeral_gb_hour", 0.000111, "GB-hour above 20 GB", "vantage.sh Fargate"),
        # --- network ---------------------------------------------------------------------------
        _p(
            "nat.hour",
            0.045,
            "NAT gateway-hour",
            "cloudburn.io NAT guide (Feb 24, 2026); infracost golden test (2024-07)",
        ),
        _p("nat.gb", 0.045, "GB processed", "cloudburn.io NAT guide (Feb 24, 2026)"),
        _p(
            "ipv4.hour",
            0.005,
            "public IPv4 address-hour",
            "AWS blog: Public IPv4 Address Charge, effective Feb 1, 2024",
        ),
        _p("alb.hour", 0.0225, "ALB-hour", "awsnegotiations.com ELB guide (May 2026); infracost golden test (2024-07)"),
        _p("alb.lcu_hour", 0.008, "LCU-hour", "awsnegotiations.com ELB guide (May 2026)"),
        _p(
            "endpoint.hour",
            0.01,
            "interface endpoint-hour per AZ",
            "aws.amazon.com/privatelink/pricing; factualminds (2026-06-13)",
        ),
        _p("endpoint.gb", 0.01, "GB processed (first PB)", "aws.amazon.com/privatelink/pricing"),
        _p("transfer.out_gb", 0.09, "GB out to the internet (first 10 TB)", "cloudpipelines NAT guide (2026)"),
        # --- databases (storage; instance-hours are in RDS_HOURLY / CACHE_HOURLY) -----------------
        _p(
            "rds.gp3_gb_month",
            0.115,
            "GB-month, Single-AZ (Multi-AZ bills 2x)",
            "usage.ai RDS pricing (June 2026); AWS RDS user guide",
        ),
        _p("rds.gp2_gb_month", 0.115, "GB-month, Single-AZ (Multi-AZ bills 2x)", "usage.ai RDS pricing (June 2026)"),
        # --- storage ---------------------------------------------------------------------------
        _p(
            "s3.gb_month", 0.023, "GB-month, S3 Standard (first 50 TB)", "S3 pricing page; get-infra-done cost-rules.md"
        ),
        _p("s3.put_1k", 0.005, "1,000 PUT/COPY/POST/LIST requests", "S3 pricing page"),
        _p("ecr.gb_month", 0.10, "GB-month of image storage", f"{_NOTES} (ECR storage)"),
        # --- monitoring ------------------------------------------------------------------------
        _p(
            "logs.ingest_gb",
            0.50,
            "GB ingested, Standard class",
            "factualminds CloudWatch (2026-06-13); cloudburn (Feb 2026)",
        ),
        _p("logs.ingest_ia_gb", 0.25, "GB ingested, Infrequent Access class", "factualminds CloudWatch (2026-06-13)"),
        _p(
            "logs.vended_s3_gb",
            0.25,
            "GB of vended logs delivered to S3",
            "CloudWatch pricing page (vended logs)",
            verify=True,
        ),
        _p("logs.storage_gb_month", 0.03, "GB-month archived", "factualminds CloudWatch (2026-06-13)"),
        _p("cw.metric_month", 0.30, "custom metric-month (first 10k)", "signoz.io (Feb 15, 2026)"),
        _p(
            "cw.alarm_metric_month",
            0.10,
            "standard-resolution alarm metric-month",
            "infracost golden test (2024-07); CW pricing page",
        ),
        _p("cw.alarm_highres_metric_month", 0.30, "high-resolution alarm metric-month", "CW pricing page"),
        _p("cw.composite_alarm_month", 0.50, "composite alarm-month", "CW pricing page", verify=True),
        _p("cw.dashboard_month", 3.00, "dashboard-month", "aws.amazon.com/cloudwatch/pricing; factualminds (2026)"),
        # --- security --------------------------------------------------------------------------
        _p("secrets.secret_month", 0.40, "secret-month", "hivebook.wiki; infracost golden test"),
        _p("secrets.api_10k", 0.05, "10,000 API calls", "hivebook.wiki; infracost golden test"),
        _p("kms.key_month", 1.00, "customer-managed key-month", f"{_NOTES} (KMS)"),
        _p("kms.requests_10k", 0.03, "10,000 requests", "AWS KMS pricing page", verify=True),
        _p("waf.acl_month", 5.00, "WebACL-month", "c3x.dev WAF; awsnegotiations WAF (2026)"),
        _p("waf.rule_month", 1.00, "rule or rule group-month", "c3x.dev WAF; awsnegotiations WAF (2026)"),
        _p("waf.requests_million", 0.60, "million requests inspected", "c3x.dev WAF; infracost golden test"),
        # --- messaging, DNS ----------------------------------------------------------------------
        _p(
            "sqs.standard_million", 0.40, "million requests (64 KB chunks), Standard", "cloudburn.io SQS (Mar 14, 2026)"
        ),
        _p("sqs.fifo_million", 0.50, "million requests (64 KB chunks), FIFO", "cloudburn.io SQS (Mar 14, 2026)"),
        _p(
            "route53.zone_month",
            0.50,
            "hosted zone-month (first 25)",
            "ns1.com Route 53 overview; infracost golden test",
        ),
    ]
)

# PostgreSQL instance-hours, Single-AZ. Multi-AZ (one standby) bills exactly twice this.
RDS_HOURLY: dict[str, Price] = dict(
    [
        _p("db.t4g.micro", 0.016, "instance-hour", "infratally.com (2026); AWS Pricing API quote 2026-08-28"),
        _p("db.t4g.small", 0.032, "instance-hour", "t4g family doubles per size step", verify=True),
        _p("db.t4g.medium", 0.065, "instance-hour", "infratally.com RDS pricing explained (2026)"),
        _p("db.t4g.large", 0.129, "instance-hour", "t4g family doubles per size step", verify=True),
        _p(
            "db.r6g.large",
            0.225,
            "instance-hour",
            "Price-List-shaped fixtures (InstanceUsage:db.r6g.large, PostgreSQL)",
            verify=True,
        ),
        _p("db.r6g.xlarge", 0.45, "instance-hour", "2x db.r6g.large", verify=True),
        _p("db.r7g.large", 0.239, "instance-hour", "public PostgreSQL price tables", verify=True),
        _p("db.m6g.large", 0.159, "instance-hour", "public PostgreSQL price tables", verify=True),
        _p("db.m7g.large", 0.168, "instance-hour", "public PostgreSQL price tables", verify=True),
    ]
)

# ElastiCache node-hours, Redis OSS. Valkey nodes are 20% cheaper (ElastiCache FAQ).
CACHE_HOURLY: dict[str, Price] = dict(
    [
        _p("cache.t4g.micro", 0.016, "node-hour", "hard-coded tables in public tools", verify=True),
        _p("cache.t4g.small", 0.032, "node-hour", "t4g family doubles per size step", verify=True),
        _p("cache.t4g.medium", 0.065, "node-hour", "hard-coded tables in public tools", verify=True),
        _p(
            "cache.r6g.large",
            0.206,
            "node-hour",
            'Price List rate "$0.206 per Memory optimized r6g.large node hour running Redis"',
        ),
        _p("cache.r6g.xlarge", 0.411, "node-hour", "2x cache.r6g.large", verify=True),
        _p("cache.r7g.large", 0.219, "node-hour", "public price tables", verify=True),
        _p("cache.m6g.large", 0.149, "node-hour", "public price tables", verify=True),
        _p("cache.m7g.large", 0.158, "node-hour", "public price tables", verify=True),
    ]
)
VALKEY_FACTOR = 0.8  # "node-based up to 20% lower" (ElastiCache FAQ)


@dataclass(frozen=True)
class PriceTable:
    """The stored prices, with any figures `--refresh` replaced (key -> USD). Rules read this."""

    overrides: Mapping[str, float] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        if key in self.overrides:
            return self.overrides[key]
        for table in (PRICES, RDS_HOURLY, CACHE_HOURLY):
            if key in table:
                return table[key].usd
        raise KeyError(f"no price for {key!r}")

    def rds_hour(self, instance_class: str) -> float:
        return self[instance_class]

    def cache_hour(self, node_type: str) -> float:
        return self[node_type]

    @property
    def dated(self) -> str:
        return f"us-east-1 on-demand prices of {PRICE_DATE}" + (
            f" ({len(self.overrides)} refreshed from the AWS Price List API)" if self.overrides else ""
        )


def all_prices() -> dict[str, Price]:
    """Every stored price, one namespace (what --refresh and the README list)."""
    return {**PRICES, **RDS_HOURLY, **CACHE_HOURLY}
