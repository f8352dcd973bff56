"""`cost --refresh`: read today's us-east-1 prices from the AWS Price List API (boto3 `pricing`).

The Price List API needs AWS credentials (any identity may call `pricing:GetProducts`; its
endpoint is in us-east-1). Without credentials this fails with one line and the stored table
(prices.PRICE_DATE) stays the one in use. A price the API does not return as expected keeps its
stored value, and the run says so: the estimate never silently mixes in a wrong product.

boto3 is imported only here, inside the functions: the estimator itself makes no AWS calls.

Exported: Query, QUERIES, refresh(client=None, profile=None) -> Refreshed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import CostError, CostInputError
from .prices import PRICE_DATE, all_prices

LOCATION = "US East (N. Virginia)"
PREFIX = "USE1-"  # us-east-1 usage types carry this prefix, or none (an AWS legacy quirk)


@dataclass(frozen=True)
class Query:
    service: str
    usagetype: str | None = None  # matched with or without the USE1- prefix
    attributes: Mapping[str, str] = field(default_factory=dict)  # extra TERM_MATCH filters
    scale: float = 1.0  # stored unit / Price List unit (e.g. 1e6 when we store per million requests)
    location: bool = True  # filter on location (global products, e.g. Route 53 zones, have none)


def _instance(service: str, instance_type: str, **attrs: str) -> Query:
    return Query(service, attributes={"instanceType": instance_type, **attrs})


QUERIES: dict[str, Query] = {
    "fargate.x86.vcpu_hour": Query("AmazonECS", "Fargate-vCPU-Hours:perCPU"),
    "fargate.x86.gb_hour": Query("AmazonECS", "Fargate-GB-Hours"),
    "fargate.arm.vcpu_hour": Query("AmazonECS", "Fargate-ARM-vCPU-Hours:perCPU"),
    "fargate.arm.gb_hour": Query("AmazonECS", "Fargate-ARM-GB-Hours"),
    "fargate.ephemeral_gb_hour": Query("AmazonECS", "Fargate-EphemeralStorage-GB-Hours"),
    "nat.hour": Query("AmazonEC2", "NatGateway-Hours"),
    "nat.gb": Query("AmazonEC2", "NatGateway-Bytes"),
    "ipv4.hour": Query("AmazonVPC", "PublicIPv4:InUseAddress"),
    "alb.hour": Query("AWSELB", "LoadBalancerUsage", {"productFamily": "Load Balancer-Application"}),
    "alb.lcu_hour": Query("AWSELB", "LCUUsage", {"productFamily": "Load Balancer-Application"}),
    "endpoint.hour": Query("AmazonVPC", "VpcEndpoint-Hours"),
    "endpoint.gb": Query("AmazonVPC", "VpcEndpoint-Bytes"),
    "transfer.out_gb": Query("AWSDataTransfer", "DataTransfer-Out-Bytes", location=False),
    "rds.gp3_gb_month": Query("AmazonRDS", "RDS:GP3-Storage"),
    "rds.gp2_gb_month": Query("AmazonRDS", "RDS:GP2-Storage"),
    "s3.gb_month": Query("AmazonS3", "TimedStorage-ByteHrs"),
    "s3.put_1k": Query("AmazonS3", "Requests-Tier1", scale=1_000),
    "ecr.gb_month": Query("AmazonECR", "TimedStorage-ByteHrs"),
    "logs.ingest_gb": Query("AmazonCloudWatch", "DataProcessing-Bytes"),
    "logs.ingest_ia_gb": Query("AmazonCloudWatch", "DataProcessingIA-Bytes"),
    "logs.storage_gb_month": Query("AmazonCloudWatch", "TimedStorage-ByteHrs"),
    "cw.metric_month": Query("AmazonCloudWatch", "CW:MetricMonitorUsage"),
    "cw.alarm_metric_month": Query("AmazonCloudWatch", "CW:AlarmMonitorUsage"),
    "cw.alarm_highres_metric_month": Query("AmazonCloudWatch", "CW:HighResAlarmMonitorUsage"),
    "secrets.secret_month": Query("AWSSecretsManager", "AWSSecretsManager-Secrets"),
    "secrets.api_10k": Query("AWSSecretsManager", "AWSSecretsManager-APIRequest", scale=10_000),
    "kms.key_month": Query("awskms", "KMS-Keys"),
    "kms.requests_10k": Query("awskms", "KMS-Requests", scale=10_000),
    "waf.acl_month": Query("awswaf", "WebACLV2"),
    "waf.rule_month": Query("awswaf", "RuleV2"),
    "waf.requests_million": Query("awswaf", "RequestV2-Tier1", scale=1_000_000),
    "sqs.standard_million": Query("AWSQueueService", "Requests-Tier1", scale=1_000_000),
    "sqs.fifo_million": Query("AWSQueueService", "Requests-FIFO-Tier1", scale=1_000_000),
    "route53.zone_month": Query("AmazonRoute53", "HostedZone", location=False),
    **{
        cls: _instance("AmazonRDS", cls, databaseEngine="PostgreSQL", deploymentOption="Single-AZ")
        for cls in ("db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.t4g.large", "db.r6g.large")
        + ("db.r6g.xlarge", "db.r7g.large", "db.m6g.large", "db.m7g.large")
    },
    **{
        node: _instance("AmazonElastiCache", node, cacheEngine="Redis")
        for node in ("cache.t4g.micro", "cache.t4g.small", "cache.t4g.medium", "cache.r6g.large")
        + ("cache.r6g.xlarge", "cache.r7g.large", "cache.m6g.large", "cache.m7g.large")
    },
}


@dataclass(frozen=True)
class Refreshed:
    prices: dict[str, float]  # key -> current USD, for every key the API answered
    kept: list[str]  # keys the API did not answer as expected (stored value kept)

    def changes(self) -> list[str]:
        """One line per price that differs from the stored table."""
        stored = all_prices()
        return [
            f"{key}: stored ${stored[key].usd:g} (of {PRICE_DATE}) -> now ${usd:g}"
            for key, usd in sorted(self.prices.items())
            if abs(usd - stored[key].usd) > 1e-9
        ]


def _filters(q: Query) -> list[dict]:
    filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in q.attributes.items()]
    if q.location:
        filters.append({"Type": "TERM_MATCH", "Field": "location", "Value": LOCATION})
    if q.usagetype:
        filters.append({"Type": "CONTAINS", "Field": "usagetype", "Value": q.usagetype})
    return filters


def _on_demand_usd(item: Mapping) -> float | None:
    """The first paid on-demand tier of a product (lowest beginRange with a price above 0)."""
    dims = [
        d
        for term in (item.get("terms", {}).get("OnDemand") or {}).values()
        for d in (term.get("priceDimensions") or {}).values()
    ]
    paid = [
        (float(d.get("beginRange", 0) or 0), float(d["pricePerUnit"]["USD"]))
        for d in dims
        if float(d["pricePerUnit"].get("USD", 0)) > 0
    ]
    return min(paid)[1] if paid else None


def _matches(item: Mapping, q: Query) -> bool:
    usagetype = item.get("product", {}).get("attributes", {}).get("usagetype", "")
    return q.usagetype is None or usagetype in (q.usagetype, PREFIX + q.usagetype)


STORED = f"without --refresh the stored prices of {PRICE_DATE} are used"


def _client(profile: str | None):
    import boto3  # only --refresh talks to AWS
    from botocore.exceptions import BotoCoreError, ProfileNotFound

    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        credentials = session.get_credentials()
    except ProfileNotFound:
        raise CostInputError(
            f"--refresh: the AWS profile {profile!r} is not in your AWS config (~/.aws/config); "
            f"use one of `aws configure list-profiles` (--profile or AWS_PROFILE); {STORED}"
        ) from None
    except BotoCoreError as err:  # a broken config or credential source: botocore's own words, one line
        raise CostError(f"--refresh: cannot read AWS credentials: {_one_line(str(err))}; {STORED}") from None
    if credentials is None:
        raise CostError(
            "--refresh reads the AWS Price List API and needs AWS credentials; none found "
            f"(log in or set AWS_PROFILE); {STORED}"
        )
    return session.client("pricing", region_name="us-east-1")


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure_text(err: Exception, endpoint: str) -> str:
    """One line for a Price List API call that failed: unreachable, no credentials, an error answer
    (AWS-style or not: an HTML error page is named by its HTTP status, never printed)."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    if isinstance(err, EndpointConnectionError) or type(err).__name__ in ("ConnectTimeoutError", "ReadTimeoutError"):
        return f"--refresh: cannot reach the Price List API at {endpoint} ({type(err).__name__}); {STORED}"
    if isinstance(err, NoCredentialsError):
        return f"--refresh: no AWS credentials for the Price List API (log in or set AWS_PROFILE); {STORED}"
    if isinstance(err, ClientError):
        code = err.response.get("Error", {}).get("Code", "")
        message = err.response.get("Error", {}).get("Message", "")
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NotImplemented":  # the local emulator (hana_emulator/unsupported.py): no Price List API
            return (
                f"--refresh: {endpoint} has no Price List API (it answered NotImplemented: the local emulator?); "
                f"current prices come only from AWS: run it without --local or --endpoint-url, logged in; {STORED}"
            )
        if "<html" in message.lower() or "<!doctype" in message.lower() or not message or code.isdigit():
            return (
                f"--refresh: {endpoint} answered HTTP {status or code} with no AWS error (not the Price List API?); "
                f"{STORED}"
            )
        return f"--refresh: the Price List API refused the request: {code}: {_one_line(message)}; {STORED}"
    return f"--refresh: the Price List API failed: {_one_line(str(err))}; {STORED}"


def refresh(client=None, profile: str | None = None) -> Refreshed:
    """Current prices for every key in QUERIES; `client` is a boto3 pricing client (tests pass a stubbed one)."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = client or _client(profile)
    prices: dict[str, float] = {}
    kept: list[str] = []
    for key, q in QUERIES.items():
        try:
            page = client.get_products(
                ServiceCode=q.service, Filters=_filters(q), FormatVersion="aws_v1", MaxResults=100
            )
        except (BotoCoreError, ClientError) as err:
            raise CostError(failure_text(err, client.meta.endpoint_url)) from None
        found = [
            usd
            for item in map(json.loads, page.get("PriceList", []))
            if _matches(item, q)
            for usd in [_on_demand_usd(item)]
            if usd
        ]
        if len(set(found)) == 1:
            prices[key] = found[0] * q.scale
        else:
            kept.append(key)
    return Refreshed(prices, kept)
