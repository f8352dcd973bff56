"""Environment configuration: every value that differs between environments lives here.

`dev` is the environment exactly as the spec deploys it today; `prod` follows the spec's
"Production Environment (Recommended)" table. Each environment is one frozen, typed
`EnvConfig`. Validation runs when a config is built, so a bad value fails generation with
one line that names the value and what is allowed (`ConfigError`).

Exported: EnvConfig and its parts, ENVIRONMENTS, get(name), ConfigError.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from .errors import ConfigError

PROJECT = "hana"
REGION = "us-east-1"

# Instance classes the templates are known to work with (and the cost table can price).
RDS_INSTANCE_CLASSES = (
    "db.t4g.micro",
    "db.t4g.small",
    "db.t4g.medium",
    "db.t4g.large",
    "db.r6g.large",
    "db.r6g.xlarge",
    "db.r7g.large",
    "db.m6g.large",
    "db.m7g.large",
)
CACHE_NODE_TYPES = (
    "cache.t4g.micro",
    "cache.t4g.small",
    "cache.t4g.medium",
    "cache.r6g.large",
    "cache.r6g.xlarge",
    "cache.r7g.large",
    "cache.m6g.large",
    "cache.m7g.large",
)
# Fargate task sizes: CPU units -> allowed memory (MiB).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: (1024, 2048, 3072, 4096),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}
# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557)


@dataclass(frozen=True)
class Network:
    vpc_cidr: str = "10.0.0.0/16"
    # One subnet per availability zone, in AZ order (AZ-a, AZ-b), as the spec's table.
    public_subnets: tuple[str, ...] = ("10.0.0.0/24", "10.0.1.0/24")
    private_subnets: tuple[str, ...] = ("10.0.2.0/24", "10.0.3.0/24")
    database_subnets: tuple[str, ...] = ("10.0.4.0/24", "10.0.5.0/24")
    nat_gateways: int = 1  # 1 (shared, dev) or one per AZ (prod)
    # Interface endpoints (the S3 gateway endpoint is always there: it is free).
    interface_endpoints: tuple[str, ...] = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
    # Security evidence: prod keeps it a year (AWS Control Tower CT.CLOUDWATCH.PR.2); dev the spec's 7 days.
    flow_log_retention_days: int = 7

    @property
    def az_count(self) -> int:
        return len(self.public_subnets)


@dataclass(frozen=True)
class Database:
    instance_class: str = "db.t4g.medium"
    allocated_storage_gb: int = 20
    max_allocated_storage_gb: int = 100  # storage autoscaling ceiling
    multi_az: bool = False
    # 16.1-16.8 are flagged deprecated by cfn-lint 1.58 (rule W3691); 16.15 is the newest 16.x it knows.
    engine_version: str = "16.15"
    name: str = "hana"
    port: int = 5432
    master_username: str = "hana_admin"
    backup_retention_days: int = 7
    deletion_protection: bool = False
    performance_insights: bool = True
    # Seconds. On in every environment: the database stack always consumes the monitoring role
    # (one contract), RDS rejects a role with interval 0, and at 60 s it costs cents a month.
    enhanced_monitoring_interval: int = 60


@dataclass(frozen=True)
class Cache:
    node_type: str = "cache.t4g.medium"
    replicas: int = 0  # read replicas besides the primary
    engine_version: str = "7.1"
    port: int = 6379
    snapshot_retention_days: int = 0

    @property
    def multi_az(self) -> bool:
        return self.replicas > 0


@dataclass(frozen=True)
class Service:
    """One Fargate service. `port` is None for services without a load balancer (workers)."""

    name: str
    port: int | None
    cpu: int = 512  # CPU units (1024 = 1 vCPU)
    memory: int = 1024  # MiB
    min_tasks: int = 1
    max_tasks: int = 1
    autoscaling: bool = False
    health_check_path: str | None = None


@dataclass(frozen=True)
class Alarms:
    """The spec's 'Configured Alarms' thresholds."""

    api_cpu_percent: float = 80
    api_memory_percent: float = 85
    sustained_minutes: int = 10  # "for 10 min"
    rds_cpu_percent: float = 80
    rds_free_storage_gb: float = 5
    redis_memory_percent: float = 80
    alb_5xx_count: int = 10
    alb_5xx_minutes: int = 5
    dlq_messages: int = 1  # >= 1
    # Beside the spec's: ws and workers use the API's CPU/memory thresholds; these are ours.
    unhealthy_hosts_minutes: int = 5  # a target failing health checks this long pages
    rds_freeable_memory_mb: int = 256  # below this PostgreSQL starts to swap


@dataclass(frozen=True)
class Messaging:
    agent_run_visibility_timeout_s: int = 900  # an agent run may take minutes; workers extend as needed
    retention_s: int = 4 * 24 * 3600
    dlq_retention_s: int = 14 * 24 * 3600
    max_receive_count: int = 3


@dataclass(frozen=True)
class Storage:
    """ECR image retention and S3 bucket lifecycles (storage stack)."""

    ecr_keep_images: int = 10  # most recent images kept for rollbacks (any tag)
    ecr_untagged_expiry_days: int = 7  # untagged layers left by re-tagging `latest`
    noncurrent_version_expiry_days: int = 30  # how long an overwritten/deleted object can be restored
    access_log_retention_days: int = 90  # ALB and S3 access logs in the logs bucket


@dataclass(frozen=True)
class Schedule:
    """Working hours: outside them ECS scheduled scaling sets every service's capacity to 0."""

    days: str = "MON-FRI"  # cron day-of-week field
    start_hour: int = 8  # services scale back up (to their minimum task count)
    end_hour: int = 20  # services scale to zero
    timezone: str = "UTC"  # IANA name (e.g. "Europe/Berlin"); Application Auto Scaling follows DST


@dataclass(frozen=True)
class Savings:
    """Cost switches (`python -m deploy cost --compare` prices each one). All off by default, so
    dev and prod stay exactly the spec's; `lean-dev` turns them on. Besides these, the config's
    own `network.nat_gateways=1` (single NAT) and `log_retention_days` are savings levers too.

    - graviton: Fargate tasks on ARM64 (Graviton), ~20% cheaper per vCPU and GB. The image must
      be built for linux/arm64 (`push` does so when this is on).
    - workers_spot: the workers service on FARGATE_SPOT (up to 70% cheaper). Spot tasks can be
      stopped with two minutes' notice; an interrupted agent run returns to the SQS queue after
      its visibility timeout and is retried. api and ws stay on on-demand Fargate.
    - schedule: outside working hours every service scales to 0 (ECS scheduled scaling through
      Application Auto Scaling). The first request after hours waits for `scale`, or 08:00.
    - log_class: "INFREQUENT_ACCESS" halves log ingestion for the service log groups, but those
      groups then have no Live Tail and no metric filters (Logs Insights still works).
    """

    graviton: bool = False
    workers_spot: bool = False
    schedule: Schedule | None = None
    log_class: str = "STANDARD"


@dataclass(frozen=True)
class Domain:
    """A public DNS name for the ALB: enables HTTPS (ACM, DNS-validated) and a Route 53 alias."""

    name: str
    hosted_zone_id: str


@dataclass(frozen=True)
class EnvConfig:
    name: str
    network: Network = field(default_factory=Network)
    database: Database = field(default_factory=Database)
    cache: Cache = field(default_factory=Cache)
    services: tuple[Service, ...] = ()
    messaging: Messaging = field(default_factory=Messaging)
    alarms: Alarms = field(default_factory=Alarms)
    storage: Storage = field(default_factory=Storage)
    log_retention_days: int = 7
    domain: Domain | None = None
    waf_rate_limit: int = 2000  # requests per client IP per 5 minutes
    # WAF logs are security evidence like the flow logs: a year in prod, the spec's 7 days in dev.
    waf_log_retention_days: int = 7
    # The user the containers run as, "uid:gid" (numeric, so the image needs no /etc/passwd entry):
    # a contract with the image (compute's docstring), which must let this user read the app and
    # write only where compute mounts writable volumes. 1000 is the `node` user of the Node images.
    container_user: str = "1000:1000"
    # ECS Exec (the spec's "Option 3"). AWS does not support it with a read-only root filesystem,
    # so where it is on, the root filesystem stays writable; where off (prod), it is read-only.
    ecs_exec: bool = True
    alarm_email: str | None = None
    account_id: str | None = None  # when set, the deployer refuses any other account
    alb_deletion_protection: bool = False
    # The deployer turns on stack termination protection; deleting the environment needs --confirm-prod.
    termination_protection: bool = False
    project: str = PROJECT
    region: str = REGION
    savings: Savings = field(default_factory=Savings)
    # A cost variant of another environment: the same capabilities (stacks, routing, security,
    # alarms) at a lower price. The spec's intent tests run on dev and prod; a variant is tested
    # against its base (tests/cost/test_lean_dev.py).
    variant_of: str | None = None

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def image_platform(self) -> str:
        """The platform `push` must build the image for: the task definitions' CPU architecture."""
        return "linux/arm64" if self.savings.graviton else "linux/amd64"

    @property
    def https(self) -> bool:
        return self.domain is not None

    def service(self, name: str) -> Service:
        for svc in self.services:
            if svc.name == name:
                return svc
        raise ConfigError(f"unknown service {name!r}; allowed: {', '.join(s.name for s in self.services)}")


# --- validation ---------------------------------------------------------------------------------

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,14}$")


def _fail(cfg_name: str, what: str) -> None:
    raise ConfigError(f"environment {cfg_name!r}: {what}")


def _validate(cfg: EnvConfig) -> None:  # noqa: C901 - a flat list of checks reads best
    n = cfg.name
    if not _NAME.match(cfg.name):
        _fail(n, "name is invalid; allowed: 1-15 lowercase letters, digits or '-', starting with a letter")
    _validate_network(n, cfg.network)
    db, cache = cfg.database, cfg.cache
    if db.instance_class not in RDS_INSTANCE_CLASSES:
        _fail(n, f"unknown RDS instance class {db.instance_class!r}; allowed: {', '.join(RDS_INSTANCE_CLASSES)}")
    if not 20 <= db.allocated_storage_gb <= db.max_allocated_storage_gb <= 65536:
        _fail(
            n,
            f"RDS storage {db.allocated_storage_gb} GB (max {db.max_allocated_storage_gb} GB) is invalid; "
            "allowed: 20 <= allocated <= max <= 65536",
        )
    if not db.engine_version.startswith("16."):
        _fail(n, f"RDS engine version {db.engine_version!r}; allowed: PostgreSQL 16.x (the spec)")
    if db.enhanced_monitoring_interval not in (1, 5, 10, 15, 30, 60):
        _fail(n, f"enhanced monitoring interval {db.enhanced_monitoring_interval}; allowed: 1, 5, 10, 15, 30, 60")
    if not 1 <= db.backup_retention_days <= 35:
        _fail(n, f"RDS backup retention {db.backup_retention_days} days; allowed: 1-35")
    if cache.node_type not in CACHE_NODE_TYPES:
        _fail(n, f"unknown ElastiCache node type {cache.node_type!r}; allowed: {', '.join(CACHE_NODE_TYPES)}")
    if not 0 <= cache.replicas <= 5:
        _fail(n, f"Redis replicas {cache.replicas}; allowed: 0-5")
    if not cfg.services:
        _fail(n, "no services configured; allowed: api, ws and workers")
    for svc in cfg.services:
        _validate_service(n, svc)
    _validate_savings(n, cfg.savings)
    if cfg.variant_of is not None and cfg.variant_of == cfg.name:
        _fail(n, "variant_of names the environment itself; allowed: another environment's name")
    for days in (cfg.log_retention_days, cfg.network.flow_log_retention_days, cfg.waf_log_retention_days):
        if days not in LOG_RETENTION_DAYS:
            _fail(n, f"log retention {days} days; allowed: {', '.join(map(str, LOG_RETENTION_DAYS))}")
    if not 100 <= cfg.waf_rate_limit <= 2_000_000_000:
        _fail(n, f"WAF rate limit {cfg.waf_rate_limit}; allowed: 100-2000000000 requests per 5 minutes")
    if cfg.account_id is not None and not re.fullmatch(r"\d{12}", cfg.account_id):
        _fail(n, f"account id {cfg.account_id!r}; allowed: 12 digits")
    if cfg.alarm_email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", cfg.alarm_email):
        _fail(n, f"alarm email {cfg.alarm_email!r} is not an e-mail address")
    m = cfg.messaging
    if not 0 <= m.agent_run_visibility_timeout_s <= 43200:
        _fail(n, f"visibility timeout {m.agent_run_visibility_timeout_s} s; allowed: 0-43200")
    for secs in (m.retention_s, m.dlq_retention_s):
        if not 60 <= secs <= 1_209_600:
            _fail(n, f"queue retention {secs} s; allowed: 60-1209600 (14 days)")
    if not 1 <= m.max_receive_count <= 1000:
        _fail(n, f"max receive count {m.max_receive_count}; allowed: 1-1000")
    _validate_storage(n, cfg.storage)
    user = re.fullmatch(r"(\d+)(?::(\d+))?", cfg.container_user)
    if user is None or int(user.group(1)) == 0 or (user.group(2) is not None and int(user.group(2)) == 0):
        _fail(n, f"container user {cfg.container_user!r}; allowed: a non-root numeric uid[:gid] such as 1000:1000")


def _validate_network(n: str, net: Network) -> None:
    try:
        vpc = ipaddress.ip_network(net.vpc_cidr)
    except ValueError:
        _fail(n, f"VPC CIDR {net.vpc_cidr!r} is not a valid network; allowed: e.g. 10.0.0.0/16")
    if not 16 <= vpc.prefixlen <= 28:
        _fail(n, f"VPC CIDR {net.vpc_cidr} has prefix /{vpc.prefixlen}; allowed: /16 to /28")
    tiers = {"public": net.public_subnets, "private": net.private_subnets, "database": net.database_subnets}
    if len({len(s) for s in tiers.values()}) != 1 or not 2 <= net.az_count <= 3:
        _fail(n, "public, private and database subnets must each list one CIDR per AZ, for 2 or 3 AZs")
    seen: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for tier, cidrs in tiers.items():
        for cidr in cidrs:
            try:
                sub = ipaddress.ip_network(cidr)
            except ValueError:
                _fail(n, f"{tier} subnet {cidr!r} is not a valid CIDR")
            if not sub.subnet_of(vpc):  # type: ignore[arg-type]
                _fail(n, f"{tier} subnet {cidr} is outside the VPC {net.vpc_cidr}; allowed: subnets of the VPC CIDR")
            for other_name, other in seen:
                if sub.overlaps(other):
                    _fail(n, f"{tier} subnet {cidr} overlaps {other_name}; allowed: non-overlapping subnets")
            seen.append((f"subnet {cidr}", sub))
    if net.nat_gateways not in (1, net.az_count):
        _fail(n, f"nat_gateways {net.nat_gateways}; allowed: 1 (shared) or {net.az_count} (one per AZ)")


def _validate_storage(n: str, st: Storage) -> None:
    if not 1 <= st.ecr_keep_images <= 1000:
        _fail(n, f"ECR images kept {st.ecr_keep_images}; allowed: 1-1000")
    for what, days in (
        ("ECR untagged image expiry", st.ecr_untagged_expiry_days),
        ("S3 noncurrent version expiry", st.noncurrent_version_expiry_days),
        ("S3 access log retention", st.access_log_retention_days),
    ):
        if not 1 <= days <= 3650:
            _fail(n, f"{what} {days} days; allowed: 1-3650")


def _validate_savings(n: str, sv: Savings) -> None:
    if sv.log_class not in ("STANDARD", "INFREQUENT_ACCESS"):
        _fail(n, f"log class {sv.log_class!r}; allowed: STANDARD, INFREQUENT_ACCESS")
    sch = sv.schedule
    if sch is not None:
        if not 0 <= sch.start_hour < sch.end_hour <= 23:
            _fail(n, f"schedule hours {sch.start_hour}-{sch.end_hour}; allowed: 0 <= start < end <= 23")
        if not re.fullmatch(r"(SUN|MON|TUE|WED|THU|FRI|SAT)(-(SUN|MON|TUE|WED|THU|FRI|SAT))?", sch.days):
            _fail(n, f"schedule days {sch.days!r}; allowed: a day or a range such as MON-FRI")


def _validate_service(n: str, svc: Service) -> None:
    if svc.name not in ("api", "ws", "workers"):
        _fail(n, f"unknown service {svc.name!r}; allowed: api, ws, workers")
    if svc.cpu not in FARGATE_SIZES:
        _fail(n, f"service {svc.name}: CPU {svc.cpu}; allowed: {', '.join(map(str, FARGATE_SIZES))}")
    if svc.memory not in FARGATE_SIZES[svc.cpu]:
        allowed = FARGATE_SIZES[svc.cpu]
        _fail(n, f"service {svc.name}: memory {svc.memory} MiB with CPU {svc.cpu}; allowed: {allowed[0]}-{allowed[-1]}")
    if not 0 <= svc.min_tasks <= svc.max_tasks:
        _fail(
            n,
            f"service {svc.name}: min tasks {svc.min_tasks} > max tasks {svc.max_tasks}; allowed: 0 <= min <= max",
        )
    if svc.port is not None and not 1024 <= svc.port <= 65535:
        _fail(n, f"service {svc.name}: port {svc.port}; allowed: 1024-65535")


# --- the environments -------------------------------------------------------------------------


def _services(cpu: int, memory: int, min_tasks: int, max_tasks: int, autoscaling: bool) -> tuple[Service, ...]:
    common = dict(cpu=cpu, memory=memory, min_tasks=min_tasks, max_tasks=max_tasks, autoscaling=autoscaling)
    return (
        Service("api", 3000, health_check_path="/health", **common),
        Service("ws", 3001, health_check_path="/health", **common),
        Service("workers", None, **common),
    )


DEV = EnvConfig(
    name="dev",
    services=_services(cpu=512, memory=1024, min_tasks=1, max_tasks=1, autoscaling=False),
)

PROD = EnvConfig(
    name="prod",
    network=Network(nat_gateways=2, flow_log_retention_days=365),
    database=Database(
        instance_class="db.r6g.large",
        allocated_storage_gb=100,
        max_allocated_storage_gb=500,
        multi_az=True,
        backup_retention_days=14,
        deletion_protection=True,
        enhanced_monitoring_interval=60,
    ),
    cache=Cache(node_type="cache.r6g.large", replicas=1, snapshot_retention_days=7),
    services=_services(cpu=1024, memory=2048, min_tasks=2, max_tasks=4, autoscaling=True),
    storage=Storage(ecr_keep_images=30, noncurrent_version_expiry_days=90, access_log_retention_days=365),
    log_retention_days=30,
    # example.com is a placeholder: set the real zone before the first prod deploy (README).
    domain=Domain(name="api.hana.example.com", hosted_zone_id="Z0000000000EXAMPLE"),
    waf_rate_limit=2000,
    waf_log_retention_days=365,
    ecs_exec=False,
    alb_deletion_protection=True,
    termination_protection=True,
)

# dev's capabilities for at most $150/month (`make cost`): every stack, route, security group,
# secret, queue, alarm and the dashboard are dev's. What differs, and why it is safe for dev:
# - db.t4g.micro / cache.t4g.micro (1 GB / 0.5 GB of memory): enough for a development database;
# - ARM64 tasks, workers on Fargate Spot, services at zero outside Mon-Fri 08:00-20:00 (Savings);
# - no interface endpoints: ECR, CloudWatch Logs and Secrets Manager are reached through the NAT
#   (TLS, same security groups and IAM); image layers still come through the free S3 gateway
#   endpoint. Four endpoints in two AZs cost $58.40 a month, more than the rest of the network.
LEAN_DEV = EnvConfig(
    name="lean-dev",
    variant_of="dev",
    network=Network(interface_endpoints=()),
    database=Database(instance_class="db.t4g.micro"),
    cache=Cache(node_type="cache.t4g.micro"),
    services=_services(cpu=512, memory=1024, min_tasks=1, max_tasks=1, autoscaling=False),
    savings=Savings(graviton=True, workers_spot=True, schedule=Schedule()),
)

ENVIRONMENTS: dict[str, EnvConfig] = {c.name: c for c in (DEV, PROD, LEAN_DEV)}


def get(name: str) -> EnvConfig:
    """The config of environment `name`; ConfigError naming the allowed ones otherwise."""
    try:
        return ENVIRONMENTS[name]
    except KeyError:
        raise ConfigError(f"unknown environment {name!r}; allowed: {', '.join(ENVIRONMENTS)}") from None
