"""compute: the ECS cluster, the internet-facing ALB and the three Fargate services.

- ECS cluster `hana-<env>` with Container Insights and the FARGATE / FARGATE_SPOT capacity
  providers (FARGATE is the default strategy; Spot is associated so a service can opt in).
- ALB `hana-<env>-alb` in the public subnets behind the ALB security group. It drops invalid
  header fields, mitigates request desync (`defensive`), speaks HTTP/2, writes access logs to
  the logs bucket under `alb/`, and has deletion protection where config says so (prod). Its
  idle timeout is an hour (`_ALB_IDLE_TIMEOUT_S`): the ALB closes a connection on which no
  byte has moved for that long, and a WebSocket to an agent conversation can legitimately sit
  silent for many minutes (socket.io pings every 25 s, plain `/ws/*` clients may not ping at
  all). The cost is only that idle keep-alive connections are held longer.
- Listeners: HTTP 80 always. With a domain (prod): an ACM certificate validated by DNS in the
  domain's hosted zone, HTTPS 443 with `ELBSecurityPolicy-TLS13-1-2-2021-06` (TLS 1.2 and 1.3
  only), 80 answering `301` to 443, and a Route 53 alias A record for the domain. The default
  action of the serving listener is a fixed 404; the routing rules (`_ROUTES`, the spec's table)
  sit on the serving listener (HTTPS in prod, HTTP in dev):
  `/api/*`, `/health`, `/v1/*` -> api target group (3000); `/ws/*`, `/socket.io/*` -> ws target
  group (3001), sticky (lb_cookie) because socket.io's long-polling transport must reach the task
  that holds its session.
- Services `hana-<env>-api`, `-ws` (behind the ALB) and `-workers` (no load balancer), containers
  named after the service, Fargate in the private subnets with the ECS security group and no
  public IP, ECS Exec where config `ecs_exec` is on (dev; not prod, see below), circuit breaker with rollback, tags propagated from the service. Logs go
  to `/ecs/hana-<env>/<service>` (created here, encrypted with this stack's KMS key, retention
  from config).
- prod (config `Service.autoscaling`): Application Auto Scaling between the service's min and max
  tasks: api and ws track average CPU; workers track the agent runs waiting *or in flight* per
  running task (`_scale_on_backlog` says why), and protect themselves from scale-in while they
  hold a run (the worker contract below).
- Cost switches (config `savings`, all off in dev and prod; `python -m deploy cost --compare`
  prices them): ARM64 task definitions (`graviton`), the workers on FARGATE_SPOT
  (`workers_spot`), every service at zero outside working hours through scheduled actions on its
  scalable target (`schedule`), and the service log groups' class (`log_class`).

What the application image must provide (one image, `<EcrRepositoryUri>:<ImageTag>`, for all three
services; linux/amd64, or linux/arm64 when config `savings.graviton` is on: `cfg.image_platform`):
- an entrypoint that starts the role named in `HANA_SERVICE` (`api`, `ws` or `workers`): no
  command is overridden here, so the image decides how each role starts;
- api and ws listen on `PORT` and answer `GET /health` with 200 once ready;
- an HTTP keep-alive timeout longer than the ALB idle timeout (Node: `server.keepAliveTimeout`
  and `headersTimeout` above 3600 s), otherwise the ALB may reuse a connection the app has just
  closed and answer 502;
- on SIGTERM: api/ws stop accepting and drain within `_STOP_TIMEOUT_S`; workers keep the worker
  contract below;
- it runs as `cfg.container_user` (numeric uid:gid, non-root; 1000 is the Node images' `node`
  user): the app's files must be readable by it, and it writes only to `/tmp` (`WRITABLE_PATHS`,
  a task volume on Fargate's ephemeral storage; `TMPDIR` points there). Where config `ecs_exec`
  is off (prod) the root filesystem is read-only; where it is on (dev) it stays writable because
  ECS Exec's SSM agent writes into the container and AWS does not support ECS Exec with a
  read-only root filesystem (`_container`).

The worker contract (what the workers process must do so that scale-in and deployments never
cut an agent run; the timeouts are tied together in `worker_timeouts()` and tested):
1. Receive one agent run at a time. Before working on it, protect the task:
   `PUT $ECS_AGENT_URI/task-protection/v1/state {"ProtectionEnabled": true,
   "ExpiresInMinutes": $TASK_PROTECTION_MINUTES}` (the task role may; iam's `task-protection`).
2. While working, every `VISIBILITY_EXTEND_S` seconds extend the message's visibility
   (ChangeMessageVisibility to `AGENT_RUN_VISIBILITY_TIMEOUT_S`) *and* renew the protection, so
   neither lapses while the run is alive. Protection covers deployments and scale-in, not crashes.
3. When the run ends: delete the message, then unprotect (`ProtectionEnabled: false`) before
   receiving the next one, so an idle worker can be scaled in.
4. On SIGTERM (Spot interruption, a task stopped by hand, protection expired): stop receiving,
   make the held message visible again at once (ChangeMessageVisibility 0), unprotect, and exit
   within `_STOP_TIMEOUT_S`. The run is retried by another worker; after
   `messaging.max_receive_count` (3, the spec) receives it goes to the DLQ.
Configuration arrives as environment variables (`_environment`) and secrets as environment
variables injected by ECS from Secrets Manager (`_SECRETS`; never in plain text in the template).

Desired count contract (read this before changing the deployer): `DesiredCount` comes from the
deploy parameters `ApiDesiredCount`, `WsDesiredCount`, `WorkersDesiredCount` (default 0, so the
services can be created before any image exists, as the spec's workflow does: deploy, `push`,
then scale). On every update the deployer passes the count each service runs now (from
`ecs describe-services`), so a stack update never resets a count set by `scale` or by
autoscaling. In prod, registering the scalable target lifts a service to its minimum at once:
push an image before the first prod deploy of this stack, or the first tasks fail to pull
(ECS retries with back-off and recovers once the image exists).

Consumes: network (VPC, subnets, security groups), storage (repository URI, media and logs
buckets), secrets (the seven secret ARNs), messaging (queue URLs, agent-runs queue name), database
(endpoints), iam (execution role, one task role per service).
Outputs: cluster, ALB and target-group identifiers for observability and WAF, service names,
and `ServiceUrl`.

long: one stack, one contract (principle 1); the cluster, the load balancer and the three
services share its parameters and names, so splitting them would split the stack's contract.
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Sub, Template, applicationautoscaling, certificatemanager, ecs, route53
from troposphere import elasticloadbalancingv2 as elb

from . import naming
from .config import EnvConfig, Service
from .constructs import SPEC_LOG_RETENTION_REASON, kms_key, log_group, suppress
from .errors import TemplateLimitError
from .policies import logs_key_statement
from .spec import DeployParameter, From, Stack, StackSpec

# Environment variable -> (secret key in naming.SECRET_KEYS, JSON key in the secret).
_SECRETS: dict[str, tuple[str, str]] = {
    "ANTHROPIC_API_KEY": ("anthropic-api-key", "api_key"),
    "OPENAI_API_KEY": ("openai-api-key", "api_key"),
    "ELEVENLABS_API_KEY": ("elevenlabs-api-key", "api_key"),
    "DB_PASSWORD": (naming.RDS_MASTER_SECRET, "password"),
    "REDIS_AUTH_TOKEN": (naming.REDIS_AUTH_SECRET, "token"),
    "JWT_SECRET": (naming.JWT_SECRET, "secret"),
    "GATEWAY_TOKEN": (naming.GATEWAY_TOKEN_SECRET, "token"),
}
# Each service gets only the secrets it uses (naming.SERVICE_SECRETS, which iam grants too).
SERVICE_SECRETS: dict[str, tuple[str, ...]] = {
    svc: tuple(env for env, (key, _) in _SECRETS.items() if key in keys) for svc, keys in naming.SERVICE_SECRETS.items()
}

# The spec's routing table: service -> (listener rule priority, path patterns).
# An ALB rule allows at most 5 condition values (and 5 wildcards); _listener_rule checks it.
ROUTES: dict[str, tuple[int, tuple[str, ...]]] = {
    "api": (10, ("/api/*", "/health", "/v1/*")),
    "ws": (20, ("/ws/*", "/socket.io/*")),
}
_MAX_RULE_VALUES = 5

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
_ALB_IDLE_TIMEOUT_S = 3600
# Draining: the api finishes in-flight requests (including streamed responses) within a minute;
# ws gets two so clients reconnect elsewhere before the ALB cuts their socket.
_DEREGISTRATION_DELAY_S = {"api": 60, "ws": 120}
_STICKINESS_S = 86400  # one day: a socket.io session never outlives it
_HEALTH_CHECK_GRACE_S = 60
_STOP_TIMEOUT_S = {"api": 30, "ws": 30, "workers": 120}  # 120 s is Fargate's maximum
# Writable paths under a read-only root filesystem: volume name -> mount path (task ephemeral storage).
WRITABLE_PATHS = {"tmp": "/tmp"}
# How often a worker extends its message's visibility and its task protection (worker contract).
_VISIBILITY_EXTEND_S = 300
_CPU_TARGET_PERCENT = 60  # below the 80 % alarm (config.alarms), so scaling acts before it fires
_BACKLOG_PER_TASK = 5  # agent runs waiting or in flight per running worker before another worker starts
BACKLOG_EXPRESSION = "(visible + inflight) / running"
_SCALE_OUT_COOLDOWN_S = 60
_SCALE_IN_COOLDOWN_S = 300

SPEC = StackSpec(
    name="compute",
    description="ECS cluster, internet-facing ALB with the spec's path routing, and the api, ws and workers "
    "Fargate services",
    inputs=(
        From("network", "VpcId"),
        From("network", "PublicSubnetIds", "CommaDelimitedList"),
        From("network", "PrivateSubnetIds", "CommaDelimitedList"),
        From("network", "AlbSecurityGroupId"),
        From("network", "EcsSecurityGroupId"),
        From("storage", "EcrRepositoryUri"),
        From("storage", "MediaBucketName"),
        From("storage", "LogsBucketName"),
        *(From("secrets", naming.SECRET_ARN_OUTPUTS[key]) for key, _ in _SECRETS.values()),
        From("messaging", "AgentRunsQueueUrl"),
        From("messaging", "NotificationsQueueUrl"),
        From("messaging", "AgentRunsQueueName"),
        From("database", "DbEndpointAddress"),
        From("database", "DbEndpointPort"),
        From("database", "DbName"),
        From("database", "RedisPrimaryEndpointAddress"),
        From("database", "RedisPrimaryEndpointPort"),
        From("iam", "TaskExecutionRoleArn"),
        From("iam", "ApiTaskRoleArn"),
        From("iam", "WsTaskRoleArn"),
        From("iam", "WorkersTaskRoleArn"),
    ),
    deploy_parameters=(
        DeployParameter("ImageTag", "String", "latest", "Tag of the application image in the ECR repository"),
        *(
            DeployParameter(
                f"{title}DesiredCount",
                "Number",
                "0",
                f"Tasks of the {svc} service; the deployer passes the live count on updates (module docstring)",
            )
            for svc, title in (("api", "Api"), ("ws", "Ws"), ("workers", "Workers"))
        ),
    ),
    outputs=(
        "ClusterName",
        "ClusterArn",
        "AlbArn",
        "AlbDnsName",
        "AlbFullName",
        "ApiTargetGroupFullName",
        "WsTargetGroupFullName",
        "ApiServiceName",
        "WsServiceName",
        "WorkersServiceName",
        "ServiceUrl",
    ),
)

_TITLES = {"api": "Api", "ws": "Ws", "workers": "Workers"}


def build(cfg: EnvConfig) -> Template:
    stack = Stack(cfg, SPEC)
    cluster = stack.add(_cluster(cfg))
    providers = stack.add(_capacity_providers(cluster))

    alb = stack.add(_load_balancer(cfg, stack))
    target_groups = {svc: stack.add(_target_group(cfg, stack, cfg.service(svc))) for svc in ROUTES}
    serving = _listeners(cfg, stack, alb)
    rules = {svc: stack.add(_listener_rule(svc, serving, target_groups[svc])) for svc in ROUTES}

    # The service log groups get a customer-managed key that CloudWatch Logs may use for them only.
    log_groups = [naming.service_log_group(cfg, svc.name) for svc in cfg.services]
    key, alias = kms_key(
        cfg, SPEC.name, "ServiceLogsKey", "ecs-logs", extra_statements=(logs_key_statement(*log_groups),)
    )
    stack.add(key)
    stack.add(alias)

    services = {}
    for svc in cfg.services:
        t = _TITLES[svc.name]
        logs = stack.add(
            log_group(
                f"{t}LogGroup",
                naming.service_log_group(cfg, svc.name),
                cfg.log_retention_days,
                cfg,
                SPEC.name,
                kms_key_arn=GetAtt(key, "Arn"),
                short_retention_reason=SPEC_LOG_RETENTION_REASON,
            )
        )
        if cfg.savings.log_class != "STANDARD":
            # Choose it when the environment is created: changing a group's class replaces the group.
            logs.LogGroupClass = cfg.savings.log_class
        task = stack.add(_task_definition(cfg, stack, svc, logs))
        service = stack.add(
            _service(cfg, stack, svc, cluster, task, target_groups.get(svc.name), [providers, rules.get(svc.name)])
        )
        services[svc.name] = service
        if svc.autoscaling or cfg.savings.schedule is not None:
            _autoscaling(cfg, stack, svc, cluster, service)

    stack.output("ClusterName", Ref(cluster), "ECS cluster name")
    stack.output("ClusterArn", GetAtt(cluster, "Arn"), "ECS cluster ARN")
    stack.output("AlbArn", Ref(alb), "ALB ARN (the WAF web ACL attaches here)")
    stack.output("AlbDnsName", GetAtt(alb, "DNSName"), "ALB DNS name")
    stack.output("AlbFullName", GetAtt(alb, "LoadBalancerFullName"), "ALB name as CloudWatch dimensions use it")
    for svc, tg in target_groups.items():
        stack.output(
            f"{_TITLES[svc]}TargetGroupFullName",
            GetAtt(tg, "TargetGroupFullName"),
            f"{svc} target group name as CloudWatch dimensions use it",
        )
    for svc, service in services.items():
        stack.output(f"{_TITLES[svc]}ServiceName", GetAtt(service, "Name"), f"ECS service name of {svc}")
    url = f"https://{cfg.domain.name}" if cfg.domain is not None else Sub("http://${Alb.DNSName}")
    stack.output("ServiceUrl", url, "Base URL of the application")
    return stack.template()


# --- cluster ----------------------------------------------------------------------------------


def worker_timeouts(cfg: EnvConfig) -> dict[str, int]:
    """The workers' timeouts, derived from one another (the worker contract in the docstring):
    the protection lasts as long as a message stays invisible, both are renewed well before they
    lapse, and a stopping worker releases its message within the stop timeout."""
    visibility = cfg.messaging.agent_run_visibility_timeout_s
    return {
        "visibility_timeout_s": visibility,
        "visibility_extend_s": _VISIBILITY_EXTEND_S,
        "protection_minutes": -(-visibility // 60),  # rounded up: never shorter than the visibility
        "stop_timeout_s": _STOP_TIMEOUT_S["workers"],
        "max_receive_count": cfg.messaging.max_receive_count,
    }


def _cluster(cfg: EnvConfig) -> ecs.Cluster:
    return ecs.Cluster(
        "Cluster",
        ClusterName=naming.prefix(cfg),
        ClusterSettings=[ecs.ClusterSetting(Name="containerInsights", Value="enabled")],
        # DEFAULT (ECS's own default): ECS Exec session output goes to the container's awslogs
        # group, provided the task role may write there (see the README; otherwise not logged).
        Configuration=ecs.ClusterConfiguration(
            ExecuteCommandConfiguration=ecs.ExecuteCommandConfiguration(Logging="DEFAULT")
        ),
        Tags=naming.tags(cfg, SPEC.name),
    )


def _capacity_providers(cluster: ecs.Cluster) -> ecs.ClusterCapacityProviderAssociations:
    return ecs.ClusterCapacityProviderAssociations(
        "ClusterCapacityProviders",
        Cluster=Ref(cluster),
        CapacityProviders=["FARGATE", "FARGATE_SPOT"],
        DefaultCapacityProviderStrategy=[ecs.CapacityProviderStrategy(CapacityProvider="FARGATE", Weight=1, Base=0)],
    )


# --- load balancer ----------------------------------------------------------------------------


def _load_balancer(cfg: EnvConfig, stack: Stack) -> elb.LoadBalancer:
    attributes = {
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "routing.http.desync_mitigation_mode": "defensive",
        "routing.http2.enabled": "true",
        "idle_timeout.timeout_seconds": str(_ALB_IDLE_TIMEOUT_S),
        "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": stack.input("LogsBucketName"),
        "access_logs.s3.prefix": naming.ALB_ACCESS_LOG_PREFIX,  # storage lets ELB write there
        "deletion_protection.enabled": str(cfg.alb_deletion_protection).lower(),
    }
    alb = elb.LoadBalancer(
        "Alb",
        Name=naming.name(cfg, "alb"),
        Type="application",
        Scheme="internet-facing",
        IpAddressType="ipv4",
        Subnets=stack.input("PublicSubnetIds"),
        SecurityGroups=[stack.input("AlbSecurityGroupId")],
        LoadBalancerAttributes=[elb.LoadBalancerAttributes(Key=k, Value=v) for k, v in attributes.items()],
        Tags=naming.tags(cfg, SPEC.name),
    )
    guard = {
        "elbv2_logging_enabled_check": "the rule cannot see it: access logs are on, into the storage stack's "
        "logs bucket passed as the LogsBucketName stack parameter (the rule accepts only a literal name or a "
        "local bucket); tests/stacks/test_compute.py checks both attributes",
    }
    if not cfg.alb_deletion_protection:
        guard["elbv2_deletion_protection_enabled_check"] = (
            "dev is the spec's disposable environment (its teardown deletes the stacks); prod's ALB is "
            "protected (config alb_deletion_protection)"
        )
    return suppress(alb, guard=guard)


def _target_group(cfg: EnvConfig, stack: Stack, svc: Service) -> elb.TargetGroup:
    attributes = {"deregistration_delay.timeout_seconds": str(_DEREGISTRATION_DELAY_S[svc.name])}
    if svc.name == "ws":
        attributes |= {
            "stickiness.enabled": "true",
            "stickiness.type": "lb_cookie",
            "stickiness.lb_cookie.duration_seconds": str(_STICKINESS_S),
        }
    return elb.TargetGroup(
        f"{_TITLES[svc.name]}TargetGroup",
        Name=naming.name(cfg, svc.name),
        VpcId=stack.input("VpcId"),
        TargetType="ip",  # awsvpc tasks register by IP
        Protocol="HTTP",
        ProtocolVersion="HTTP1",  # WebSocket upgrades need HTTP/1.1 to the target
        Port=svc.port,
        HealthCheckEnabled=True,
        HealthCheckProtocol="HTTP",
        HealthCheckPath=svc.health_check_path,
        HealthCheckPort="traffic-port",
        HealthCheckIntervalSeconds=15,
        HealthCheckTimeoutSeconds=5,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=3,
        Matcher=elb.Matcher(HttpCode="200"),
        TargetGroupAttributes=[elb.TargetGroupAttribute(Key=k, Value=v) for k, v in attributes.items()],
        Tags=naming.tags(cfg, SPEC.name, Service=svc.name),
    )


def _not_found() -> elb.Action:
    return elb.Action(
        Type="fixed-response",
        FixedResponseConfig=elb.FixedResponseConfig(
            StatusCode="404", ContentType="text/plain", MessageBody="Not Found"
        ),
    )


def _listeners(cfg: EnvConfig, stack: Stack, alb: elb.LoadBalancer) -> elb.Listener:
    """Add the listeners; return the one that serves traffic (the routing rules go there)."""
    if cfg.domain is None:
        http = elb.Listener(
            "HttpListener", LoadBalancerArn=Ref(alb), Port=80, Protocol="HTTP", DefaultActions=[_not_found()]
        )
        suppress(
            http,
            checkov={
                "CKV_AWS_2": f"{cfg.name} has no domain (config.domain) and so no certificate: the spec serves "
                "it over plain HTTP; environments with a domain get HTTPS and redirect 80",
                "CKV_AWS_103": "plain HTTP listener (see CKV_AWS_2): there is no TLS to configure",
            },
            guard={
                "alb_http_to_https_redirection_check": f"{cfg.name} has no domain (config.domain) and so no "
                "certificate: the spec serves it over plain HTTP; environments with a domain redirect 80 to 443",
            },
        )
        return stack.add(http)

    cert = stack.add(
        certificatemanager.Certificate(
            "Certificate",
            DomainName=cfg.domain.name,
            ValidationMethod="DNS",
            DomainValidationOptions=[
                certificatemanager.DomainValidationOption(
                    DomainName=cfg.domain.name, HostedZoneId=cfg.domain.hosted_zone_id
                )
            ],
            Tags=naming.tags(cfg, SPEC.name),
        )
    )
    stack.add(
        elb.Listener(
            "HttpListener",
            LoadBalancerArn=Ref(alb),
            Port=80,
            Protocol="HTTP",
            DefaultActions=[
                elb.Action(
                    Type="redirect",
                    RedirectConfig=elb.RedirectConfig(Protocol="HTTPS", Port="443", StatusCode="HTTP_301"),
                )
            ],
        )
    )
    https = stack.add(
        elb.Listener(
            "HttpsListener",
            LoadBalancerArn=Ref(alb),
            Port=443,
            Protocol="HTTPS",
            SslPolicy=TLS_POLICY,
            Certificates=[elb.Certificate(CertificateArn=Ref(cert))],
            DefaultActions=[_not_found()],
        )
    )
    stack.add(
        route53.RecordSetType(
            "DomainRecord",
            HostedZoneId=cfg.domain.hosted_zone_id,
            Name=cfg.domain.name,
            Type="A",
            AliasTarget=route53.AliasTarget(
                DNSName=GetAtt(alb, "DNSName"),
                HostedZoneId=GetAtt(alb, "CanonicalHostedZoneID"),
                EvaluateTargetHealth=True,
            ),
        )
    )
    return https


def _listener_rule(svc: str, listener: elb.Listener, target_group: elb.TargetGroup) -> elb.ListenerRule:
    priority, paths = ROUTES[svc]
    if len(paths) > _MAX_RULE_VALUES or sum(p.count("*") + p.count("?") for p in paths) > _MAX_RULE_VALUES:
        raise TemplateLimitError(
            f"route {svc}: {len(paths)} path patterns; an ALB rule takes at most {_MAX_RULE_VALUES} values "
            f"and {_MAX_RULE_VALUES} wildcards: split the route into two rules"
        )
    return elb.ListenerRule(
        f"{_TITLES[svc]}ListenerRule",
        ListenerArn=Ref(listener),
        Priority=priority,
        Conditions=[elb.Condition(Field="path-pattern", PathPatternConfig=elb.PathPatternConfig(Values=list(paths)))],
        Actions=[elb.ListenerRuleAction(Type="forward", TargetGroupArn=Ref(target_group))],
    )


# --- services ---------------------------------------------------------------------------------


def _environment(cfg: EnvConfig, stack: Stack, svc: Service) -> list[ecs.Environment]:
    """Plain configuration, the same for every service (one image, one config loader) apart from
    its role and port. Nothing secret here: secrets come from `_secrets`."""
    values: dict[str, object] = {
        "NODE_ENV": "production",  # every deployed environment runs production builds; HANA_ENV names it
        "HANA_ENV": cfg.name,
        "HANA_SERVICE": svc.name,
        "AWS_REGION": Ref("AWS::Region"),
        "DB_HOST": stack.input("DbEndpointAddress"),
        "DB_PORT": stack.input("DbEndpointPort"),
        "DB_USERNAME": cfg.database.master_username,
        "DB_NAME": stack.input("DbName"),
        "REDIS_HOST": stack.input("RedisPrimaryEndpointAddress"),
        "REDIS_PORT": stack.input("RedisPrimaryEndpointPort"),
        "REDIS_TLS": "true",  # the replication group enforces in-transit encryption
        "AGENT_RUNS_QUEUE_URL": stack.input("AgentRunsQueueUrl"),
        "NOTIFICATIONS_QUEUE_URL": stack.input("NotificationsQueueUrl"),
        "MEDIA_BUCKET": stack.input("MediaBucketName"),
    }
    if svc.port is not None:
        values["PORT"] = str(svc.port)
    values["TMPDIR"] = WRITABLE_PATHS["tmp"]
    if svc.name == "workers":
        t = worker_timeouts(cfg)
        values |= {
            "AGENT_RUN_VISIBILITY_TIMEOUT_S": str(t["visibility_timeout_s"]),
            "VISIBILITY_EXTEND_S": str(t["visibility_extend_s"]),
            "TASK_PROTECTION_MINUTES": str(t["protection_minutes"]),
        }
    return [ecs.Environment(Name=k, Value=v) for k, v in sorted(values.items())]


def _secrets(stack: Stack, svc: Service) -> list[ecs.Secret]:
    """`<secret arn>:<json key>::` makes ECS inject one key of the JSON secret (AWSCURRENT)."""
    result = []
    for env_name in SERVICE_SECRETS[svc.name]:
        key, json_key = _SECRETS[env_name]
        output = naming.SECRET_ARN_OUTPUTS[key]
        stack.input(output)  # fails early on a typo
        result.append(ecs.Secret(Name=env_name, ValueFrom=Sub(f"${{{output}}}:{json_key}::")))
    return result


def _container(cfg: EnvConfig, stack: Stack, svc: Service, logs) -> ecs.ContainerDefinition:
    props: dict[str, object] = {}
    if svc.port is not None:
        props["PortMappings"] = [ecs.PortMapping(Name=svc.name, ContainerPort=svc.port, Protocol="tcp")]
    return ecs.ContainerDefinition(
        Name=svc.name,
        Image=Sub("${EcrRepositoryUri}:${ImageTag}"),
        Essential=True,
        Privileged=False,
        # A hard limit: the container is killed rather than starving the task (one container per task).
        Memory=svc.memory,
        User=cfg.container_user,  # non-root; a contract with the image (module docstring)
        # ECS Exec (the spec's way into a container) injects the SSM agent, which must write to
        # the container's filesystem: "the SSM agent requires that the container file system is
        # able to be written to ... making the root file system read-only ... isn't supported"
        # (ECS developer guide, ecs-exec.html, "Considerations"; the community workaround of
        # mounting the agent's directories, aws/containers-roadmap#1359, is not supported by AWS).
        # So: read-only where ECS Exec is off (prod), writable where it is on (dev).
        ReadonlyRootFilesystem=not cfg.ecs_exec,
        MountPoints=[
            ecs.MountPoint(SourceVolume=volume, ContainerPath=path, ReadOnly=False)
            for volume, path in WRITABLE_PATHS.items()
        ],
        # An init process reaps the children ECS Exec sessions leave behind (AWS recommends it).
        LinuxParameters=ecs.LinuxParameters(InitProcessEnabled=True),
        StopTimeout=_STOP_TIMEOUT_S[svc.name],
        Environment=_environment(cfg, stack, svc),
        Secrets=_secrets(stack, svc),
        LogConfiguration=ecs.LogConfiguration(
            LogDriver="awslogs",
            Options={
                "awslogs-group": Ref(logs),
                "awslogs-region": Ref("AWS::Region"),
                "awslogs-stream-prefix": svc.name,
                # Never block the app on CloudWatch: buffer up to 25 MB, drop beyond (and say so).
                "mode": "non-blocking",
                "max-buffer-size": "25m",
            },
        ),
        **props,
    )


def _task_definition(cfg: EnvConfig, stack: Stack, svc: Service, logs) -> ecs.TaskDefinition:
    task = ecs.TaskDefinition(
        f"{_TITLES[svc.name]}TaskDefinition",
        Family=naming.name(cfg, svc.name),
        Cpu=str(svc.cpu),
        Memory=str(svc.memory),
        NetworkMode="awsvpc",
        RequiresCompatibilities=["FARGATE"],
        # config savings.graviton: ARM64 (Graviton) is ~20% cheaper; `push` then builds linux/arm64
        # (EnvConfig.image_platform).
        RuntimePlatform=ecs.RuntimePlatform(
            OperatingSystemFamily="LINUX", CpuArchitecture="ARM64" if cfg.savings.graviton else "X86_64"
        ),
        ExecutionRoleArn=stack.input("TaskExecutionRoleArn"),
        TaskRoleArn=stack.input(f"{_TITLES[svc.name]}TaskRoleArn"),
        ContainerDefinitions=[_container(cfg, stack, svc, logs)],
        # Volumes without a host or EFS configuration live on the task's ephemeral storage.
        Volumes=[ecs.Volume(Name=volume) for volume in WRITABLE_PATHS],
        Tags=naming.tags(cfg, SPEC.name, Service=svc.name),
    )
    if cfg.ecs_exec:
        suppress(
            task,
            guard={
                "ecs_containers_readonly_access_check": f"{cfg.name} keeps ECS Exec (the spec's Option 3 debugging "
                "shell), whose SSM agent AWS supports only on a writable root filesystem; prod turns ECS Exec off "
                "and runs read-only (config ecs_exec)",
            },
        )
    return task


def _service(cfg, stack, svc: Service, cluster, task, target_group, depends_on) -> ecs.Service:
    props: dict[str, object] = {}
    # The workers' queue, as a tag on the service and (propagated) its tasks: says in the console
    # what the service consumes, in every environment (autoscaling reads it too in prod).
    tags = {"Queue": stack.input("AgentRunsQueueName")} if svc.name == "workers" else {}
    if svc.name == "workers" and cfg.savings.workers_spot:
        # config savings.workers_spot: Spot tasks can be stopped with two minutes' notice; SIGTERM
        # makes a worker abandon its run, which returns to the queue after the visibility timeout.
        props["CapacityProviderStrategy"] = [
            ecs.CapacityProviderStrategyItem(CapacityProvider="FARGATE_SPOT", Weight=1)
        ]
    if target_group is not None:
        props["LoadBalancers"] = [
            ecs.LoadBalancer(ContainerName=svc.name, ContainerPort=svc.port, TargetGroupArn=Ref(target_group))
        ]
        props["HealthCheckGracePeriodSeconds"] = _HEALTH_CHECK_GRACE_S
    return ecs.Service(
        f"{_TITLES[svc.name]}Service",
        # A target group must be attached to the ALB (through its rule) before a service uses it,
        # and the default capacity provider strategy must exist before a service relies on it.
        DependsOn=[d.title for d in depends_on if d is not None],
        ServiceName=naming.name(cfg, svc.name),
        Cluster=Ref(cluster),
        TaskDefinition=Ref(task),
        DesiredCount=stack.input(f"{_TITLES[svc.name]}DesiredCount"),
        PlatformVersion="LATEST",
        NetworkConfiguration=ecs.NetworkConfiguration(
            AwsvpcConfiguration=ecs.AwsvpcConfiguration(
                AssignPublicIp="DISABLED",
                Subnets=stack.input("PrivateSubnetIds"),
                SecurityGroups=[stack.input("EcsSecurityGroupId")],
            )
        ),
        DeploymentConfiguration=ecs.DeploymentConfiguration(
            DeploymentCircuitBreaker=ecs.DeploymentCircuitBreaker(Enable=True, Rollback=True),
            MinimumHealthyPercent=100,
            MaximumPercent=200,
        ),
        EnableExecuteCommand=cfg.ecs_exec,
        EnableECSManagedTags=True,
        PropagateTags="SERVICE",
        Tags=naming.tags(cfg, SPEC.name, Service=svc.name, **tags),
        **props,
    )


# --- autoscaling (prod) -----------------------------------------------------------------------


def _autoscaling(cfg: EnvConfig, stack: Stack, svc: Service, cluster, service) -> None:
    t = _TITLES[svc.name]
    target = stack.add(
        applicationautoscaling.ScalableTarget(
            f"{t}ScalableTarget",
            ServiceNamespace="ecs",
            ScalableDimension="ecs:service:DesiredCount",
            ResourceId=Sub(f"service/${{{cluster.title}}}/${{{service.title}.Name}}"),
            # Without autoscaling the target exists only for the working-hours schedule: its floor is
            # 0 so registering it never starts tasks (an image may not exist yet); 08:00 does.
            MinCapacity=svc.min_tasks if svc.autoscaling else 0,
            MaxCapacity=svc.max_tasks,
            # No RoleARN: Application Auto Scaling uses its ECS service-linked role.
            **_working_hours(cfg, svc),
        )
    )
    if not svc.autoscaling:
        return
    if svc.name == "workers":
        config = _scale_on_backlog(stack, cluster, service)
        policy_name = naming.name(cfg, svc.name, "backlog")
    else:
        config = applicationautoscaling.TargetTrackingScalingPolicyConfiguration(
            PredefinedMetricSpecification=applicationautoscaling.PredefinedMetricSpecification(
                PredefinedMetricType="ECSServiceAverageCPUUtilization"
            ),
            TargetValue=_CPU_TARGET_PERCENT,
            ScaleOutCooldown=_SCALE_OUT_COOLDOWN_S,
            ScaleInCooldown=_SCALE_IN_COOLDOWN_S,
        )
        policy_name = naming.name(cfg, svc.name, "cpu")
    stack.add(
        applicationautoscaling.ScalingPolicy(
            f"{t}ScalingPolicy",
            PolicyName=policy_name,
            PolicyType="TargetTrackingScaling",
            ScalingTargetId=Ref(target),
            TargetTrackingScalingPolicyConfiguration=config,
        )
    )


def _working_hours(cfg: EnvConfig, svc: Service) -> dict:
    """config savings.schedule: at the start of working hours the service gets its task range
    back; at the end its capacity becomes 0 (ECS scheduled scaling)."""
    sch = cfg.savings.schedule
    if sch is None:
        return {}
    aas = applicationautoscaling

    def action(name: str, hour: int, low: int, high: int) -> aas.ScheduledAction:
        return aas.ScheduledAction(
            ScheduledActionName=naming.name(cfg, svc.name, name),
            Schedule=f"cron(0 {hour} ? * {sch.days} *)",
            Timezone=sch.timezone,
            ScalableTargetAction=aas.ScalableTargetAction(MinCapacity=low, MaxCapacity=high),
        )

    return {
        "ScheduledActions": [
            action("start", sch.start_hour, svc.min_tasks, svc.max_tasks),
            action("stop", sch.end_hour, 0, 0),
        ]
    }


def _scale_on_backlog(
    stack: Stack, cluster, service
) -> applicationautoscaling.TargetTrackingScalingPolicyConfiguration:
    """Target tracking on agent runs waiting or in flight per running worker (AWS's "backlog
    per task", counting the runs being worked on too).

    Why in flight too: with only ApproximateNumberOfMessagesVisible the metric reads 0 while
    every worker is busy and nothing waits, so target tracking scales in and stops workers in
    the middle of runs. Counting ApproximateNumberOfMessagesNotVisible (received, not yet
    deleted) keeps the capacity that running work needs; task scale-in protection (the worker
    contract) makes sure that what scale-in does remove is an idle worker.
    Why not CPU: workers spend most of a run waiting on model APIs, so CPU stays low while the
    queue grows. Why not the raw queue depth: target tracking assumes the metric falls as tasks
    are added, which holds for depth divided by tasks, not for depth. Why not step scaling: it
    needs hand-made alarms and step sizes; target tracking manages its own alarms and scales in
    gently. RunningTaskCount comes from Container Insights (enabled on the cluster).
    """
    aas = applicationautoscaling

    def queue_metric(query_id: str, label: str, metric_name: str) -> aas.TargetTrackingMetricDataQuery:
        return aas.TargetTrackingMetricDataQuery(
            Id=query_id,
            Label=label,
            ReturnData=False,
            MetricStat=aas.TargetTrackingMetricStat(
                Stat="Sum",
                Metric=aas.TargetTrackingMetric(
                    Namespace="AWS/SQS",
                    MetricName=metric_name,
                    Dimensions=[
                        aas.TargetTrackingMetricDimension(Name="QueueName", Value=stack.input("AgentRunsQueueName"))
                    ],
                ),
            ),
        )

    visible = queue_metric("visible", "agent runs waiting", "ApproximateNumberOfMessagesVisible")
    in_flight = queue_metric("inflight", "agent runs in flight", "ApproximateNumberOfMessagesNotVisible")
    running = aas.TargetTrackingMetricDataQuery(
        Id="running",
        Label="running workers",
        ReturnData=False,
        MetricStat=aas.TargetTrackingMetricStat(
            Stat="Average",
            Metric=aas.TargetTrackingMetric(
                Namespace="ECS/ContainerInsights",
                MetricName="RunningTaskCount",
                Dimensions=[
                    aas.TargetTrackingMetricDimension(Name="ClusterName", Value=Ref(cluster)),
                    aas.TargetTrackingMetricDimension(Name="ServiceName", Value=GetAtt(service, "Name")),
                ],
            ),
        ),
    )
    backlog = aas.TargetTrackingMetricDataQuery(
        Id="backlog",
        Label="agent runs waiting or in flight per running worker",
        Expression=BACKLOG_EXPRESSION,
        ReturnData=True,
    )
    return aas.TargetTrackingScalingPolicyConfiguration(
        CustomizedMetricSpecification=aas.CustomizedMetricSpecification(Metrics=[visible, in_flight, running, backlog]),
        TargetValue=_BACKLOG_PER_TASK,
        ScaleOutCooldown=_SCALE_OUT_COOLDOWN_S,
        ScaleInCooldown=_SCALE_IN_COOLDOWN_S,
    )
