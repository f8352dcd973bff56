"""observability: the spec's dashboard widgets and alarm thresholds, an encrypted topic CloudWatch can publish to."""

import dataclasses
import json
import re

import pytest

from hana_templates import config, observability
from tests.tmpl import one, props, resources, template


def _tmpl(env):
    return template(env, "observability")


def _alarms(env):
    return resources(_tmpl(env), "AWS::CloudWatch::Alarm")


def _metric_queries(alarm):
    """(namespace, metric name, dimensions, period) of every metric the alarm reads."""
    p = props(alarm)
    if "Metrics" not in p:
        return [(p["Namespace"], p["MetricName"], _dims(p["Dimensions"]), p["Period"])]
    return [
        (
            q["MetricStat"]["Metric"]["Namespace"],
            q["MetricStat"]["Metric"]["MetricName"],
            _dims(q["MetricStat"]["Metric"]["Dimensions"]),
            q["MetricStat"]["Period"],
        )
        for q in p["Metrics"]
        if "MetricStat" in q
    ]


def _dims(dimensions):
    return {d["Name"]: d["Value"] for d in dimensions}


def _window_s(alarm):
    """How long the condition must hold: period x consecutive periods."""
    p = props(alarm)
    assert p.get("DatapointsToAlarm", p["EvaluationPeriods"]) == p["EvaluationPeriods"], "not consecutive"
    return _metric_queries(alarm)[0][3] * p["EvaluationPeriods"]


# --- topic --------------------------------------------------------------------------------------


def test_alarm_topic_is_named_and_encrypted_with_a_rotating_retained_key(env):
    topic = props(one(_tmpl(env), "AWS::SNS::Topic"))
    assert topic["TopicName"] == f"hana-{env}-alarms"
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": ["AlarmTopicKey", "Arn"]}
    key = _tmpl(env)["Resources"]["AlarmTopicKey"]
    assert props(key)["EnableKeyRotation"] is True
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")


def test_cloudwatch_may_use_the_topic_key_for_this_account_only(env):
    statements = props(_tmpl(env)["Resources"]["AlarmTopicKey"])["KeyPolicy"]["Statement"]
    cw = [s for s in statements if "cloudwatch.amazonaws.com" in json.dumps(s.get("Principal", {}))]
    assert len(cw) == 1
    actions = set(cw[0]["Action"])
    # What SNS asks of a publisher to an encrypted topic (AWS: kms:Decrypt + kms:GenerateDataKey*).
    assert "kms:Decrypt" in actions
    assert actions & {"kms:GenerateDataKey", "kms:GenerateDataKey*"}
    assert cw[0]["Effect"] == "Allow"
    assert cw[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Fn::Sub": "${AWS::AccountId}"}}}


def test_topic_policy_lets_cloudwatch_publish_for_our_alarms_only(env):
    policy = props(one(_tmpl(env), "AWS::SNS::TopicPolicy"))
    assert policy["Topics"] == [{"Ref": "AlarmTopic"}]
    allows = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == ["sns:Publish"]
    assert allow["Resource"] == [{"Ref": "AlarmTopic"}]
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Fn::Sub": "${AWS::AccountId}"}}
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"].endswith(f":alarm:hana-{env}-*")


def test_no_email_subscription_unless_configured(env):
    assert resources(_tmpl(env), "AWS::SNS::Subscription") == {}
    cfg = dataclasses.replace(config.get(env), alarm_email="oncall@example.com")
    subs = resources(observability.build(cfg).to_dict(), "AWS::SNS::Subscription")
    assert [props(s) for s in subs.values()] == [
        {"Protocol": "email", "Endpoint": "oncall@example.com", "TopicArn": {"Ref": "AlarmTopic"}}
    ]


# --- alarms -------------------------------------------------------------------------------------

# The spec's "Configured Alarms" table: (logical id, metric(s), comparison, threshold, window in seconds).
SPEC_ALARMS = [
    pytest.param("ApiCpuAlarm", {"CPUUtilization"}, "GreaterThanThreshold", 80, 600, id="api-cpu>80%-10min"),
    pytest.param("ApiMemoryAlarm", {"MemoryUtilization"}, "GreaterThanThreshold", 85, 600, id="api-mem>85%-10min"),
    pytest.param("RdsCpuAlarm", {"CPUUtilization"}, "GreaterThanThreshold", 80, 600, id="rds-cpu>80%-10min"),
    pytest.param("RdsFreeStorageAlarm", {"FreeStorageSpace"}, "LessThanThreshold", 5 * 1024**3, None, id="rds<5GB"),
    pytest.param(
        "RedisMemoryAlarm", {"DatabaseMemoryUsagePercentage"}, "GreaterThanThreshold", 80, None, id="redis>80%"
    ),
    pytest.param(
        "Alb5xxAlarm",
        {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"},
        "GreaterThanThreshold",
        10,
        300,
        id="alb-5xx>10-in-5min",
    ),
    pytest.param(
        "AgentRunsDlqAlarm",
        {"ApproximateNumberOfMessagesVisible"},
        "GreaterThanOrEqualToThreshold",
        1,
        None,
        id="dlq>=1",
    ),
    pytest.param(
        "NotificationsDlqAlarm",
        {"ApproximateNumberOfMessagesVisible"},
        "GreaterThanOrEqualToThreshold",
        1,
        None,
        id="notifications-dlq>=1",
    ),
]


@pytest.mark.parametrize(("logical_id", "metrics", "comparison", "threshold", "window_s"), SPEC_ALARMS)
def test_spec_alarm_thresholds(env, logical_id, metrics, comparison, threshold, window_s):
    alarm = _alarms(env)[logical_id]
    assert {m[1] for m in _metric_queries(alarm)} == metrics
    assert props(alarm)["ComparisonOperator"] == comparison
    assert props(alarm)["Threshold"] == threshold
    if window_s is not None:
        assert _window_s(alarm) == window_s


def test_alb_5xx_counts_a_5_minute_sum(env):
    alarm = props(_alarms(env)["Alb5xxAlarm"])
    stats = {q["MetricStat"]["Stat"] for q in alarm["Metrics"] if "MetricStat" in q}
    assert stats == {"Sum"}
    (expression,) = [q for q in alarm["Metrics"] if q.get("ReturnData")]
    assert expression["Expression"] == "FILL(alb, 0) + FILL(targets, 0)"


def test_every_alarm_notifies_the_topic_on_alarm_and_ok_and_is_named_for_the_env(env):
    for logical_id, alarm in _alarms(env).items():
        p = props(alarm)
        assert p["AlarmActions"] == p["OKActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert re.fullmatch(rf"hana-{env}-[a-z0-9-]+", p["AlarmName"]), logical_id
    names = [props(a)["AlarmName"] for a in _alarms(env).values()]
    assert len(set(names)) == len(names)


def test_idle_environment_does_not_page_but_a_stale_dlq_stays_in_alarm(env):
    for logical_id, alarm in _alarms(env).items():
        expected = "ignore" if logical_id in {"AgentRunsDlqAlarm", "NotificationsDlqAlarm"} else "notBreaching"
        assert props(alarm)["TreatMissingData"] == expected, logical_id


@pytest.mark.parametrize(
    ("service", "param"), [("api", "ApiServiceName"), ("ws", "WsServiceName"), ("workers", "WorkersServiceName")]
)
def test_every_service_has_cpu_and_memory_alarms_at_the_api_thresholds(env, service, param):
    a = config.get(env).alarms
    for kind, metric, threshold in (
        ("Cpu", "CPUUtilization", a.api_cpu_percent),
        ("Memory", "MemoryUtilization", a.api_memory_percent),
    ):
        alarm = _alarms(env)[f"{service.title()}{kind}Alarm"]
        ((namespace, name, dims, _),) = _metric_queries(alarm)
        assert (namespace, name) == ("AWS/ECS", metric)
        assert dims == {"ClusterName": {"Ref": "ClusterName"}, "ServiceName": {"Ref": param}}
        assert props(alarm)["Threshold"] == threshold
        assert _window_s(alarm) == a.sustained_minutes * 60


@pytest.mark.parametrize(("service", "param"), [("Api", "ApiTargetGroupFullName"), ("Ws", "WsTargetGroupFullName")])
def test_unhealthy_targets_alarm_per_target_group(env, service, param):
    alarm = _alarms(env)[f"{service}UnhealthyHostsAlarm"]
    ((namespace, name, dims, _),) = _metric_queries(alarm)
    assert (namespace, name) == ("AWS/ApplicationELB", "UnHealthyHostCount")
    assert dims == {"TargetGroup": {"Ref": param}, "LoadBalancer": {"Ref": "AlbFullName"}}
    assert props(alarm)["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props(alarm)["Threshold"] == 1


def test_redis_alarm_watches_every_node_of_the_replication_group(env):
    nodes = [dims["CacheClusterId"] for _, _, dims, _ in _metric_queries(_alarms(env)["RedisMemoryAlarm"])]
    expected = [f"${{RedisReplicationGroupId}}-{i:03d}" for i in range(1, config.get(env).cache.replicas + 2)]
    assert nodes == [{"Fn::Sub": node} for node in expected]


@pytest.mark.parametrize("dlq", ["AgentRunsDlq", "NotificationsDlq"])
def test_dlq_alarm_reads_the_dlq(env, dlq):
    ((namespace, _, dims, _),) = _metric_queries(_alarms(env)[f"{dlq}Alarm"])
    assert (namespace, dims) == ("AWS/SQS", {"QueueName": {"Ref": f"{dlq}Name"}})


# --- dashboard ----------------------------------------------------------------------------------


def _dashboard(env):
    return props(one(_tmpl(env), "AWS::CloudWatch::Dashboard"))


def _body(env):
    return _dashboard(env)["DashboardBody"]["Fn::Sub"]


def _graphed(env):
    """(namespace, metric, dimension values) of every graphed metric line."""
    lines = []
    for w in json.loads(_body(env))["widgets"]:
        for line in w["properties"].get("metrics", []):
            fields = [f for f in line if not isinstance(f, dict)]
            lines.append((fields[0], fields[1], tuple(fields[3::2])))
    return lines


def test_dashboard_is_named_as_the_spec(env):
    assert _dashboard(env)["DashboardName"] == f"hana-{env}-overview"


def test_dashboard_body_is_deterministic_json_whose_placeholders_all_resolve(env):
    body = _body(env)
    assert json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")) == body
    params = set(_tmpl(env)["Parameters"])
    for placeholder in re.findall(r"\$\{([^}]*)\}", body):
        assert placeholder in params or placeholder.startswith("AWS::"), placeholder


@pytest.mark.parametrize(
    ("namespace", "metric", "dimension_values"),
    [
        *[
            pytest.param("AWS/ECS", m, ("${ClusterName}", f"${{{p}}}"), id=f"ecs-{m}-{p}")
            for m in ("CPUUtilization", "MemoryUtilization")
            for p in ("ApiServiceName", "WsServiceName", "WorkersServiceName")
        ],
        pytest.param("AWS/ApplicationELB", "RequestCount", ("${AlbFullName}",), id="alb-requests"),
        pytest.param("AWS/ApplicationELB", "TargetResponseTime", ("${AlbFullName}",), id="alb-response-time"),
        pytest.param("AWS/RDS", "CPUUtilization", ("${DbInstanceIdentifier}",), id="rds-cpu"),
        pytest.param("AWS/RDS", "DatabaseConnections", ("${DbInstanceIdentifier}",), id="rds-connections"),
        pytest.param("AWS/SQS", "ApproximateNumberOfMessagesVisible", ("${AgentRunsQueueName}",), id="queue-depth"),
        pytest.param("AWS/SQS", "ApproximateNumberOfMessagesVisible", ("${AgentRunsDlqName}",), id="dlq-depth"),
        pytest.param(
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", ("${NotificationsDlqName}",), id="notifications-dlq-depth"
        ),
    ],
)
def test_dashboard_graphs_every_metric_the_spec_lists(env, namespace, metric, dimension_values):
    assert (namespace, metric, dimension_values) in _graphed(env)


def test_dashboard_graphs_the_waf_acl_by_its_name(env):
    waf = {m for ns, m, d in _graphed(env) if ns == "AWS/WAFV2" and d == (f"hana-{env}-waf", "${AWS::Region}", "ALL")}
    assert waf == {"AllowedRequests", "BlockedRequests", "CountedRequests"}


def test_dashboard_graphs_redis_memory_of_every_node(env):
    nodes = {d for ns, m, d in _graphed(env) if (ns, m) == ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage")}
    replicas = config.get(env).cache.replicas
    assert nodes == {(f"${{RedisReplicationGroupId}}-{i:03d}",) for i in range(1, replicas + 2)}


def test_dashboard_has_a_recent_errors_query_over_the_three_service_log_groups(env):
    (logs,) = [w for w in json.loads(_body(env))["widgets"] if w["type"] == "log"]
    query = logs["properties"]["query"]
    sources = re.findall(r"SOURCE '([^']+)'", query)
    assert sources == [f"/ecs/hana-{env}/{s}" for s in ("api", "ws", "workers")]
    assert "filter" in query and "error" in query.lower()


def test_dashboard_alarm_widget_lists_every_alarm(env):
    (widget,) = [w for w in json.loads(_body(env))["widgets"] if w["type"] == "alarm"]
    shown = {arn.rsplit(":alarm:", 1)[1] for arn in widget["properties"]["alarms"]}
    assert shown == {props(a)["AlarmName"] for a in _alarms(env).values()}


def test_dashboard_widgets_fit_the_24_column_grid_without_overlap(env):
    cells = set()
    for w in json.loads(_body(env))["widgets"]:
        assert w["x"] >= 0 and w["x"] + w["width"] <= 24
        area = {(x, y) for x in range(w["x"], w["x"] + w["width"]) for y in range(w["y"], w["y"] + w["height"])}
        assert not cells & area, w["properties"].get("title")
        cells |= area


def test_outputs(env):
    outputs = _tmpl(env)["Outputs"]
    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}
    assert outputs["DashboardName"]["Value"] == {"Ref": "Dashboard"}
