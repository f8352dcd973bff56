"""Pricing rules: one per billable CloudFormation resource type, and the list of free types.

A rule has two parts, both optional:
- `each(resource, ctx)`: the lines one resource costs (an RDS instance's hours and storage);
- `together(resources, ctx)`: lines for all resources of the type at once, where the spec's table
  has one line for them ("7 secrets") or where a usage assumption is shared ("NAT data processed").
A line is either part of the fixed monthly floor (what the environment costs idle: hours,
monthly fees) or, with `usage=True`, priced from a usage assumption and shown apart.

Every resource type in the generated templates is either in RULES or in FREE (with the reason
it costs nothing by itself). `tests/cost/test_coverage.py` fails the build when a template
gains a type that is in neither, so nothing deployable goes unpriced.

long: a table of small, independent rules (one per resource type) read top to bottom like the
spec's cost table; splitting it by service would scatter that table over a dozen files.

Exported: Line, Context, Rule, RULES, FREE, SERVICES (display order and the spec's names).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from hana_templates import naming
from hana_templates.config import EnvConfig

from .errors import CostError
from .inventory import Inventory, Resource, list_length, mentions
from .prices import HOURS_PER_MONTH as H
from .prices import VALKEY_FACTOR, PriceTable
from .schedule import weekly_task_hours
from .usage import Usage

# Display order; the first thirteen are the spec's own service names (for reconciliation).
SERVICES = (
    "RDS PostgreSQL",
    "ElastiCache Redis",
    "ECS Fargate",
    "NAT Gateway",
    "Application Load Balancer",
    "VPC Endpoints",
    "S3",
    "CloudWatch",
    "Secrets Manager",
    "SQS",
    "WAF",
    "Route 53",
    "ACM",
    "KMS",
    "ECR",
    "Public IPv4",
    "Data transfer",
)
WEEK_HOURS = 168


@dataclass(frozen=True)
class Line:
    service: str
    resource: str
    specs: str
    monthly: float
    formula: str  # the arithmetic, e.g. "730 h x $0.065"
    usage: bool = False  # priced from a usage assumption (not part of the fixed floor)
    at_max: float | None = None  # the figure at the autoscaling maximum, where it differs
    stack: str = ""
    meta: Mapping[str, float] = field(default_factory=dict)  # counts the reconciliation quotes

    @property
    def monthly_at_max(self) -> float:
        return self.monthly if self.at_max is None else self.at_max


@dataclass(frozen=True)
class Context:
    cfg: EnvConfig
    prices: PriceTable
    usage: Usage
    inv: Inventory


@dataclass(frozen=True)
class Rule:
    each: Callable[[Resource, Context], list[Line]] | None = None  # per resource
    together: Callable[[Sequence[Resource], Context], list[Line]] | None = None  # all of the type at once


def _n(x: float) -> str:
    return f"{x:g}"


def _s(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


# --- compute ---------------------------------------------------------------------------------


def _config_service(res: Resource, ctx: Context):
    name = res.prop("ServiceName")
    for svc in ctx.cfg.services:
        if name == naming.name(ctx.cfg, svc.name) or (name is None and svc.name in res.logical_id.lower()):
            return svc
    raise CostError(
        f"{res.label}: ECS service {name or res.logical_id!r} matches no service in config "
        f"({', '.join(s.name for s in ctx.cfg.services)}); the estimator needs its task counts"
    )


def _scalable_target(res: Resource, ctx: Context) -> Resource | None:
    for target in ctx.inv.of_type("AWS::ApplicationAutoScaling::ScalableTarget"):
        if target.stack == res.stack and mentions(target.props.get("ResourceId"), res.logical_id):
            return target
    return None


def _spot_share(strategy: Sequence, tasks: int) -> float:
    """Fraction of `tasks` that a capacity provider strategy places on FARGATE_SPOT (base first, then weights)."""
    if not strategy or tasks == 0:
        return 0.0
    items = [(s["CapacityProvider"], int(s.get("Base", 0) or 0), int(s.get("Weight", 0) or 0)) for s in strategy]
    placed = {p: 0.0 for p, _, _ in items}
    left = tasks
    for provider, base, _ in items:
        take = min(base, left)
        placed[provider] += take
        left -= take
    weights = sum(w for _, _, w in items)
    for provider, _, weight in items:
        if weights:
            placed[provider] += left * weight / weights
    return placed.get("FARGATE_SPOT", 0.0) / tasks


def _fargate(res: Resource, ctx: Context) -> list[Line]:
    svc = _config_service(res, ctx)
    taskdef = ctx.inv.referenced(res, res.props.get("TaskDefinition"))
    if taskdef is None:
        raise CostError(f"{res.label}: its TaskDefinition is not a resource of the same stack; cannot size it")
    vcpu = int(taskdef.prop("Cpu")) / 1024
    gb = int(taskdef.prop("Memory")) / 1024
    arch = (taskdef.prop("RuntimePlatform") or {}).get("CpuArchitecture", "X86_64")
    family = "arm" if arch == "ARM64" else "x86"
    p_cpu, p_gb = ctx.prices[f"fargate.{family}.vcpu_hour"], ctx.prices[f"fargate.{family}.gb_hour"]
    extra_gb = max(0, int((taskdef.prop("EphemeralStorage") or {}).get("SizeInGiB", 20)) - 20)
    rate = vcpu * p_cpu + gb * p_gb + extra_gb * ctx.prices["fargate.ephemeral_gb_hour"]

    target = _scalable_target(res, ctx)
    actions = (target.prop("ScheduledActions") or []) if target else []
    bounds = (int(target.prop("MinCapacity")), int(target.prop("MaxCapacity"))) if target else (0, 10**6)

    def task_hours(tasks: int) -> float:
        if not actions:
            return tasks * H
        return weekly_task_hours(actions, bounds, tasks) * H / WEEK_HOURS

    strategy = res.prop("CapacityProviderStrategy") or []
    discount = ctx.usage["fargate_spot_discount"]

    def cost(tasks: int) -> tuple[float, float, float]:
        hours = task_hours(tasks)
        spot = _spot_share(strategy, tasks)
        return hours * rate * (1 - spot * discount), hours, spot

    low, hours, spot = cost(svc.min_tasks)
    high, _, _ = cost(svc.max_tasks)
    running = f"{hours / max(svc.min_tasks, 1):.1f} h/month (scheduled)" if actions else "24/7"
    specs = (
        f"{_n(vcpu)} vCPU, {_n(gb)} GB, {arch}, {svc.min_tasks} task{'s' * (svc.min_tasks != 1)}"
        f"{f' (max {svc.max_tasks})' if svc.max_tasks != svc.min_tasks else ''}, {running}"
        f"{f', {spot:.0%} Spot' if spot else ''}"
    )
    formula = f"{_n(round(hours, 1))} task-h x ({_n(vcpu)} x ${p_cpu:g} + {_n(gb)} x ${p_gb:g})"
    if spot:
        formula += f" x (1 - {spot:.0%} Spot x {discount:.0%} off)"
    return [
        Line(
            "ECS Fargate",
            naming.name(ctx.cfg, svc.name),
            specs,
            low,
            formula,
            at_max=high if svc.max_tasks != svc.min_tasks else None,
            stack=res.stack,
        )
    ]


def _running_fraction(service: Resource, ctx: Context) -> float:
    """Share of the month a service has tasks (CloudWatch bills metrics only for hours they are published)."""
    target = _scalable_target(service, ctx)
    actions = (target.prop("ScheduledActions") or []) if target else []
    if not actions:
        return 1.0
    bounds = (int(target.prop("MinCapacity")), int(target.prop("MaxCapacity")))
    return weekly_task_hours(actions, bounds, 1) / WEEK_HOURS


def _container_insights(clusters: Sequence[Resource], ctx: Context) -> list[Line]:
    """Standard Container Insights publishes custom metrics per cluster, service and task family
    (counts: usage assumptions), prorated to the hours tasks run, plus performance log events."""
    lines = []
    u, p_metric, p_log = ctx.usage, ctx.prices["cw.metric_month"], ctx.prices["logs.ingest_gb"]
    for cluster in clusters:
        settings = {s.get("Name"): s.get("Value") for s in cluster.prop("ClusterSettings") or []}
        mode = settings.get("containerInsights", "disabled")
        if mode == "disabled":
            continue
        if mode != "enabled":
            raise CostError(f"{cluster.label}: Container Insights mode {mode!r} has no pricing rule; priced: enabled")
        services = [s for s in ctx.inv.of_type("AWS::ECS::Service") if s.stack == cluster.stack]
        fractions = [_running_fraction(s, ctx) for s in services]
        per_service = u["ci_metrics_per_service"] + u["ci_metrics_per_family"]
        metrics = u["ci_metrics_per_cluster"] * max(fractions, default=0) + per_service * sum(fractions)
        full = u["ci_metrics_per_cluster"] + per_service * len(services)
        prorated = "" if metrics == full else f"; {_n(full)} metrics, prorated to the hours tasks run"
        lines.append(
            Line(
                "CloudWatch",
                "Container Insights",
                f"{_n(round(metrics, 2))} metric-months ({_s(len(services), 'service')}{prorated}), "
                f"{_n(u['ci_log_gb'])} GB performance logs",
                metrics * p_metric + u["ci_log_gb"] * p_log,
                f"{metrics:.2f} x ${p_metric:g} + {_n(u['ci_log_gb'])} GB x ${p_log:g}",
                usage=True,
                stack=cluster.stack,
            )
        )
    return lines


# --- network ---------------------------------------------------------------------------------


def _nat(res: Resource, ctx: Context) -> list[Line]:
    p = ctx.prices["nat.hour"]
    return [Line("NAT Gateway", res.logical_id, "1 gateway, 730 h", H * p, f"{H} h x ${p:g}", stack=res.stack)]


def _nat_data(nats: Sequence[Resource], ctx: Context) -> list[Line]:
    gb, p = ctx.usage["nat_gb"], ctx.prices["nat.gb"]
    return [Line("NAT Gateway", "data processed", f"{_n(gb)} GB/month", gb * p, f"{_n(gb)} GB x ${p:g}", usage=True)]


def _eip(res: Resource, ctx: Context) -> list[Line]:
    p = ctx.prices["ipv4.hour"]
    on_nat = any(
        mentions(nat.props.get("AllocationId"), res.logical_id)
        for nat in ctx.inv.of_type("AWS::EC2::NatGateway")
        if nat.stack == res.stack
    )
    service = "NAT Gateway" if on_nat else "Public IPv4"
    what = "NAT's public IPv4 (Elastic IP)" if on_nat else "Elastic IP"
    return [Line(service, f"{res.logical_id}", what, H * p, f"{H} h x ${p:g}", stack=res.stack)]


def _endpoint_name(res: Resource) -> str:
    return str(res.prop("ServiceName") or res.logical_id).rsplit(".us-east-1.", 1)[-1]


def _endpoints(endpoints: Sequence[Resource], ctx: Context) -> list[Line]:
    """Interface endpoints bill per endpoint per AZ (each subnet is one AZ); gateway endpoints are free."""
    lines: list[Line] = []
    interface, gateway = [], []
    for res in endpoints:
        kind = res.prop("VpcEndpointType", "Gateway")
        if kind not in ("Interface", "Gateway"):
            raise CostError(f"{res.label}: VPC endpoint type {kind!r} has no pricing rule; priced: Interface, Gateway")
        (interface if kind == "Interface" else gateway).append(res)
    if interface:
        azs = {list_length(r.props.get("SubnetIds")) or ctx.cfg.network.az_count for r in interface}
        if len(azs) != 1:
            raise CostError("interface endpoints in different numbers of AZs: price them one by one")
        az = azs.pop()
        p = ctx.prices["endpoint.hour"]
        names = ", ".join(_endpoint_name(r) for r in interface)
        lines.append(
            Line(
                "VPC Endpoints",
                f"{_s(len(interface), 'interface endpoint')}",
                f"{names}; each in {_s(az, 'AZ')}",
                len(interface) * az * H * p,
                f"{len(interface)} x {az} AZ x {H} h x ${p:g}",
                meta={"endpoints": len(interface), "azs": az, "per_endpoint_az": H * p},
            )
        )
        gb, p_gb = ctx.usage["endpoint_gb"], ctx.prices["endpoint.gb"]
        lines.append(
            Line(
                "VPC Endpoints",
                "data processed",
                f"{_n(gb)} GB/month",
                gb * p_gb,
                f"{_n(gb)} GB x ${p_gb:g}",
                usage=True,
            )
        )
    if gateway:
        names = ", ".join(_endpoint_name(r) for r in gateway)
        lines.append(Line("VPC Endpoints", _s(len(gateway), "gateway endpoint"), f"{names} (free)", 0.0, "free"))
    return lines


def _alb(res: Resource, ctx: Context) -> list[Line]:
    kind = res.prop("Type", "application")
    if kind != "application":
        raise CostError(f"{res.label}: load balancer type {kind!r} has no pricing rule; priced: application")
    p_h, p_ip = ctx.prices["alb.hour"], ctx.prices["ipv4.hour"]
    name = res.prop("Name") or res.logical_id
    lines = [Line("Application Load Balancer", name, "1 ALB, 730 h", H * p_h, f"{H} h x ${p_h:g}", stack=res.stack)]
    if res.prop("Scheme", "internet-facing") == "internet-facing":
        azs = (
            list_length(res.props.get("Subnets"))
            or list_length(res.props.get("SubnetMappings"))
            or ctx.cfg.network.az_count
        )
        lines.append(
            Line(
                "Application Load Balancer",
                "public IPv4 of the ALB nodes",
                f"{azs} addresses (one per AZ node; more if the ALB scales out)",
                azs * H * p_ip,
                f"{azs} x {H} h x ${p_ip:g}",
                stack=res.stack,
            )
        )
    return lines


def _alb_usage(albs: Sequence[Resource], ctx: Context) -> list[Line]:
    lcu, p = ctx.usage["alb_lcu"], ctx.prices["alb.lcu_hour"]
    gb, p_out = ctx.usage["transfer_out_gb"], ctx.prices["transfer.out_gb"]
    return [
        Line(
            "Application Load Balancer",
            "LCU",
            f"{_n(lcu)} LCU average x {len(albs)} ALB",
            len(albs) * lcu * H * p,
            f"{len(albs)} x {_n(lcu)} LCU x {H} h x ${p:g}",
            usage=True,
        ),
        Line(
            "Data transfer",
            "out to the internet",
            f"{_n(gb)} GB/month",
            gb * p_out,
            f"{_n(gb)} GB x ${p_out:g}",
            usage=True,
        ),
    ]


# --- databases -------------------------------------------------------------------------------


def _rds(res: Resource, ctx: Context) -> list[Line]:
    engine = res.prop("Engine", "")
    if engine != "postgres":
        raise CostError(f"{res.label}: RDS engine {engine!r} has no price table; priced: postgres")
    cls = res.prop("DBInstanceClass")
    try:
        p = ctx.prices.rds_hour(cls)
    except KeyError:
        raise CostError(f"{res.label}: no price for RDS instance class {cls!r}") from None
    multi = str(res.prop("MultiAZ", False)).lower() == "true"
    copies = 2 if multi else 1
    gb = int(res.prop("AllocatedStorage"))
    storage = str(res.prop("StorageType", "gp2")).lower()
    if storage not in ("gp2", "gp3"):
        raise CostError(f"{res.label}: RDS storage type {storage!r} has no pricing rule; priced: gp2, gp3")
    p_gb = ctx.prices[f"rds.{storage}_gb_month"]
    az = "Multi-AZ" if multi else "Single-AZ"
    name = res.prop("DBInstanceIdentifier") or res.logical_id
    lines = [
        Line(
            "RDS PostgreSQL",
            name,
            f"{cls}, {az}",
            copies * H * p,
            f"{copies} x {H} h x ${p:g}" if multi else f"{H} h x ${p:g}",
            stack=res.stack,
        ),
        Line(
            "RDS PostgreSQL",
            f"{name} storage",
            f"{gb} GB {storage}, {az}" + (" (primary + standby)" if multi else ""),
            copies * gb * p_gb,
            f"{copies} x {gb} GB x ${p_gb:g}" if multi else f"{gb} GB x ${p_gb:g}",
            stack=res.stack,
        ),
    ]
    pi_days = int(res.prop("PerformanceInsightsRetentionPeriod", 7) or 7)
    if str(res.prop("EnablePerformanceInsights", False)).lower() == "true" and pi_days > 7:
        raise CostError(f"{res.label}: Performance Insights retention {pi_days} days is not priced; 7 days is free")
    return lines


def _rds_logs(instances: Sequence[Resource], ctx: Context) -> list[Line]:
    """Log exports into groups the templates do not create (RDS then makes them itself), and
    enhanced monitoring, which RDS writes to its own RDSOSMetrics log group."""
    lines = []
    p = ctx.prices["logs.ingest_gb"]
    declared = {str(g.prop("LogGroupName") or "") for g in ctx.inv.of_type("AWS::Logs::LogGroup")}
    for db in instances:
        name = db.prop("DBInstanceIdentifier") or db.logical_id
        undeclared = [
            e for e in db.prop("EnableCloudwatchLogsExports") or [] if f"/aws/rds/instance/{name}/{e}" not in declared
        ]
        if undeclared:
            gb = ctx.usage["rds_log_gb"]
            lines.append(
                Line(
                    "CloudWatch",
                    f"RDS log exports ({', '.join(undeclared)})",
                    f"{_n(gb)} GB/month into groups RDS creates (no retention set)",
                    gb * p,
                    f"{_n(gb)} GB x ${p:g}",
                    usage=True,
                )
            )
        interval = int(db.prop("MonitoringInterval", 0) or 0)
        if interval:
            gb = ctx.usage["rds_os_metrics_gb"]
            lines.append(
                Line(
                    "CloudWatch",
                    "RDS enhanced monitoring",
                    f"every {interval} s into RDSOSMetrics, {_n(gb)} GB/month",
                    gb * p,
                    f"{_n(gb)} GB x ${p:g}",
                    usage=True,
                )
            )
    return lines


def _cache_nodes(res: Resource) -> int:
    if res.type == "AWS::ElastiCache::CacheCluster":
        return int(res.prop("NumCacheNodes", 1))
    if res.prop("NumCacheClusters") is not None:
        return int(res.prop("NumCacheClusters"))
    return int(res.prop("NumNodeGroups", 1)) * (int(res.prop("ReplicasPerNodeGroup", 0)) + 1)


def _cache(res: Resource, ctx: Context) -> list[Line]:
    node = res.prop("CacheNodeType")
    try:
        p = ctx.prices.cache_hour(node)
    except KeyError:
        raise CostError(f"{res.label}: no price for ElastiCache node type {node!r}") from None
    engine = str(res.prop("Engine", "redis")).lower()
    if engine == "valkey":
        p = round(p * VALKEY_FACTOR, 6)
    elif engine != "redis":
        raise CostError(f"{res.label}: ElastiCache engine {engine!r} has no pricing rule; priced: redis, valkey")
    nodes = _cache_nodes(res)
    name = res.prop("ReplicationGroupId") or res.prop("ClusterName") or res.logical_id
    role = "primary" if nodes == 1 else f"primary + {nodes - 1} replica{'s' * (nodes > 2)}"
    return [
        Line(
            "ElastiCache Redis",
            name,
            f"{node} x {nodes} ({role}), {engine}",
            nodes * H * p,
            f"{nodes} x {H} h x ${p:g}",
            stack=res.stack,
        )
    ]


# --- storage ---------------------------------------------------------------------------------


def _s3_usage(buckets: Sequence[Resource], ctx: Context) -> list[Line]:
    gb, p = ctx.usage["s3_gb"], ctx.prices["s3.gb_month"]
    puts, p_put = ctx.usage["s3_put_1k"], ctx.prices["s3.put_1k"]
    return [
        Line(
            "S3",
            f"{len(buckets)} buckets",
            f"{_n(gb)} GB Standard, {_n(puts)}k PUTs/month",
            gb * p + puts * p_put,
            f"{_n(gb)} GB x ${p:g} + {_n(puts)}k x ${p_put:g}",
            usage=True,
        )
    ]


def _ecr_usage(repos: Sequence[Resource], ctx: Context) -> list[Line]:
    gb, p = ctx.usage["ecr_gb"], ctx.prices["ecr.gb_month"]
    return [
        Line("ECR", f"{len(repos)} repository", f"{_n(gb)} GB of images", gb * p, f"{_n(gb)} GB x ${p:g}", usage=True)
    ]


# --- monitoring ------------------------------------------------------------------------------


def _log_kind(group: Resource, ctx: Context) -> str:
    name = str(group.prop("LogGroupName") or "")
    for flow in ctx.inv.of_type("AWS::EC2::FlowLog"):
        if flow.stack == group.stack and mentions(flow.props.get("LogGroupName"), group.logical_id):
            return "flow"
    if name.startswith("aws-waf-logs-"):
        return "waf"
    if name.startswith("/ecs/"):
        return "app"
    if name.startswith("/aws/rds/"):
        return "rds"
    return "other"


_LOG_KINDS = {
    "app": ("service logs", "app_log_gb"),
    "flow": ("VPC flow logs", "flow_log_gb"),
    "waf": ("WAF logs", "waf_log_gb"),
    "rds": ("PostgreSQL logs", "rds_log_gb"),
    "other": ("other log groups", "other_log_gb"),
}


def _logs_usage(groups: Sequence[Resource], ctx: Context) -> list[Line]:
    """Ingestion (by log class) and archive storage: at steady state a group holds its retention
    period's worth of ingest (GB/month x days / 30.4), billed uncompressed here (conservative)."""
    lines = []
    p_store = ctx.prices["logs.storage_gb_month"]
    for kind, (title, assumption) in _LOG_KINDS.items():
        members = [g for g in groups if _log_kind(g, ctx) == kind]
        if not members:
            continue
        total_gb = ctx.usage[assumption] * (len(members) if kind == "other" else 1)
        per_group = total_gb / len(members)
        ingest = stored = 0.0
        classes, days, ingest_prices = set(), set(), set()
        for g in members:
            log_class = g.prop("LogGroupClass", "STANDARD")
            p_in = ctx.prices["logs.ingest_ia_gb" if log_class == "INFREQUENT_ACCESS" else "logs.ingest_gb"]
            retention = int(g.prop("RetentionInDays", 3653))
            ingest += per_group * p_in
            stored += per_group * retention / 30.4
            classes.add(log_class)
            days.add(retention)
            ingest_prices.add(p_in)
        p_in_text = "/".join(f"${p:g}" for p in sorted(ingest_prices))
        lines.append(
            Line(
                "CloudWatch",
                f"logs: {title}",
                f"{_s(len(members), 'group')}, {_n(total_gb)} GB/month, "
                f"{'/'.join(map(str, sorted(days)))} d retention, {'/'.join(sorted(classes))}",
                ingest + stored * p_store,
                f"{_n(total_gb)} GB x {p_in_text} + {stored:.2f} GB stored x ${p_store:g}",
                usage=True,
            )
        )
    return lines


def _alarm_metrics(res: Resource) -> tuple[int, bool]:
    """(metrics billed, high resolution) of one alarm: metric-math alarms bill each metric they
    read; anomaly-detection alarms bill the metric and the band's two bounds."""
    metrics = [m for m in res.prop("Metrics") or [] if "MetricStat" in m]
    if metrics:
        count, period = len(metrics), min(int(m["MetricStat"].get("Period", 60)) for m in metrics)
    else:
        count, period = 1, int(res.prop("Period", 60))
    if res.prop("ThresholdMetricId"):
        count *= 3
    return count, period < 60


def _alarms(alarms: Sequence[Resource], ctx: Context) -> list[Line]:
    standard = highres = 0
    for res in alarms:
        count, high = _alarm_metrics(res)
        if high:
            highres += count
        else:
            standard += count
    p, p_hr = ctx.prices["cw.alarm_metric_month"], ctx.prices["cw.alarm_highres_metric_month"]
    formula = f"{standard} x ${p:g}" + (f" + {highres} x ${p_hr:g}" if highres else "")
    return [
        Line(
            "CloudWatch",
            _s(len(alarms), "alarm"),
            f"{_s(standard + highres, 'alarm metric')}; free tier (10 per account) not applied",
            standard * p + highres * p_hr,
            formula,
            meta={"alarms": len(alarms)},
        )
    ]


def _composite_alarm(res: Resource, ctx: Context) -> list[Line]:
    p = ctx.prices["cw.composite_alarm_month"]
    return [
        Line(
            "CloudWatch",
            f"composite alarm {res.prop('AlarmName') or res.logical_id}",
            "",
            p,
            f"1 x ${p:g}",
            stack=res.stack,
        )
    ]


def _dashboard(res: Resource, ctx: Context) -> list[Line]:
    p = ctx.prices["cw.dashboard_month"]
    name = res.prop("DashboardName") or res.logical_id
    return [
        Line(
            "CloudWatch",
            f"dashboard {name}",
            "free tier (3 per account) not applied",
            p,
            f"1 x ${p:g}",
            stack=res.stack,
        )
    ]


def _metric_filter(res: Resource, ctx: Context) -> list[Line]:
    count = len(res.prop("MetricTransformations") or [1])
    p = ctx.prices["cw.metric_month"]
    return [
        Line(
            "CloudWatch",
            f"metric filter {res.prop('FilterName') or res.logical_id}",
            f"{count} custom metric",
            count * p,
            f"{count} x ${p:g}",
            stack=res.stack,
        )
    ]


# --- security --------------------------------------------------------------------------------


def _secrets(secrets: Sequence[Resource], ctx: Context) -> list[Line]:
    p = ctx.prices["secrets.secret_month"]
    n, p_api = ctx.usage["secrets_api_10k"], ctx.prices["secrets.api_10k"]
    keys = ", ".join(str(r.prop("Name") or r.logical_id).rsplit("/", 1)[-1] for r in secrets)
    return [
        Line("Secrets Manager", _s(len(secrets), "secret"), keys, len(secrets) * p, f"{len(secrets)} x ${p:g}"),
        Line(
            "Secrets Manager",
            "API calls",
            f"{_n(n * 10)}k calls/month",
            n * p_api,
            f"{_n(n)} x 10k x ${p_api:g}",
            usage=True,
        ),
    ]


def _kms(keys: Sequence[Resource], ctx: Context) -> list[Line]:
    p = ctx.prices["kms.key_month"]
    n, p_req = ctx.usage["kms_10k"], ctx.prices["kms.requests_10k"]
    stacks = ", ".join(sorted({r.stack for r in keys}))
    rotating = sum(1 for r in keys if r.prop("EnableKeyRotation"))
    note = "; yearly rotation adds $1/mo per rotation (at most $2 a key)" if rotating else ""
    return [
        Line(
            "KMS",
            _s(len(keys), "customer-managed key"),
            f"{stacks}{note}",
            len(keys) * p,
            f"{len(keys)} x ${p:g}",
        ),
        Line("KMS", "requests", f"{_n(n * 10)}k requests/month", n * p_req, f"{_n(n)} x 10k x ${p_req:g}", usage=True),
    ]


# Managed rule groups with a subscription fee on top of the $1 rule charge: not priced here.
_PAID_RULE_GROUPS = ("AWSManagedRulesBotControlRuleSet", "AWSManagedRulesATPRuleSet", "AWSManagedRulesACFPRuleSet")


def _waf(res: Resource, ctx: Context) -> list[Line]:
    rules = res.prop("Rules") or []
    for rule in rules:
        group = ((rule.get("Statement") or {}).get("ManagedRuleGroupStatement") or {}).get("Name")
        if group in _PAID_RULE_GROUPS:
            raise CostError(f"{res.label}: managed rule group {group} has a subscription fee with no pricing rule")
    p_acl, p_rule = ctx.prices["waf.acl_month"], ctx.prices["waf.rule_month"]
    name = res.prop("Name") or res.logical_id
    return [
        Line(
            "WAF",
            name,
            f"WebACL + {len(rules)} rules",
            p_acl + len(rules) * p_rule,
            f"${p_acl:g} + {len(rules)} x ${p_rule:g}",
            stack=res.stack,
        )
    ]


def _waf_usage(acls: Sequence[Resource], ctx: Context) -> list[Line]:
    m, p = ctx.usage["waf_million"], ctx.prices["waf.requests_million"]
    return [Line("WAF", "requests", f"{_n(m)}M requests/month", m * p, f"{_n(m)}M x ${p:g}", usage=True)]


# --- messaging, DNS, certificates --------------------------------------------------------------


def _sqs_usage(queues: Sequence[Resource], ctx: Context) -> list[Line]:
    lines = []
    fifo = [q for q in queues if str(q.prop("FifoQueue", False)).lower() == "true"]
    standard = [q for q in queues if q not in fifo]
    for members, kind, assumption, key in (
        (fifo, "FIFO", "sqs_fifo_million", "sqs.fifo_million"),
        (standard, "standard", "sqs_standard_million", "sqs.standard_million"),
    ):
        if members:
            m, p = ctx.usage[assumption], ctx.prices[key]
            lines.append(
                Line(
                    "SQS",
                    f"{len(members)} {kind} queue{'s' * (len(members) != 1)}",
                    f"{_n(m)}M requests/month (free tier not applied)",
                    m * p,
                    f"{_n(m)}M x ${p:g}",
                    usage=True,
                )
            )
    return lines


def _hosted_zone(res: Resource, ctx: Context) -> list[Line]:
    p = ctx.prices["route53.zone_month"]
    return [Line("Route 53", str(res.prop("Name") or res.logical_id), "hosted zone", p, f"1 x ${p:g}", stack=res.stack)]


def _records(records: Sequence[Resource], ctx: Context) -> list[Line]:
    """Records into a zone the templates do not create (config.domain's zone): the zone is still
    billed to the account, once per zone id."""
    zones = sorted({str(r.prop("HostedZoneId") or r.prop("HostedZoneName")) for r in records})
    p = ctx.prices["route53.zone_month"]
    return [
        Line("Route 53", f"hosted zone {z}", "existing zone (config.domain); alias queries free", p, f"1 x ${p:g}")
        for z in zones
    ]


def _certificate(res: Resource, ctx: Context) -> list[Line]:
    return [
        Line(
            "ACM",
            str(res.prop("DomainName") or res.logical_id),
            "public certificate (free)",
            0.0,
            "free",
            stack=res.stack,
        )
    ]


def _flow_log(res: Resource, ctx: Context) -> list[Line]:
    if res.prop("LogDestinationType", "cloud-watch-logs") != "s3":
        return []  # priced as the log group it writes to
    gb, p = ctx.usage["flow_log_gb"], ctx.prices["logs.vended_s3_gb"]
    return [
        Line("CloudWatch", "VPC flow logs to S3", f"{_n(gb)} GB/month", gb * p, f"{_n(gb)} GB x ${p:g}", usage=True)
    ]


RULES: dict[str, Rule] = {
    "AWS::ECS::Service": Rule(each=_fargate),
    "AWS::ECS::Cluster": Rule(together=_container_insights),
    "AWS::EC2::NatGateway": Rule(each=_nat, together=_nat_data),
    "AWS::EC2::EIP": Rule(each=_eip),
    "AWS::EC2::VPCEndpoint": Rule(together=_endpoints),
    "AWS::EC2::FlowLog": Rule(each=_flow_log),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": Rule(each=_alb, together=_alb_usage),
    "AWS::RDS::DBInstance": Rule(each=_rds, together=_rds_logs),
    "AWS::ElastiCache::ReplicationGroup": Rule(each=_cache),
    "AWS::ElastiCache::CacheCluster": Rule(each=_cache),
    "AWS::S3::Bucket": Rule(together=_s3_usage),
    "AWS::ECR::Repository": Rule(together=_ecr_usage),
    "AWS::Logs::LogGroup": Rule(together=_logs_usage),
    "AWS::Logs::MetricFilter": Rule(each=_metric_filter),
    "AWS::CloudWatch::Alarm": Rule(together=_alarms),
    "AWS::CloudWatch::CompositeAlarm": Rule(each=_composite_alarm),
    "AWS::CloudWatch::Dashboard": Rule(each=_dashboard),
    "AWS::SecretsManager::Secret": Rule(together=_secrets),
    "AWS::KMS::Key": Rule(together=_kms),
    "AWS::WAFv2::WebACL": Rule(each=_waf, together=_waf_usage),
    "AWS::SQS::Queue": Rule(together=_sqs_usage),
    "AWS::Route53::HostedZone": Rule(each=_hosted_zone),
    "AWS::Route53::RecordSet": Rule(together=_records),
    "AWS::CertificateManager::Certificate": Rule(each=_certificate),
}

# Types that cost nothing by themselves, each with the reason. A type in neither table fails
# tests/cost/test_coverage.py: price it (RULES) or say here why it is free.
FREE: dict[str, str] = {
    "AWS::EC2::VPC": "no charge for a VPC",
    "AWS::EC2::Subnet": "no charge",
    "AWS::EC2::RouteTable": "no charge",
    "AWS::EC2::Route": "no charge",
    "AWS::EC2::SubnetRouteTableAssociation": "no charge",
    "AWS::EC2::InternetGateway": "no charge (data transfer is priced as 'Data transfer')",
    "AWS::EC2::VPCGatewayAttachment": "no charge",
    "AWS::EC2::SecurityGroup": "no charge",
    "AWS::EC2::SecurityGroupIngress": "no charge",
    "AWS::EC2::SecurityGroupEgress": "no charge",
    "AWS::EC2::NetworkAcl": "no charge",
    "AWS::EC2::NetworkAclEntry": "no charge",
    "AWS::EC2::SubnetNetworkAclAssociation": "no charge",
    "AWS::IAM::Role": "IAM is free",
    "AWS::IAM::Policy": "IAM is free",
    "AWS::IAM::ManagedPolicy": "IAM is free",
    "AWS::IAM::InstanceProfile": "IAM is free",
    "AWS::KMS::Alias": "aliases are free (the key is priced)",
    "AWS::SQS::QueuePolicy": "no charge",
    "AWS::S3::BucketPolicy": "no charge",
    "AWS::SNS::TopicPolicy": "no charge",
    "AWS::SNS::Topic": "alarm notifications stay inside SNS's free 1M publishes and 1,000 e-mails a month",
    "AWS::SNS::Subscription": "no charge (deliveries: see AWS::SNS::Topic)",
    "AWS::SecretsManager::SecretTargetAttachment": "no charge (the secret is priced)",
    "AWS::SecretsManager::ResourcePolicy": "no charge",
    "AWS::SecretsManager::RotationSchedule": "no charge by itself (rotation runs a Lambda: see AWS::Lambda::Function)",
    "AWS::RDS::DBSubnetGroup": "no charge",
    "AWS::RDS::DBParameterGroup": "no charge",
    "AWS::RDS::DBClusterParameterGroup": "no charge",
    "AWS::ElastiCache::SubnetGroup": "no charge",
    "AWS::ElastiCache::ParameterGroup": "no charge",
    "AWS::ECS::TaskDefinition": "priced through the service that runs it (AWS::ECS::Service)",
    "AWS::ECS::ClusterCapacityProviderAssociations": "no charge",
    "AWS::ElasticLoadBalancingV2::Listener": "part of the ALB's hourly and LCU price",
    "AWS::ElasticLoadBalancingV2::ListenerRule": "part of the ALB's LCU price (rule evaluations are in the LCU assumption)",
    "AWS::ElasticLoadBalancingV2::ListenerCertificate": "no charge",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "no charge",
    "AWS::ApplicationAutoScaling::ScalableTarget": "no charge (its capacity bounds and schedule shape the Fargate line)",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "no charge (the alarms it creates are managed and free)",
    "AWS::WAFv2::WebACLAssociation": "no charge (the WebACL is priced)",
    "AWS::WAFv2::LoggingConfiguration": "no charge (the log group it writes to is priced)",
    "AWS::Logs::ResourcePolicy": "no charge",
    "AWS::Logs::QueryDefinition": "no charge (queries are billed per GB scanned when run)",
    "AWS::ECR::RepositoryPolicy": "no charge",
    "AWS::ECR::RegistryPolicy": "no charge",
    "AWS::CloudFormation::Stack": "nested stacks are free (their resources are priced in their own templates)",
    "AWS::CloudFormation::WaitConditionHandle": "no charge",
    "AWS::Route53::RecordSetGroup": "alias records to AWS resources are free to query (zone: see RecordSet)",
    "AWS::Events::Rule": "rules on AWS service events are free",
    "AWS::Lambda::Permission": "no charge",
    "AWS::Lambda::Function": "occasional invocations stay inside Lambda's always-free 1M requests and 400,000 GB-s",
}


def price(ctx: Context) -> list[Line]:
    """Every line for the inventory in `ctx`; CostError naming any resource type without a rule."""
    unpriced = sorted(t for t in ctx.inv.types() if t not in RULES and t not in FREE)
    if unpriced:
        raise CostError(
            f"no pricing rule for {', '.join(unpriced)}: add one to hana_cost/rules.py (or list it in FREE)"
        )
    lines: list[Line] = []
    for rtype, rule in RULES.items():
        resources = ctx.inv.of_type(rtype)
        if not resources:
            continue
        if rule.each:
            for res in resources:
                lines.extend(rule.each(res, ctx))
        if rule.together:
            lines.extend(rule.together(resources, ctx))
    order = {s: i for i, s in enumerate(SERVICES)}
    return sorted(lines, key=lambda ln: (order.get(ln.service, len(order)), ln.usage))
