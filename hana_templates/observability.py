"""observability: the alarm topic, the `hana-<env>-overview` dashboard and the alarms.

Topic: `hana-<env>-alarms`, encrypted with this stack's customer-managed key. An encrypted topic
drops CloudWatch's notifications unless CloudWatch may use the key: the key policy lets the
`cloudwatch.amazonaws.com` principal call kms:GenerateDataKey and kms:Decrypt (what SNS asks
of a publisher, AWS's documented pair) for this account only, and the topic policy lets it
publish for this account's `hana-<env>-*` alarms only. An e-mail subscription is added when
`cfg.alarm_email` is set (none by default; see the README for subscribing by hand).

Dashboard `hana-<env>-overview`, built as JSON with sorted keys inside Fn::Sub so the stack's
parameters resolve: alarm status; ECS CPU and memory of api, ws and workers; ALB requests,
5xx and target response time; RDS CPU and connections; Redis memory per node (a replication
group's nodes are `<group>-001`, `-002`, ...: one per `cfg.cache` primary/replica); SQS depth
of the agent-runs queue, its DLQ and the notifications DLQ; healthy/unhealthy targets of the api and ws target
groups; WAF allowed/blocked/counted requests (the waf stack's web ACL, by its fixed name
`hana-<env>-waf`: a graph needs no contract input); a Logs Insights table of recent errors
across the three `/ecs/hana-<env>/<service>` log groups.

Alarms (name `hana-<env>-<what>`, each notifying the topic on ALARM and on OK), with the
spec's thresholds from `cfg.alarms`:

| alarm | condition |
| ----- | --------- |
| api-cpu | API CPU > 80% for 10 min |
| api-memory | API memory > 85% for 10 min |
| rds-cpu | RDS CPU > 80% for 10 min |
| rds-free-storage | RDS free storage < 5 GiB (5 * 1024^3 bytes) |
| redis-memory | Redis memory (highest node) > 80% over 5 min |
| alb-5xx | ALB 5xx (from the ALB itself + from targets) > 10 in 5 min |
| agent-runs-dlq | agent-runs DLQ visible messages >= 1 |

and beside them (ours): notifications-dlq (the notifications DLQ, as agent-runs-dlq), ws-cpu, ws-memory, workers-cpu, workers-memory (the API's
thresholds), api-unhealthy-hosts and ws-unhealthy-hosts (any target failing health checks
for `cfg.alarms.unhealthy_hosts_minutes`), rds-freeable-memory (below
`cfg.alarms.rds_freeable_memory_mb` for 10 min: the database is about to swap).

Missing data: `notBreaching` everywhere except the DLQs. An idle dev environment (services at
desired count 0, no traffic, no 5xx) publishes no ECS, ALB target or 5xx datapoints, and a
stopped dev database none either; none of that may page. The DLQs use `ignore`: SQS stops
publishing metrics for a queue nobody touches for six hours even while messages sit in it,
so `notBreaching` would turn a failed agent run's alarm back to OK with the message still
there; `ignore` keeps the alarm in ALARM until SQS reports the DLQ empty.

Consumes: compute (cluster, services, ALB, target groups), database (RDS instance, Redis
group), messaging (queue names). Outputs: AlarmTopicArn, DashboardName.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial

from awacs import aws
from awacs import sns as sns_actions
from troposphere import GetAtt, Ref, Sub, Template, cloudwatch, sns

from . import naming
from .config import EnvConfig
from .constructs import kms_key
from .spec import From, Stack, StackSpec

SPEC = StackSpec(
    name="observability",
    description="SNS alarm topic, CloudWatch dashboard and alarms",
    inputs=(
        From("compute", "ClusterName"),
        From("compute", "ApiServiceName"),
        From("compute", "WsServiceName"),
        From("compute", "WorkersServiceName"),
        From("compute", "AlbFullName"),
        From("compute", "ApiTargetGroupFullName"),
        From("compute", "WsTargetGroupFullName"),
        From("database", "DbInstanceIdentifier"),
        From("database", "RedisReplicationGroupId"),
        From("messaging", "AgentRunsQueueName"),
        From("messaging", "AgentRunsDlqName"),
        From("messaging", "NotificationsDlqName"),
    ),
    outputs=("AlarmTopicArn", "DashboardName"),
)

# The input carrying each service's ECS service name and, for services behind the ALB, its
# target group's full name.
SERVICE_INPUTS = {"api": "ApiServiceName", "ws": "WsServiceName", "workers": "WorkersServiceName"}
TARGET_GROUP_INPUTS = {"api": "ApiTargetGroupFullName", "ws": "WsTargetGroupFullName"}

GIB = 1024**3
MIB = 1024**2
MINUTE = 60
FIVE_MINUTES = 300
NOT_BREACHING = "notBreaching"


def build(cfg: EnvConfig) -> Template:
    stack = Stack(cfg, SPEC)
    key, alias = kms_key(cfg, SPEC.name, "AlarmTopicKey", "alarms", "cloudwatch")
    stack.add(key)
    stack.add(alias)
    topic = stack.add(
        sns.Topic(
            "AlarmTopic",
            TopicName=naming.name(cfg, "alarms"),
            DisplayName=f"{naming.prefix(cfg)} alarms",
            KmsMasterKeyId=GetAtt(key, "Arn"),
            Tags=naming.tags(cfg, SPEC.name),
        )
    )
    stack.add(sns.TopicPolicy("AlarmTopicPolicy", Topics=[Ref(topic)], PolicyDocument=_topic_policy(cfg, topic)))
    if cfg.alarm_email:
        stack.add(
            sns.SubscriptionResource(
                "AlarmEmailSubscription", Protocol="email", Endpoint=cfg.alarm_email, TopicArn=Ref(topic)
            )
        )

    alarms = [stack.add(alarm) for alarm in _alarms(cfg, stack, topic)]
    dashboard = stack.add(
        cloudwatch.Dashboard(
            "Dashboard",
            DashboardName=naming.name(cfg, "overview"),
            DashboardBody=Sub(dashboard_json(cfg, [alarm.AlarmName for alarm in alarms])),
        )
    )

    stack.output("AlarmTopicArn", Ref(topic), "SNS topic the alarms notify (subscribe on-call here)")
    stack.output("DashboardName", Ref(dashboard), "CloudWatch dashboard of the environment")
    return stack.template()


# --- topic ------------------------------------------------------------------------------------


def _topic_policy(cfg: EnvConfig, topic: sns.Topic) -> aws.PolicyDocument:
    our_alarms = Sub(
        f"arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{naming.prefix(cfg)}-*"
    )
    return aws.PolicyDocument(
        Version="2012-10-17",
        Statement=[
            aws.Statement(
                Sid="CloudWatchAlarmsPublish",
                Effect=aws.Allow,
                Principal=aws.Principal("Service", "cloudwatch.amazonaws.com"),
                Action=[sns_actions.Publish],
                Resource=[Ref(topic)],
                Condition=aws.Condition(
                    [
                        aws.StringEquals("aws:SourceAccount", Sub("${AWS::AccountId}")),
                        aws.ArnLike("aws:SourceArn", our_alarms),
                    ]
                ),
            ),
            aws.Statement(
                Sid="DenyInsecureTransport",
                Effect=aws.Deny,
                Principal=aws.Principal("*"),
                Action=[sns_actions.Publish],
                Resource=[Ref(topic)],
                Condition=aws.Condition(aws.Bool("aws:SecureTransport", False)),
            ),
        ],
    )


# --- alarms -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Metric:
    namespace: str
    name: str
    dimensions: dict
    stat: str


def _alarms(cfg: EnvConfig, stack: Stack, topic: sns.Topic) -> list[cloudwatch.Alarm]:
    a, p = cfg.alarms, stack.input
    sustained = a.sustained_minutes
    alarm = partial(_alarm, cfg, topic)
    alarms = []
    for service, service_input in SERVICE_INPUTS.items():
        dims = {"ClusterName": p("ClusterName"), "ServiceName": p(service_input)}
        alarms += [
            alarm(
                f"{service.title()}CpuAlarm",
                f"{service}-cpu",
                f"{service} service CPU above {a.api_cpu_percent:g}% for {sustained} min",
                {"m": _Metric("AWS/ECS", "CPUUtilization", dims, "Average")},
                minutes=sustained,
                above=a.api_cpu_percent,
            ),
            alarm(
                f"{service.title()}MemoryAlarm",
                f"{service}-memory",
                f"{service} service memory above {a.api_memory_percent:g}% for {sustained} min",
                {"m": _Metric("AWS/ECS", "MemoryUtilization", dims, "Average")},
                minutes=sustained,
                above=a.api_memory_percent,
            ),
        ]
    for service, target_group_input in TARGET_GROUP_INPUTS.items():
        dims = {"TargetGroup": p(target_group_input), "LoadBalancer": p("AlbFullName")}
        alarms.append(
            alarm(
                f"{service.title()}UnhealthyHostsAlarm",
                f"{service}-unhealthy-hosts",
                f"a {service} target failed its health checks for {a.unhealthy_hosts_minutes} min",
                {"m": _Metric("AWS/ApplicationELB", "UnHealthyHostCount", dims, "Maximum")},
                minutes=a.unhealthy_hosts_minutes,
                at_least=1,
            )
        )

    db = {"DBInstanceIdentifier": p("DbInstanceIdentifier")}
    alarms += [
        alarm(
            "RdsCpuAlarm",
            "rds-cpu",
            f"RDS CPU above {a.rds_cpu_percent:g}% for {sustained} min",
            {"m": _Metric("AWS/RDS", "CPUUtilization", db, "Average")},
            minutes=sustained,
            above=a.rds_cpu_percent,
        ),
        alarm(
            "RdsFreeStorageAlarm",
            "rds-free-storage",
            f"RDS free storage below {a.rds_free_storage_gb:g} GiB",
            {"m": _Metric("AWS/RDS", "FreeStorageSpace", db, "Minimum")},
            minutes=5,
            per_period=True,
            below=a.rds_free_storage_gb * GIB,
        ),
        alarm(
            "RdsFreeableMemoryAlarm",
            "rds-freeable-memory",
            f"RDS freeable memory below {a.rds_freeable_memory_mb} MiB for {sustained} min",
            {"m": _Metric("AWS/RDS", "FreeableMemory", db, "Average")},
            minutes=sustained,
            below=a.rds_freeable_memory_mb * MIB,
        ),
    ]

    nodes = {
        f"node{i}": _Metric(
            "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", {"CacheClusterId": Sub(node)}, "Average"
        )
        for i, node in enumerate(redis_node_ids(cfg), start=1)
    }
    alb = {"LoadBalancer": p("AlbFullName")}
    alarms += [
        alarm(
            "RedisMemoryAlarm",
            "redis-memory",
            f"Redis memory above {a.redis_memory_percent:g}% on a node (5-minute average)",
            nodes,
            expression=f"MAX([{', '.join(nodes)}])",
            minutes=5,
            per_period=True,
            above=a.redis_memory_percent,
        ),
        alarm(
            "Alb5xxAlarm",
            "alb-5xx",
            f"more than {a.alb_5xx_count} 5xx responses in {a.alb_5xx_minutes} min (from the ALB and the targets)",
            {
                "alb": _Metric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", alb, "Sum"),
                "targets": _Metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", alb, "Sum"),
            },
            expression="FILL(alb, 0) + FILL(targets, 0)",
            minutes=a.alb_5xx_minutes,
            per_period=True,
            above=a.alb_5xx_count,
        ),
        alarm(
            "AgentRunsDlqAlarm",
            "agent-runs-dlq",
            "agent runs failed and wait in the dead-letter queue: inspect and redrive them",
            {
                "m": _Metric(
                    "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": p("AgentRunsDlqName")}, "Maximum"
                )
            },
            minutes=1,
            at_least=a.dlq_messages,
            missing="ignore",  # see the module docstring: an idle queue stops reporting
        ),
        alarm(
            "NotificationsDlqAlarm",
            "notifications-dlq",
            "notifications (webhooks, e-mails, usage events) failed and wait in their dead-letter queue: "
            "inspect and redrive them",
            {
                "m": _Metric(
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    {"QueueName": p("NotificationsDlqName")},
                    "Maximum",
                )
            },
            minutes=1,
            at_least=a.dlq_messages,
            missing="ignore",  # as the agent-runs DLQ
        ),
    ]
    return alarms


def _alarm(
    cfg: EnvConfig,
    topic: sns.Topic,
    logical_id: str,
    what: str,
    description: str,
    metrics: dict[str, _Metric],
    *,
    minutes: int,
    per_period: bool = False,
    expression: str | None = None,
    above: float | None = None,
    below: float | None = None,
    at_least: float | None = None,
    missing: str = NOT_BREACHING,
) -> cloudwatch.Alarm:
    """Alarm `hana-<env>-<what>` notifying `topic` on ALARM and OK.

    The condition must hold for `minutes` consecutive one-minute periods, or, with `per_period`,
    for one period of `minutes` (a sum or minimum over the window). One metric is alarmed on
    directly; several are combined by `expression` (metric math over their ids)."""
    conditions = [
        (op, value)
        for op, value in (
            ("GreaterThanThreshold", above),
            ("LessThanThreshold", below),
            ("GreaterThanOrEqualToThreshold", at_least),
        )
        if value is not None
    ]
    if len(conditions) != 1:
        raise ValueError(f"alarm {what}: give exactly one of above, below, at_least")
    ((comparison, threshold),) = conditions
    period, periods = (minutes * MINUTE, 1) if per_period else (MINUTE, minutes)
    props = dict(
        AlarmName=naming.name(cfg, what),
        AlarmDescription=description,
        ComparisonOperator=comparison,
        Threshold=threshold,
        EvaluationPeriods=periods,
        DatapointsToAlarm=periods,
        TreatMissingData=missing,
        AlarmActions=[Ref(topic)],
        OKActions=[Ref(topic)],
    )
    if expression is None:
        ((_, metric),) = metrics.items()
        return cloudwatch.Alarm(
            logical_id,
            Namespace=metric.namespace,
            MetricName=metric.name,
            Dimensions=_dimensions(metric.dimensions),
            Statistic=metric.stat,
            Period=period,
            **props,
        )
    queries = [
        cloudwatch.MetricDataQuery(
            Id=metric_id,
            MetricStat=cloudwatch.MetricStat(
                Metric=cloudwatch.Metric(
                    Namespace=m.namespace, MetricName=m.name, Dimensions=_dimensions(m.dimensions)
                ),
                Period=period,
                Stat=m.stat,
            ),
            ReturnData=False,
        )
        for metric_id, m in metrics.items()
    ]
    queries.append(cloudwatch.MetricDataQuery(Id="value", Expression=expression, Label=what, ReturnData=True))
    return cloudwatch.Alarm(logical_id, Metrics=queries, **props)


def _dimensions(dims: dict) -> list[cloudwatch.MetricDimension]:
    return [cloudwatch.MetricDimension(Name=k, Value=v) for k, v in dims.items()]


def redis_node_ids(cfg: EnvConfig) -> list[str]:
    """`${RedisReplicationGroupId}-001`, ... (Fn::Sub syntax): the primary and each replica of the
    replication group, as ElastiCache names a cluster-mode-disabled group's nodes."""
    return [f"${{RedisReplicationGroupId}}-{i:03d}" for i in range(1, cfg.cache.replicas + 2)]


# --- dashboard --------------------------------------------------------------------------------

_REGION = "${AWS::Region}"


def dashboard_json(cfg: EnvConfig, alarm_names: list[str]) -> str:
    """The dashboard body: JSON with sorted keys whose `${Param}` / `${AWS::...}` Fn::Sub resolves.
    Rows of widgets, laid out left to right, top to bottom."""
    alarm_arn = "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:"
    alb = ("LoadBalancer", "${AlbFullName}")
    db = ("DBInstanceIdentifier", "${DbInstanceIdentifier}")
    queue, dlq = ("QueueName", "${AgentRunsQueueName}"), ("QueueName", "${AgentRunsDlqName}")
    notifications_dlq = ("QueueName", "${NotificationsDlqName}")
    # The waf stack's web ACL by its metric name (= its name, hana-<env>-waf): a graph needs no input.
    acl = [("WebACL", naming.name(cfg, "waf")), ("Region", _REGION), ("Rule", "ALL")]
    rows = [
        [_widget("alarm", 24, 3, title="Alarms", alarms=[alarm_arn + name for name in sorted(alarm_names)])],
        [
            _metrics("ECS service CPU (%)", _ecs("CPUUtilization"), percent=True),
            _metrics("ECS service memory (%)", _ecs("MemoryUtilization"), percent=True),
        ],
        [
            _metrics(
                "ALB requests and 5xx (per 5 min)",
                [
                    _line("AWS/ApplicationELB", "RequestCount", "requests", alb),
                    _line("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "5xx from targets", alb),
                    _line("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "5xx from the ALB", alb),
                ],
                stat="Sum",
                period=FIVE_MINUTES,
            ),
            _metrics(
                "ALB target response time (s)",
                [
                    _line("AWS/ApplicationELB", "TargetResponseTime", "average", alb),
                    _line("AWS/ApplicationELB", "TargetResponseTime", "p95", alb, stat="p95"),
                ],
            ),
        ],
        [
            _metrics("RDS CPU (%)", [_line("AWS/RDS", "CPUUtilization", "cpu", db)], percent=True),
            _metrics("RDS connections", [_line("AWS/RDS", "DatabaseConnections", "connections", db)]),
        ],
        [
            _metrics(
                "Redis memory per node (%)",
                [
                    _line("AWS/ElastiCache", "DatabaseMemoryUsagePercentage", node[-3:], ("CacheClusterId", node))
                    for node in redis_node_ids(cfg)
                ],
                percent=True,
            ),
            _metrics(
                "SQS queue depth",
                [
                    _line("AWS/SQS", "ApproximateNumberOfMessagesVisible", "agent-runs waiting", queue),
                    _line("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "agent-runs in flight", queue),
                    _line("AWS/SQS", "ApproximateNumberOfMessagesVisible", "dead-letter queue", dlq),
                    _line("AWS/SQS", "ApproximateNumberOfMessagesVisible", "notifications DLQ", notifications_dlq),
                ],
                stat="Maximum",
            ),
        ],
        [
            _metrics(
                "Healthy targets",
                [
                    _line(
                        "AWS/ApplicationELB",
                        "HealthyHostCount",
                        f"{service} healthy",
                        ("TargetGroup", f"${{{target_group_input}}}"),
                        alb,
                    )
                    for service, target_group_input in TARGET_GROUP_INPUTS.items()
                ]
                + [
                    _line(
                        "AWS/ApplicationELB",
                        "UnHealthyHostCount",
                        f"{service} unhealthy",
                        ("TargetGroup", f"${{{target_group_input}}}"),
                        alb,
                    )
                    for service, target_group_input in TARGET_GROUP_INPUTS.items()
                ],
                stat="Maximum",
            ),
            _metrics(
                "WAF requests (per 5 min)",
                [
                    _line("AWS/WAFV2", "AllowedRequests", "allowed", *acl),
                    _line("AWS/WAFV2", "BlockedRequests", "blocked", *acl),
                    _line("AWS/WAFV2", "CountedRequests", "counted", *acl),
                ],
                stat="Sum",
                period=FIVE_MINUTES,
            ),
        ],
        [
            _widget(
                "log",
                24,
                8,
                title="Recent errors (api, ws, workers)",
                region=_REGION,
                view="table",
                query=_errors_query(cfg),
            )
        ],
    ]
    widgets, y = [], 0
    for row in rows:
        x = 0
        for widget in row:
            widgets.append({**widget, "x": x, "y": y})
            x += widget["width"]
        y += max(widget["height"] for widget in row)
    return json.dumps({"widgets": widgets}, sort_keys=True, separators=(",", ":"))


def _widget(kind: str, width: int, height: int, **properties) -> dict:
    return {"type": kind, "width": width, "height": height, "properties": properties}


def _metrics(title: str, lines: list, *, stat="Average", period=MINUTE, percent=False) -> dict:
    props = dict(title=title, region=_REGION, view="timeSeries", stacked=False, stat=stat, period=period, metrics=lines)
    if percent:
        props["yAxis"] = {"left": {"min": 0, "max": 100}}
    return _widget("metric", 12, 6, **props)


def _line(namespace: str, metric: str, label: str, *dimensions: tuple[str, str], **options) -> list:
    """One graphed metric: [namespace, metric, dimension, value, ..., {label, ...}]."""
    return [namespace, metric, *(part for dimension in dimensions for part in dimension), {"label": label, **options}]


def _ecs(metric: str) -> list:
    return [
        _line("AWS/ECS", metric, service, ("ClusterName", "${ClusterName}"), ("ServiceName", f"${{{service_input}}}"))
        for service, service_input in SERVICE_INPUTS.items()
    ]


def _errors_query(cfg: EnvConfig) -> str:
    """Logs Insights: the latest error lines of the three services' log groups."""
    sources = " | ".join(f"SOURCE '{naming.service_log_group(cfg, service)}'" for service in SERVICE_INPUTS)
    return (
        f"{sources} | fields @timestamp, @log, @message"
        " | filter @message like /(?i)(error|exception|fatal|unhandled)/"
        " | sort @timestamp desc | limit 100"
    )
