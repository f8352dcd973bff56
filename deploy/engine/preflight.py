"""Preflight: the read-only checks that run before `all`, `stack` or `main` writes anything.

A deploy must never fail twenty minutes in for a reason that could be known before the first
write. Each check reads the templates about to be deployed (out/<env>/) and asks AWS, read-only
and in parallel, whether AWS would accept them; every failed item says what, why, and the exact
fix. `run()` returns a Report; the command prints its checklist and stops with exit 2 (nothing
written: preflight runs before the deploy lock is taken). `--skip-preflight` is for emergencies.

The checks (one function each, `CHECKS`):
- account      a protected environment (prod) deploys only with a pinned account (config account_id)
- domain       the hosted zone the config names exists and serves the domain (not the placeholder)
- database     the RDS engine version and class are orderable in the Region and the environment's
               AZs; the live engine version is not newer than the template's (RDS auto minor upgrades)
- cache        the ElastiCache engine version and node type exist
- fargate      task sizes Fargate offers; Fargate Spot only for tasks it runs (Linux; ARM64 on 1.4.0+)
- quotas       headroom for the VPCs, Elastic IPs, NAT gateways per AZ, interface endpoints and load
               balancers a first deploy adds (Service Quotas, else the documented defaults)
- names        names the templates create that already exist outside the stacks (retained buckets,
               secrets, also those scheduled for deletion, log groups, the ECR repository, queues,
               KMS aliases): kept.py's lookup, handed on to the deploy (Report.kept)
- image        the image tag compute will run exists in ECR whenever a service will run tasks

An API the local emulator does not implement is reported as "not checked here", never as a pass
or a failure. Exported: Item, Report, Context, run, CHECKS, PLACEHOLDER_ZONE.

long: eight small, independent checks over one shared Context, each with its fix text; one file
reads as the checklist the user sees (split by service only if a check grows its own helpers).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from deploy.engine import kept
from hana_templates.config import FARGATE_SIZES

PLACEHOLDER_ZONE = "Z0000000000EXAMPLE"  # prod's hosted zone as shipped (config.py)

# Service Quotas codes and the defaults AWS documents (used when the API has no value).
QUOTAS = {
    "vpcs": ("vpc", "L-F678F1CE", 5, "VPCs per Region"),
    "eips": ("ec2", "L-0263D0A3", 5, "EC2-VPC Elastic IPs"),
    "nat_per_az": ("vpc", "L-FE5A380F", 5, "NAT gateways per Availability Zone"),
    "endpoints": ("vpc", "L-29B6F2EB", 50, "Interface VPC endpoints per VPC"),
    "albs": ("elasticloadbalancing", "L-53DA6B97", 50, "Application Load Balancers per Region"),
}


@dataclass(frozen=True)
class Item:
    """One failed check: what is wrong, why AWS would fail the deploy, the exact fix."""

    check: str
    what: str
    why: str
    fix: str


@dataclass
class Report:
    failed: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # what the endpoint cannot answer (the emulator)
    kept: list[kept.Kept] | None = None  # the kept resources found (check_names), for the deploy
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def checklist(self) -> str:
        lines = [f"preflight: {len(self.failed)} problem{'s' if len(self.failed) != 1 else ''}; nothing was changed"]
        for n, item in enumerate(self.failed, 1):
            lines += [f"  {n}. [{item.check}] {item.what}", f"     why: {item.why}", f"     fix: {item.fix}"]
        return "\n".join(lines)


class Unchecked(Exception):
    """The endpoint does not implement the API a check needs (the local emulator)."""


@dataclass
class Context:
    """What every check reads: the project, the clients, the stacks to deploy, the live stacks."""

    project: Any
    aws: Any
    keys: list[str]
    local: bool
    overrides: Mapping[str, str]
    live: dict[str, dict[str, Any] | None]
    adopt: bool = False
    kept: list[kept.Kept] | None = None  # set by check_names: the one lookup of kept resources

    @property
    def cfg(self) -> Any:
        return self.project.cfg

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    def resources(self, rtype: str, only_new: bool = False) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(stack key, logical id, properties) of every `rtype` in the stacks to deploy."""
        for key in self.keys:
            if only_new and self.live.get(key) is not None:
                continue
            for logical, res in (self.project.template(key).get("Resources") or {}).items():
                if res.get("Type") == rtype:
                    yield key, logical, res.get("Properties") or {}

    def command(self) -> str:
        return self.project.command()


def _code(err: Exception) -> str:
    return getattr(err, "response", {}).get("Error", {}).get("Code", "")


def _call(ctx: Context, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """`fn(**kwargs)`; on the emulator an unimplemented API raises Unchecked."""
    try:
        return fn(**kwargs)
    except Exception as err:
        text = str(err)
        if ctx.local and (
            _code(err) in ("NotImplemented", "InternalFailure", "500", "InternalError")
            or "not been implemented" in text
            or "invalid XML" in text
            or type(err).__name__ in ("ResponseParserError", "NotImplementedError")
        ):
            raise Unchecked(getattr(fn, "__name__", "call")) from None
        raise


# --- account and domain ---------------------------------------------------------------------------


def check_account(ctx: Context) -> list[Item]:
    cfg = ctx.cfg
    if ctx.local or cfg.account_id is not None or not cfg.termination_protection:
        return []
    account = ctx.aws.identity().account
    return [
        Item(
            "account",
            f"environment {cfg.name} is not pinned to an AWS account (config account_id is None)",
            f"a protected environment must never be deployed to whatever account the profile opens "
            f"(this one is {account})",
            f"set account_id='<12-digit account of {cfg.name}>' for {cfg.name} in hana_templates/config.py",
        )
    ]


def check_domain(ctx: Context) -> list[Item]:
    cfg = ctx.cfg
    uses_zone = any(True for _ in ctx.resources("AWS::Route53::RecordSet")) or any(
        True for _ in ctx.resources("AWS::CertificateManager::Certificate")
    )
    if not uses_zone or cfg.domain is None:
        return []
    zone_id, domain = cfg.domain.hosted_zone_id, cfg.domain.name
    fix_zone = f"set domain=Domain(name={domain!r}, hosted_zone_id='<your zone id>') for {cfg.name} in "
    fix_zone += "hana_templates/config.py, then `make templates`"
    if zone_id == PLACEHOLDER_ZONE and not ctx.local:
        return [
            Item(
                "domain",
                f"hosted zone {zone_id} is the placeholder shipped in config.py",
                "the certificate's DNS validation and the ALB's alias record need the real public zone of "
                f"{domain}; CloudFormation would fail compute after network, database and iam are built",
                fix_zone,
            )
        ]
    try:
        zone = ctx.client("route53").get_hosted_zone(Id=zone_id)["HostedZone"]
    except Exception as err:
        if _code(err) != "NoSuchHostedZone":
            raise
        hint = " (the emulator holds the zones of every environment when started by `python -m deploy local`)"
        return [
            Item(
                "domain",
                f"hosted zone {zone_id} does not exist in this account",
                f"compute validates the certificate of {domain} and writes its alias record in that zone",
                fix_zone + (hint if ctx.local else ""),
            )
        ]
    name = zone["Name"].rstrip(".")
    if not (domain == name or domain.endswith("." + name)):
        return [
            Item(
                "domain",
                f"hosted zone {zone_id} is {name}, which does not serve {domain}",
                "Route 53 refuses a record outside its zone; ACM's validation record would never resolve",
                fix_zone,
            )
        ]
    if zone.get("Config", {}).get("PrivateZone"):
        return [Item("domain", f"hosted zone {zone_id} is private", "ACM validates through public DNS", fix_zone)]
    return []


# --- database and cache ---------------------------------------------------------------------------


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def _zones(ctx: Context) -> list[str]:
    """The AZs the environment uses: the first az_count of the Region (`Fn::GetAZs ""` order)."""
    reply = ctx.client("ec2").describe_availability_zones(
        Filters=[{"Name": "state", "Values": ["available"]}, {"Name": "zone-type", "Values": ["availability-zone"]}]
    )
    return sorted(z["ZoneName"] for z in reply["AvailabilityZones"])[: ctx.cfg.network.az_count]


def check_database(ctx: Context) -> list[Item]:
    items: list[Item] = []
    rds = ctx.client("rds")
    for _key, _logical, p in ctx.resources("AWS::RDS::DBInstance"):
        engine, version, klass = p.get("Engine"), str(p.get("EngineVersion") or ""), p.get("DBInstanceClass")
        fix_cfg = f"in hana_templates/config.py ({ctx.cfg.name}), then `make templates`"
        options = _call(
            ctx,
            rds.describe_orderable_db_instance_options,
            Engine=engine,
            EngineVersion=version,
            DBInstanceClass=klass,
        )["OrderableDBInstanceOptions"]
        options = [o for o in options if o.get("DBInstanceClass") == klass and o.get("EngineVersion") == version]
        if not options:
            items.append(
                Item(
                    "database",
                    f"RDS {engine} {version} on {klass} is not orderable in {ctx.aws.region}",
                    "CreateDBInstance would fail after the network stack is built",
                    f"pick an orderable pair (`aws rds describe-orderable-db-instance-options --engine {engine} "
                    f"--db-instance-class {klass}`) and set database.engine_version / database.instance_class "
                    + fix_cfg,
                )
            )
        else:
            offered = {z["Name"] for o in options for z in o.get("AvailabilityZones") or []}
            missing = [z for z in _zones(ctx) if offered and z not in offered]
            if missing:
                items.append(
                    Item(
                        "database",
                        f"RDS {klass} is not offered in {', '.join(missing)}",
                        "the database subnets (and Multi-AZ's standby) live in those zones",
                        f"choose another database.instance_class {fix_cfg}",
                    )
                )
        identifier = p.get("DBInstanceIdentifier")
        if isinstance(identifier, str):
            items += _live_engine_version(ctx, rds, identifier, version)
    return items


def _live_engine_version(ctx: Context, rds: Any, identifier: str, version: str) -> list[Item]:
    """RDS applies minor upgrades itself (AutoMinorVersionUpgrade, and forced upgrades of minors at
    end of support); a template still naming the older version then fails the stack update
    ("Cannot upgrade postgres from X to Y"), so the template must follow the live version."""
    try:
        live = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["EngineVersion"]
    except Exception as err:
        if _code(err) == "DBInstanceNotFound":
            return []
        raise
    if _version(live) <= _version(version):
        return []
    return [
        Item(
            "database",
            f"{identifier} runs PostgreSQL {live}, newer than the template's {version}",
            "RDS upgraded the minor version itself; an update naming the older version fails "
            f"(Cannot upgrade postgres from {live} to {version})",
            f'set database.engine_version = "{live}" for {ctx.cfg.name} in hana_templates/config.py, '
            "then `make templates`",
        )
    ]


def check_cache(ctx: Context) -> list[Item]:
    items: list[Item] = []
    ec = ctx.client("elasticache")
    for _key, _logical, p in ctx.resources("AWS::ElastiCache::ReplicationGroup"):
        if ctx.local:  # moto has neither API (an HTTP 500, retried with back-off): tested with Stubber
            raise Unchecked("describe_cache_engine_versions")
        engine, version, node = p.get("Engine") or "redis", str(p.get("EngineVersion") or ""), p.get("CacheNodeType")
        fix = f"in hana_templates/config.py ({ctx.cfg.name}), then `make templates`"
        versions = _call(ctx, ec.describe_cache_engine_versions, Engine=engine, EngineVersion=version)
        if not versions.get("CacheEngineVersions"):
            items.append(
                Item(
                    "cache",
                    f"ElastiCache {engine} {version} does not exist in {ctx.aws.region}",
                    "CreateReplicationGroup would fail after the network stack is built",
                    f"set cache.engine_version to one of `aws elasticache describe-cache-engine-versions "
                    f"--engine {engine}` {fix}",
                )
            )
        offers = _call(ctx, ec.describe_reserved_cache_nodes_offerings, CacheNodeType=node, MaxRecords=20)
        if not offers.get("ReservedCacheNodesOfferings"):
            items.append(
                Item(
                    "cache",
                    f"ElastiCache node type {node} is not offered in {ctx.aws.region}",
                    "CreateReplicationGroup would fail with InvalidParameterCombination",
                    f"set cache.node_type to a type offered in {ctx.aws.region} {fix}",
                )
            )
    return items


# --- fargate --------------------------------------------------------------------------------------


def _platform_ok(version: Any, minimum: tuple[int, ...]) -> bool:
    if version in (None, "", "LATEST"):  # LATEST is 1.4.0 for Linux
        return True
    return _version(str(version)) >= minimum


def check_fargate(ctx: Context) -> list[Item]:
    """Task sizes from the ECS Developer Guide ("Task CPU and memory"); Fargate Spot from the ECS API
    Reference (CapacityProviderStrategyItem): Linux X86_64 on platform 1.3.0+, ARM64 on 1.4.0+, no
    Windows. Pure: read from the templates."""
    items: list[Item] = []
    tasks: dict[str, dict[str, Any]] = {}
    for _key, logical, p in ctx.resources("AWS::ECS::TaskDefinition"):
        tasks[logical] = p
        if "FARGATE" not in (p.get("RequiresCompatibilities") or []):
            continue
        cpu, memory = int(p.get("Cpu") or 0), int(p.get("Memory") or 0)
        if memory not in FARGATE_SIZES.get(cpu, ()):
            items.append(
                Item(
                    "fargate",
                    f"task definition {logical}: {cpu} CPU with {memory} MiB is not a Fargate size",
                    "RegisterTaskDefinition fails: No Fargate configuration exists for given values",
                    "set the service's cpu/memory to a pair in config.FARGATE_SIZES, then `make templates`",
                )
            )
    for _key, logical, p in ctx.resources("AWS::ECS::Service"):
        providers = [i.get("CapacityProvider") for i in p.get("CapacityProviderStrategy") or []]
        ref = p.get("TaskDefinition")
        task = tasks.get(ref.get("Ref")) if isinstance(ref, dict) else None
        if "FARGATE_SPOT" not in providers or task is None:
            continue
        platform = task.get("RuntimePlatform") or {}
        arch = platform.get("CpuArchitecture") or "X86_64"
        minimum = (1, 4, 0) if arch == "ARM64" else (1, 3, 0)
        if (platform.get("OperatingSystemFamily") or "LINUX") != "LINUX" or not _platform_ok(
            p.get("PlatformVersion"), minimum
        ):
            items.append(
                Item(
                    "fargate",
                    f"service {logical}: a {arch} task on FARGATE_SPOT with platform {p.get('PlatformVersion')}",
                    f"Fargate Spot runs Linux {arch} tasks only on platform version {'.'.join(map(str, minimum))} "
                    "or later; the service would never start a task",
                    "keep PlatformVersion LATEST in hana_templates/compute.py, or turn savings.workers_spot off",
                )
            )
    return items


# --- quotas ---------------------------------------------------------------------------------------


def _quota(ctx: Context, name: str) -> tuple[float, str]:
    service, code, default, label = QUOTAS[name]
    sq = ctx.client("service-quotas")
    # The emulator answers GetServiceQuota (VPC quotas) only; an unimplemented call is an HTTP 500
    # that botocore retries with back-off, so it is never made there.
    calls = (sq.get_service_quota,) if ctx.local else (sq.get_service_quota, sq.get_aws_default_service_quota)
    for fn in calls:
        try:
            return float(fn(ServiceCode=service, QuotaCode=code)["Quota"]["Value"]), label
        except Exception as err:  # noqa: BLE001 - no value (or no API on the emulator): the documented default
            if _code(err) not in ("NoSuchResourceException", "NoSuchResource") and not ctx.local:
                raise
    return float(default), label


def check_quotas(ctx: Context) -> list[Item]:
    """Only what a deploy adds: resources of stacks that do not exist yet."""
    add = {
        "vpcs": sum(1 for _ in ctx.resources("AWS::EC2::VPC", only_new=True)),
        "eips": sum(1 for _ in ctx.resources("AWS::EC2::EIP", only_new=True)),
        "nat_per_az": 1 if any(True for _ in ctx.resources("AWS::EC2::NatGateway", only_new=True)) else 0,
        "endpoints": sum(
            1
            for _, _, p in ctx.resources("AWS::EC2::VPCEndpoint", only_new=True)
            if p.get("VpcEndpointType") == "Interface"
        ),
        "albs": sum(
            1
            for _, _, p in ctx.resources("AWS::ElasticLoadBalancingV2::LoadBalancer", only_new=True)
            if p.get("Type", "application") == "application"
        ),
    }
    if not any(add.values()):
        return []
    ec2, used = ctx.client("ec2"), {"endpoints": 0}
    if add["vpcs"]:
        used["vpcs"] = len(ec2.describe_vpcs()["Vpcs"])
    if add["eips"]:
        used["eips"] = len(ec2.describe_addresses()["Addresses"])
    if add["nat_per_az"]:
        nats = ec2.describe_nat_gateways(Filter=[{"Name": "state", "Values": ["pending", "available"]}])
        subnets = [n["SubnetId"] for n in nats["NatGateways"]]
        per_az: dict[str, int] = {}
        if subnets:
            for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]:
                per_az[s["AvailabilityZone"]] = per_az.get(s["AvailabilityZone"], 0) + 1
        used["nat_per_az"] = max(per_az.values(), default=0)
    if add["albs"]:
        lbs = ctx.client("elbv2").describe_load_balancers()["LoadBalancers"]
        used["albs"] = sum(1 for lb in lbs if lb.get("Type") == "application")
    items = []
    for name, n in add.items():
        if not n:
            continue
        limit, label = _quota(ctx, name)
        if used.get(name, 0) + n > limit:
            service, code = QUOTAS[name][:2]
            items.append(
                Item(
                    "quotas",
                    f"{label}: {used.get(name, 0)} in use + {n} to add > quota {limit:g}",
                    "the create would fail mid-deploy with a limit error",
                    f"free some, or ask for more: `aws service-quotas request-service-quota-increase "
                    f"--service-code {service} --quota-code {code} --desired-value {used.get(name, 0) + n}`",
                )
            )
    return items


# --- names that already exist ---------------------------------------------------------------------


def _way_out(ctx: Context, k: kept.Kept) -> str:
    """How to get a kept resource out of the way. Every type but the alias can be adopted with its
    data (deploy/engine/adopt.py: `all --adopt`); deleting it (or `delete --purge`) is the other way."""
    adopt = f"keep it and its data: `{ctx.command()} all --adopt`"
    name = k.label
    if k.type == "AWS::S3::Bucket":
        if k.foreign:
            return "the name belongs to a bucket of another account: bucket names are global"
        return f"{adopt}; or empty and delete it (`aws s3 rb s3://{name} --force`)"
    if k.type == "AWS::SecretsManager::Secret":
        if k.scheduled_for_deletion:
            return (
                f"it is scheduled for deletion: {adopt} (restores it first); or "
                f"`aws secretsmanager delete-secret --secret-id {name} --force-delete-without-recovery`"
            )
        return f"{adopt}; or `aws secretsmanager delete-secret --secret-id {name}` (after saving its value)"
    if k.type == "AWS::Logs::LogGroup":
        return f"{adopt}; or `aws logs delete-log-group --log-group-name {name}`"
    if k.type == "AWS::ECR::Repository":
        return f"{adopt}; or `aws ecr delete-repository --repository-name {name} --force`"
    if k.type == "AWS::SQS::Queue":
        return f"{adopt}; or `aws sqs delete-queue --queue-url {k.identifier}`"
    return (
        f"`{ctx.command()} all --adopt` deletes it first; or `aws kms delete-alias --alias-name {name}` (the key stays)"
    )


def check_names(ctx: Context) -> list[Item]:
    """Names the stacks to create would take, already taken outside them (a retained resource of a
    deleted environment, a hand-made one): CloudFormation fails "already exists" mid-deploy. The
    lookup (kept.find) is kept in `ctx.kept` for the deploy, which then does not ask again; with
    `--adopt`, only what adopt cannot take is an item (a bucket name another account owns)."""
    found = kept.find(ctx.project, ctx.aws, kept.new_stacks(ctx.keys, ctx.live))
    ctx.kept = found
    return [
        Item(
            "names",
            f"{k.type.split('::', 1)[1]} {k.label} already exists outside stack {ctx.project.stack_name(k.stack)}",
            "CloudFormation would fail the create with 'already exists' and roll the stack back",
            _way_out(ctx, k),
        )
        for k in found
        if k.type != "AWS::KMS::Key" and (not ctx.adopt or k.foreign)
    ]


# --- the image --------------------------------------------------------------------------------------


def check_image(ctx: Context) -> list[Item]:
    """Whenever compute will ask a service for tasks (a desired count above 0), its image tag must
    be in ECR: otherwise the tasks fail to pull and the deploy waits until the circuit breaker."""
    compute = next((k for k in ctx.keys if "ImageTag" in (ctx.project.template(k).get("Parameters") or {})), None)
    if compute is None:
        return []
    live = ctx.live.get(compute)
    params = {p["ParameterKey"]: p.get("ParameterValue") for p in (live or {}).get("Parameters") or []}
    outputs = {o["OutputKey"]: o["OutputValue"] for o in (live or {}).get("Outputs") or []}
    counts = {k: v for k, v in ctx.overrides.items() if k.endswith("DesiredCount")}
    if live is not None:
        names = [v for k, v in outputs.items() if k.endswith("ServiceName")]
        cluster = next((v for k, v in outputs.items() if k == "ClusterName"), None)
        if names and cluster:
            try:
                services = ctx.client("ecs").describe_services(cluster=cluster, services=names)["services"]
            except Exception as err:
                if _code(err) != "ClusterNotFoundException":
                    raise
                services = []  # no cluster, no task to run
            counts.update({s["serviceName"]: str(s["desiredCount"]) for s in services})
    if not any(int(v or 0) > 0 for v in counts.values()):
        return []
    tag = ctx.overrides.get("ImageTag") or params.get("ImageTag")
    tag = tag or (ctx.project.template(compute)["Parameters"]["ImageTag"].get("Default"))
    uri = params.get("EcrRepositoryUri") or ""
    repository = uri.split("/", 1)[1] if "/" in uri else None
    if not repository or not tag:
        return []
    try:
        ctx.client("ecr").describe_images(repositoryName=repository, imageIds=[{"imageTag": str(tag)}])
        return []
    except Exception as err:
        if _code(err) not in ("ImageNotFoundException", "RepositoryNotFoundException"):
            raise
    return [
        Item(
            "image",
            f"image {repository}:{tag} is not in ECR",
            "the services run tasks and would fail to pull it until the deployment circuit breaker rolls back",
            f"push it first: `{ctx.command()} push --tag {tag}` (or deploy another tag: -p ImageTag=<tag>)",
        )
    ]


CHECKS: dict[str, Callable[[Context], list[Item]]] = {
    "account": check_account,
    "domain": check_domain,
    "database": check_database,
    "cache": check_cache,
    "fargate": check_fargate,
    "quotas": check_quotas,
    "names": check_names,
    "image": check_image,
}


def _describe(cfn: Any, name: str) -> dict[str, Any] | None:
    try:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    except Exception as err:
        if _code(err) == "ValidationError":
            return None
        raise
    return None if stack["StackStatus"] in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE") else stack


def run(
    project: Any,
    aws: Any,
    keys: list[str] | None = None,
    *,
    overrides: Mapping[str, str] | None = None,
    checks: Mapping[str, Callable[[Context], list[Item]]] | None = None,
    nested: bool = False,
    adopt: bool = False,
) -> Report:
    """Every check, in parallel, over the stacks `keys` (default: all); read-only. `nested`: the
    deploy is `main`, whose children are named by CloudFormation: once the master exists, every
    stack counts as deployed (what they hold is theirs, not a name taken outside them)."""
    started = time.perf_counter()
    keys = project.order() if keys is None else list(keys)
    local = bool(getattr(aws.settings, "local", False))
    cfn = aws.client("cloudformation")
    aws.identity()  # once, before the threads share it
    with ThreadPoolExecutor(max_workers=12) as pool:
        live = dict(zip(keys, pool.map(lambda k: _describe(cfn, project.stack_name(k)), keys), strict=True))
        if nested and _describe(cfn, project.stack_name("main")) is not None:
            live = {k: live[k] or {"StackStatus": "NESTED"} for k in keys}
        ctx = Context(project, aws, keys, local, dict(overrides or {}), live, adopt)
        chosen = dict(checks if checks is not None else CHECKS)
        futures = {name: pool.submit(fn, ctx) for name, fn in chosen.items()}
        report = Report()
        for name, future in futures.items():
            try:
                report.failed += future.result()
            except Unchecked as api:
                report.unchecked.append(f"{name} ({api} is not implemented by this endpoint)")
        report.kept = ctx.kept
    if not local and project.cfg.account_id is None and not report.failed:
        ident = aws.identity()
        report.notes.append(
            f"environment {project.env} is not pinned to an account: this deploy changes account {ident.account} "
            f"({ident.principal}); pin it with account_id='{ident.account}' in hana_templates/config.py"
        )
    report.seconds = time.perf_counter() - started
    return report
