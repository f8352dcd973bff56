"""Every physical name, in one place.

Names follow the spec: `hana-<env>-<thing>` for resources, `hana/<env>/<key>` for secrets,
`hana-<env>/api` for the image repository, `/ecs/hana-<env>/<service>` for service logs.
Logical IDs are chosen in the stack modules and are a public contract too: renaming one
replaces the resource in AWS.
"""

from __future__ import annotations

from troposphere import Sub, Tags

from .config import EnvConfig

# The stacks, as the spec's "Stacks" table names them (order here is not deploy order:
# that is derived from the contracts in registry.py).
SERVICE_NAMES = ("api", "ws", "workers")

# Secrets Manager keys, `hana/<env>/<key>`. The first five are the spec's; the last two are ours.
API_KEY_SECRETS = ("anthropic-api-key", "openai-api-key", "elevenlabs-api-key")
RDS_MASTER_SECRET = "rds-master"
REDIS_AUTH_SECRET = "redis-auth"
JWT_SECRET = "jwt-secret"
GATEWAY_TOKEN_SECRET = "gateway-token"
SECRET_KEYS = (*API_KEY_SECRETS, RDS_MASTER_SECRET, REDIS_AUTH_SECRET, JWT_SECRET, GATEWAY_TOKEN_SECRET)

# The secrets stack output (and the consumers' parameter) carrying each secret's ARN.
SECRET_ARN_OUTPUTS = {
    "anthropic-api-key": "AnthropicApiKeySecretArn",
    "openai-api-key": "OpenaiApiKeySecretArn",
    "elevenlabs-api-key": "ElevenlabsApiKeySecretArn",
    RDS_MASTER_SECRET: "RdsMasterSecretArn",
    REDIS_AUTH_SECRET: "RedisAuthSecretArn",
    JWT_SECRET: "JwtSecretArn",
    GATEWAY_TOKEN_SECRET: "GatewayTokenSecretArn",
}

# The secrets each service's containers get. compute injects exactly these, iam lets the
# execution role read their union, `secrets set` restarts the services that read one.
SERVICE_SECRETS: dict[str, tuple[str, ...]] = {
    "api": SECRET_KEYS,
    "ws": (RDS_MASTER_SECRET, REDIS_AUTH_SECRET, JWT_SECRET, GATEWAY_TOKEN_SECRET),
    "workers": (*API_KEY_SECRETS, RDS_MASTER_SECRET, REDIS_AUTH_SECRET),
}

# Key prefix of the ALB's access logs in the logs bucket (compute sets it on the ALB, storage's
# bucket policy lets ELB write below `<prefix>/AWSLogs/<account>/`).
ALB_ACCESS_LOG_PREFIX = "alb"


def prefix(cfg: EnvConfig) -> str:
    """`hana-dev`: the prefix of every resource name, and the ECS cluster's name."""
    return f"{cfg.project}-{cfg.name}"


def name(cfg: EnvConfig, *parts: str) -> str:
    """`name(cfg, "alb", "sg")` -> `hana-dev-alb-sg`."""
    return "-".join((prefix(cfg), *parts))


def stack_name(cfg: EnvConfig, stack: str) -> str:
    """`hana-dev-network`; the nested master stack is `hana-dev`."""
    return prefix(cfg) if stack == "main" else name(cfg, stack)


def secret_name(cfg: EnvConfig, key: str) -> str:
    """`hana/dev/anthropic-api-key`."""
    return f"{cfg.project}/{cfg.name}/{key}"


def ecr_repository(cfg: EnvConfig) -> str:
    """`hana-dev/api`: one image serves all three services."""
    return f"{prefix(cfg)}/api"


def service_log_group(cfg: EnvConfig, service: str) -> str:
    """`/ecs/hana-dev/api`."""
    return f"/ecs/{prefix(cfg)}/{service}"


def flow_log_group(cfg: EnvConfig) -> str:
    """`/vpc/hana-dev/flow-logs`: the VPC flow logs."""
    return f"/vpc/{prefix(cfg)}/flow-logs"


def bucket_name(cfg: EnvConfig, role: str) -> Sub:
    """`hana-dev-media-<account>-us-east-1`: bucket names are global, so the account and region make them unique."""
    return Sub(f"{prefix(cfg)}-{role}-${{AWS::AccountId}}-${{AWS::Region}}")


def queue_name(cfg: EnvConfig, queue: str, fifo: bool) -> str:
    """`hana-dev-agent-runs.fifo`. The queues: `agent-runs.fifo` and its `agent-runs-dlq.fifo`,
    `notifications` and its `notifications-dlq` (a DLQ has its source's type: FIFO or standard)."""
    return name(cfg, queue) + (".fifo" if fifo else "")


def tags(cfg: EnvConfig, stack: str, **extra: str) -> Tags:
    """The tags every taggable resource carries (also set on the stack by the deployer)."""
    return Tags(Project=cfg.project, Environment=cfg.name, Stack=stack, ManagedBy="hana-infra", **extra)


def waf_log_group(cfg: EnvConfig) -> str:
    """`aws-waf-logs-hana-dev`: WAF delivers only to log groups whose name starts with `aws-waf-logs-`."""
    return f"aws-waf-logs-{prefix(cfg)}"


def deploy_lock(cfg: EnvConfig) -> str:
    """The SSM parameter that is the environment's deploy lock (deploy/engine/lock.py): one writer at a time."""
    return f"/{cfg.project}/{cfg.name}/deploy-lock"
