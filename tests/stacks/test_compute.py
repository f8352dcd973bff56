"""compute: the cluster, the ALB with the spec's routing table, and the three Fargate services."""

import json

import pytest

from hana_templates import compute, config, iam
from hana_templates.errors import TemplateLimitError
from tests import tmpl
from tests.tmpl import one, props, resources


def template(env: str) -> dict:
    return tmpl.template(env, "compute")


SERVICES = ("api", "ws", "workers")
TITLES = {"api": "Api", "ws": "Ws", "workers": "Workers"}
# The spec's routing table: path pattern -> (service, container port).
SPEC_ROUTES = {
    "/api/*": ("api", 3000),
    "/health": ("api", 3000),
    "/v1/*": ("api", 3000),
    "/ws/*": ("ws", 3001),
    "/socket.io/*": ("ws", 3001),
}
# The contract (CONTRACTS.md, iam section): which secrets each service receives.
SECRET_SOURCES = {
    "ANTHROPIC_API_KEY": ("AnthropicApiKeySecretArn", "api_key"),
    "OPENAI_API_KEY": ("OpenaiApiKeySecretArn", "api_key"),
    "ELEVENLABS_API_KEY": ("ElevenlabsApiKeySecretArn", "api_key"),
    "DB_PASSWORD": ("RdsMasterSecretArn", "password"),
    "REDIS_AUTH_TOKEN": ("RedisAuthSecretArn", "token"),
    "JWT_SECRET": ("JwtSecretArn", "secret"),
    "GATEWAY_TOKEN": ("GatewayTokenSecretArn", "token"),
}
EXPECTED_SECRETS = {
    "api": set(SECRET_SOURCES),
    "ws": {"DB_PASSWORD", "REDIS_AUTH_TOKEN", "JWT_SECRET", "GATEWAY_TOKEN"},
    "workers": {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "ELEVENLABS_API_KEY", "DB_PASSWORD", "REDIS_AUTH_TOKEN"},
}
# What the spec's task sizes are (dev as deployed, prod as recommended): (CPU units, MiB).
SPEC_TASK_SIZE = {"dev": (512, 1024), "prod": (1024, 2048)}
SPEC_LOG_RETENTION = {"dev": 7, "prod": 30}


def _res(env, logical_id):
    return template(env)["Resources"][logical_id]


def _services(env) -> dict[str, dict]:
    return {props(s)["ServiceName"]: s for s in resources(template(env), "AWS::ECS::Service").values()}


def _service(env, svc) -> dict:
    return _services(env)[f"hana-{env}-{svc}"]


def _task(env, svc) -> dict:
    return _res(env, props(_service(env, svc))["TaskDefinition"]["Ref"])


def _container(env, svc) -> dict:
    (container,) = props(_task(env, svc))["ContainerDefinitions"]
    return container


def _listeners(env) -> dict[int, dict]:
    return {
        props(lst)["Port"]: lst for lst in resources(template(env), "AWS::ElasticLoadBalancingV2::Listener").values()
    }


def _serving_listener_id(env) -> str:
    want = 443 if config.get(env).https else 80
    return next(
        k
        for k, v in resources(template(env), "AWS::ElasticLoadBalancingV2::Listener").items()
        if props(v)["Port"] == want
    )


def _alb_attributes(env) -> dict[str, object]:
    alb = one(template(env), "AWS::ElasticLoadBalancingV2::LoadBalancer")
    return {a["Key"]: a["Value"] for a in props(alb)["LoadBalancerAttributes"]}


def _tg_attributes(tg) -> dict[str, str]:
    return {a["Key"]: a["Value"] for a in props(tg).get("TargetGroupAttributes", [])}


# --- cluster ----------------------------------------------------------------------------------


def test_cluster_is_named_for_the_environment_with_container_insights(env):
    cluster = props(one(template(env), "AWS::ECS::Cluster"))
    assert cluster["ClusterName"] == f"hana-{env}"
    assert {"Name": "containerInsights", "Value": "enabled"} in cluster["ClusterSettings"]


def test_cluster_has_fargate_and_spot_with_fargate_as_default(env):
    assoc = props(one(template(env), "AWS::ECS::ClusterCapacityProviderAssociations"))
    assert assoc["Cluster"] == {"Ref": "Cluster"}
    assert sorted(assoc["CapacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert [s["CapacityProvider"] for s in assoc["DefaultCapacityProviderStrategy"]] == ["FARGATE"]


# --- load balancer ----------------------------------------------------------------------------


def test_alb_is_internet_facing_in_the_public_subnets_behind_the_alb_sg(env):
    alb = props(one(template(env), "AWS::ElasticLoadBalancingV2::LoadBalancer"))
    assert alb["Name"] == f"hana-{env}-alb"
    assert alb["Scheme"] == "internet-facing"
    assert alb["Type"] == "application"
    assert alb["Subnets"] == {"Ref": "PublicSubnetIds"}
    assert alb["SecurityGroups"] == [{"Ref": "AlbSecurityGroupId"}]


def test_alb_drops_invalid_headers_and_mitigates_desync(env):
    attrs = _alb_attributes(env)
    assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attrs["routing.http.desync_mitigation_mode"] in ("defensive", "strictest")
    assert attrs["routing.http2.enabled"] == "true"


def test_alb_idle_timeout_keeps_quiet_websockets_open(env):
    # The ALB default (60 s) cuts a WebSocket that is silent for a minute; 4000 s is the ALB maximum.
    assert 3600 <= int(_alb_attributes(env)["idle_timeout.timeout_seconds"]) <= 4000


def test_alb_writes_access_logs_to_the_logs_bucket(env):
    attrs = _alb_attributes(env)
    assert attrs["access_logs.s3.enabled"] == "true"
    assert attrs["access_logs.s3.bucket"] == {"Ref": "LogsBucketName"}
    assert attrs["access_logs.s3.prefix"] == "alb"


def test_alb_deletion_protection_follows_config_and_is_on_in_prod(env):
    expected = config.get(env).alb_deletion_protection
    assert _alb_attributes(env)["deletion_protection.enabled"] == str(expected).lower()
    assert config.get("prod").alb_deletion_protection is True


def test_listeners_per_environment(env):
    listeners = _listeners(env)
    default_80 = props(listeners[80])["DefaultActions"]
    if config.get(env).https:
        assert sorted(listeners) == [80, 443]
        assert props(listeners[80])["Protocol"] == "HTTP"
        assert default_80 == [
            {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
        ]
        https = props(listeners[443])
        assert https["Protocol"] == "HTTPS"
        assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        assert https["Certificates"] == [{"CertificateArn": {"Ref": "Certificate"}}]
        serving_default = https["DefaultActions"]
    else:
        assert sorted(listeners) == [80]
        assert props(listeners[80])["Protocol"] == "HTTP"
        assert not resources(template(env), "AWS::CertificateManager::Certificate")
        serving_default = default_80
    # Anything the routing table does not match gets a 404 from the ALB itself.
    assert [a["Type"] for a in serving_default] == ["fixed-response"]
    assert serving_default[0]["FixedResponseConfig"]["StatusCode"] == "404"


def test_https_certificate_is_dns_validated_in_the_domains_zone_and_the_domain_points_at_the_alb(env):
    cfg = config.get(env)
    if not cfg.https:
        assert not resources(template(env), "AWS::Route53::RecordSet")
        return
    cert = props(one(template(env), "AWS::CertificateManager::Certificate"))
    assert cert["DomainName"] == cfg.domain.name
    assert cert["ValidationMethod"] == "DNS"
    assert cert["DomainValidationOptions"] == [
        {"DomainName": cfg.domain.name, "HostedZoneId": cfg.domain.hosted_zone_id}
    ]
    record = props(one(template(env), "AWS::Route53::RecordSet"))
    assert (record["Name"], record["Type"], record["HostedZoneId"]) == (cfg.domain.name, "A", cfg.domain.hosted_zone_id)
    assert record["AliasTarget"]["DNSName"] == {"Fn::GetAtt": ["Alb", "DNSName"]}
    assert record["AliasTarget"]["HostedZoneId"] == {"Fn::GetAtt": ["Alb", "CanonicalHostedZoneID"]}


# --- routing ----------------------------------------------------------------------------------


def test_routing_table_is_exactly_the_specs(env):
    tmpl = template(env)
    routed = {}
    for rule in resources(tmpl, "AWS::ElasticLoadBalancingV2::ListenerRule").values():
        (action,) = props(rule)["Actions"]
        assert action["Type"] == "forward"
        tg_id = action["TargetGroupArn"]["Ref"]
        tg = tmpl["Resources"][tg_id]
        service = next(
            name
            for name, s in _services(env).items()
            if s["Properties"].get("LoadBalancers", [{}])[0].get("TargetGroupArn") == {"Ref": tg_id}
        )
        for cond in props(rule)["Conditions"]:
            assert cond["Field"] == "path-pattern"
            for path in cond["PathPatternConfig"]["Values"]:
                assert path not in routed, f"{path} routed twice"
                routed[path] = (service.removeprefix(f"hana-{env}-"), props(tg)["Port"])
    assert routed == SPEC_ROUTES


def test_rules_sit_on_the_serving_listener_with_distinct_priorities(env):
    rules = resources(template(env), "AWS::ElasticLoadBalancingV2::ListenerRule").values()
    assert {props(r)["ListenerArn"]["Ref"] for r in rules} == {_serving_listener_id(env)}
    priorities = [props(r)["Priority"] for r in rules]
    assert len(set(priorities)) == len(priorities)


def test_every_rule_respects_the_alb_limit_of_five_condition_values(env):
    for rule in resources(template(env), "AWS::ElasticLoadBalancingV2::ListenerRule").values():
        values = [v for c in props(rule)["Conditions"] for v in c["PathPatternConfig"]["Values"]]
        assert len(values) <= 5
        assert sum(v.count("*") + v.count("?") for v in values) <= 5


def test_a_route_with_too_many_paths_is_refused(monkeypatch):
    monkeypatch.setitem(compute.ROUTES, "api", (10, tuple(f"/p{i}/*" for i in range(6))))
    with pytest.raises(TemplateLimitError, match="at most 5 values"):
        compute.build(config.get("dev"))


@pytest.mark.parametrize("svc", ["api", "ws"])
def test_target_groups_register_task_ips_on_the_service_port_with_health_checks(env, svc):
    cfg_svc = config.get(env).service(svc)
    tg = props(_res(env, f"{TITLES[svc]}TargetGroup"))
    assert tg["TargetType"] == "ip"
    assert tg["Port"] == {"api": 3000, "ws": 3001}[svc] == cfg_svc.port
    assert tg["Protocol"] == "HTTP"
    assert tg["VpcId"] == {"Ref": "VpcId"}
    assert tg["HealthCheckEnabled"] is True
    assert tg["HealthCheckPath"] == cfg_svc.health_check_path
    if svc == "api":
        assert tg["HealthCheckPath"] == "/health"
    # Draining long enough for in-flight work, short enough for deploys (ALB default is 300 s).
    assert (
        0 < int(_tg_attributes(_res(env, f"{TITLES[svc]}TargetGroup"))["deregistration_delay.timeout_seconds"]) <= 300
    )


def test_ws_target_group_is_sticky_for_socket_io_and_api_is_not(env):
    ws = _tg_attributes(_res(env, "WsTargetGroup"))
    assert ws["stickiness.enabled"] == "true"
    assert ws["stickiness.type"] == "lb_cookie"
    assert int(ws["stickiness.lb_cookie.duration_seconds"]) > 0
    assert _tg_attributes(_res(env, "ApiTargetGroup")).get("stickiness.enabled", "false") == "false"


# --- services ---------------------------------------------------------------------------------


def test_three_services_named_as_the_spec_with_containers_named_after_them(env):
    assert sorted(_services(env)) == sorted(f"hana-{env}-{s}" for s in SERVICES)
    for svc in SERVICES:
        assert _container(env, svc)["Name"] == svc
        assert props(_task(env, svc))["Family"] == f"hana-{env}-{svc}"


def test_api_and_ws_sit_behind_their_target_groups_and_workers_behind_none(env):
    for svc in ("api", "ws"):
        service = props(_service(env, svc))
        assert service["LoadBalancers"] == [
            {
                "ContainerName": svc,
                "ContainerPort": {"api": 3000, "ws": 3001}[svc],
                "TargetGroupArn": {"Ref": f"{TITLES[svc]}TargetGroup"},
            }
        ]
        assert service["HealthCheckGracePeriodSeconds"] > 0
        # the target group must be attached to the ALB before the service registers tasks in it
        assert f"{TITLES[svc]}ListenerRule" in _service(env, svc)["DependsOn"]
    workers = props(_service(env, "workers"))
    assert "LoadBalancers" not in workers
    assert "HealthCheckGracePeriodSeconds" not in workers


@pytest.mark.parametrize("svc", SERVICES)
def test_services_run_in_private_subnets_without_public_ip_behind_the_ecs_sg(env, svc):
    vpc = props(_service(env, svc))["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert vpc == {
        "AssignPublicIp": "DISABLED",
        "Subnets": {"Ref": "PrivateSubnetIds"},
        "SecurityGroups": [{"Ref": "EcsSecurityGroupId"}],
    }
    assert props(_task(env, svc))["NetworkMode"] == "awsvpc"
    assert props(_task(env, svc))["RequiresCompatibilities"] == ["FARGATE"]


@pytest.mark.parametrize("svc", SERVICES)
def test_services_have_exec_circuit_breaker_rollback_and_propagated_tags(env, svc):
    service = _service(env, svc)
    p = props(service)
    # ECS Exec needs a writable root filesystem (compute._container): on where config keeps it (dev).
    assert p["EnableExecuteCommand"] is config.get(env).ecs_exec
    assert p["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert p["PropagateTags"] == "SERVICE"
    assert p["EnableECSManagedTags"] is True
    assert p["Cluster"] == {"Ref": "Cluster"}
    assert "ClusterCapacityProviders" in service["DependsOn"]


@pytest.mark.parametrize("svc", SERVICES)
def test_desired_count_is_a_deploy_parameter_defaulting_to_zero(env, svc):
    param = f"{TITLES[svc]}DesiredCount"
    assert props(_service(env, svc))["DesiredCount"] == {"Ref": param}
    declared = template(env)["Parameters"][param]
    assert (declared["Type"], declared["Default"]) == ("Number", "0")


@pytest.mark.parametrize("svc", SERVICES)
def test_task_size_per_environment(env, svc):
    cpu, memory = SPEC_TASK_SIZE[env]
    task = props(_task(env, svc))
    assert (task["Cpu"], task["Memory"]) == (str(cpu), str(memory))


@pytest.mark.parametrize("svc", SERVICES)
def test_task_roles_per_service_and_the_shared_execution_role(env, svc):
    task = props(_task(env, svc))
    assert task["ExecutionRoleArn"] == {"Ref": "TaskExecutionRoleArn"}
    assert task["TaskRoleArn"] == {"Ref": f"{TITLES[svc]}TaskRoleArn"}


@pytest.mark.parametrize("svc", SERVICES)
def test_container_runs_the_image_tag_unprivileged(env, svc):
    c = _container(env, svc)
    assert c["Image"] == {"Fn::Sub": "${EcrRepositoryUri}:${ImageTag}"}
    assert template(env)["Parameters"]["ImageTag"]["Type"] == "String"
    assert c["Privileged"] is False
    assert c["Essential"] is True
    port = config.get(env).service(svc).port
    if port is None:
        assert "PortMappings" not in c
    else:
        assert [m["ContainerPort"] for m in c["PortMappings"]] == [port]


@pytest.mark.parametrize("svc", SERVICES)
def test_logs_go_to_the_services_log_group_with_the_specs_retention(env, svc):
    options = _container(env, svc)["LogConfiguration"]
    assert options["LogDriver"] == "awslogs"
    group = _res(env, options["Options"]["awslogs-group"]["Ref"])
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert props(group)["LogGroupName"] == f"/ecs/hana-{env}/{svc}"
    assert props(group)["RetentionInDays"] == SPEC_LOG_RETENTION[env] == config.get(env).log_retention_days
    assert props(group)["KmsKeyId"] == {"Fn::GetAtt": ["ServiceLogsKey", "Arn"]}
    assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")


def test_log_key_rotates_and_logs_may_use_it_only_for_the_service_log_groups(env):
    key = _res(env, "ServiceLogsKey")
    assert props(key)["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "RetainExceptOnCreate"
    (logs_stmt,) = [s for s in props(key)["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    assert logs_stmt["Principal"]["Service"] == {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}
    context = logs_stmt["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert sorted(c["Fn::Sub"].rpartition(":log-group:")[2] for c in context) == sorted(
        f"/ecs/hana-{env}/{svc}" for svc in SERVICES
    )


# --- configuration and secrets ----------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_environment_variables_the_app_needs(env, svc):
    cfg = config.get(env)
    environment = {e["Name"]: e["Value"] for e in _container(env, svc)["Environment"]}
    expected = {
        "NODE_ENV": "production",
        "HANA_SERVICE": svc,
        "DB_HOST": {"Ref": "DbEndpointAddress"},
        "DB_PORT": {"Ref": "DbEndpointPort"},
        "DB_USERNAME": cfg.database.master_username,
        "DB_NAME": {"Ref": "DbName"},
        "REDIS_HOST": {"Ref": "RedisPrimaryEndpointAddress"},
        "REDIS_PORT": {"Ref": "RedisPrimaryEndpointPort"},
        "REDIS_TLS": "true",
        "AGENT_RUNS_QUEUE_URL": {"Ref": "AgentRunsQueueUrl"},
        "NOTIFICATIONS_QUEUE_URL": {"Ref": "NotificationsQueueUrl"},
        "MEDIA_BUCKET": {"Ref": "MediaBucketName"},
        "AWS_REGION": {"Ref": "AWS::Region"},
    }
    assert {k: environment.get(k) for k in expected} == expected
    port = cfg.service(svc).port
    assert environment.get("PORT") == (None if port is None else str(port))


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_gets_exactly_its_secrets_from_secrets_manager(env, svc):
    secrets = {s["Name"]: s["ValueFrom"] for s in _container(env, svc)["Secrets"]}
    assert set(secrets) == EXPECTED_SECRETS[svc]
    for name, value_from in secrets.items():
        arn_param, json_key = SECRET_SOURCES[name]
        # <secret ARN>:<json key>:<version stage>:<version id>, stage and id empty = AWSCURRENT
        assert value_from == {"Fn::Sub": f"${{{arn_param}}}:{json_key}::"}


@pytest.mark.parametrize("svc", SERVICES)
def test_no_secret_travels_as_a_plain_environment_variable(env, svc):
    c = _container(env, svc)
    names = {e["Name"] for e in c["Environment"]}
    assert not names & set(SECRET_SOURCES)
    assert not any(w in n for n in names for w in ("PASSWORD", "SECRET", "TOKEN", "API_KEY"))
    assert "resolve:secretsmanager" not in str(c["Environment"])
    assert not any("SecretArn" in str(e["Value"]) for e in c["Environment"])


def _secret_shapes(env) -> dict[str, tuple[str, set[str]]]:
    """secrets stack output -> (secret key such as `rds-master`, JSON keys the secret holds)."""
    secrets = tmpl.template(env, "secrets")
    shapes = {}
    for output, spec in secrets["Outputs"].items():
        if "Ref" not in spec["Value"]:
            continue  # the KMS key's ARN
        p = props(secrets["Resources"][spec["Value"]["Ref"]])
        if "SecretString" in p:
            fields = set(json.loads(p["SecretString"]))
        else:
            gen = p["GenerateSecretString"]
            fields = set(json.loads(gen["SecretStringTemplate"])) | {gen["GenerateStringKey"]}
        shapes[output] = (p["Name"].rpartition("/")[2], fields)
    return shapes


@pytest.mark.parametrize("svc", SERVICES)
def test_injected_secrets_match_what_iam_grants_and_what_the_secrets_hold(env, svc):
    shapes = _secret_shapes(env)
    injected = {}
    for s in _container(env, svc)["Secrets"]:
        arn, json_key, stage, version = s["ValueFrom"]["Fn::Sub"].split(":")
        key, fields = shapes[arn.removeprefix("${").removesuffix("}")]
        assert json_key in fields, f"{s['Name']}: {key} holds {sorted(fields)}, not {json_key!r}"
        assert (stage, version) == ("", "")
        injected[s["Name"]] = key
    # the task execution role may read exactly the union of these, each service only its own
    assert sorted(injected.values()) == sorted(iam.secrets_of(svc))


# --- autoscaling ------------------------------------------------------------------------------


def test_autoscaling_only_where_config_enables_it_with_its_bounds(env):
    cfg = config.get(env)
    targets = {
        props(t)["ResourceId"]["Fn::Sub"]: props(t)
        for t in resources(template(env), "AWS::ApplicationAutoScaling::ScalableTarget").values()
    }
    if env == "dev":
        assert targets == {}
        assert not resources(template(env), "AWS::ApplicationAutoScaling::ScalingPolicy")
        return
    assert sorted(targets) == sorted(f"service/${{Cluster}}/${{{TITLES[s]}Service.Name}}" for s in SERVICES)
    for svc in SERVICES:
        t = targets[f"service/${{Cluster}}/${{{TITLES[svc]}Service.Name}}"]
        assert (
            (t["MinCapacity"], t["MaxCapacity"]) == (cfg.service(svc).min_tasks, cfg.service(svc).max_tasks) == (2, 4)
        )
        assert (t["ServiceNamespace"], t["ScalableDimension"]) == ("ecs", "ecs:service:DesiredCount")


def _policy(env, svc) -> dict:
    return props(_res(env, f"{TITLES[svc]}ScalingPolicy"))["TargetTrackingScalingPolicyConfiguration"]


@pytest.mark.parametrize("svc", ["api", "ws"])
def test_prod_api_and_ws_track_average_cpu(svc):
    policy = _policy("prod", svc)
    assert policy["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    # below the 80 % CPU alarm, so scaling acts before the alarm fires
    assert 0 < policy["TargetValue"] < config.get("prod").alarms.api_cpu_percent


def test_prod_workers_track_agent_runs_waiting_and_in_flight_per_running_task():
    """Runs being worked on count too: with only the visible messages the metric reads 0 while every
    worker is busy, and target tracking would scale in mid-run."""
    metrics = {m["Id"]: m for m in _policy("prod", "workers")["CustomizedMetricSpecification"]["Metrics"]}
    stats = {i: m["MetricStat"]["Metric"] for i, m in metrics.items() if "MetricStat" in m}
    by_name = {m["MetricName"]: i for i, m in stats.items()}
    assert set(by_name) == {
        "ApproximateNumberOfMessagesVisible",
        "ApproximateNumberOfMessagesNotVisible",
        "RunningTaskCount",
    }
    for name in ("ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible"):
        assert stats[by_name[name]]["Dimensions"] == [{"Name": "QueueName", "Value": {"Ref": "AgentRunsQueueName"}}]
        assert metrics[by_name[name]]["MetricStat"]["Stat"] == "Sum"
    (result,) = [m for m in metrics.values() if m.get("ReturnData")]
    visible, inflight, running = (
        by_name[n]
        for n in ("ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible", "RunningTaskCount")
    )
    assert result["Expression"] == f"({visible} + {inflight}) / {running}"
    assert _policy("prod", "workers")["TargetValue"] > 0


FARGATE_MAX_STOP_TIMEOUT_S = 120


def test_worker_timeouts_agree_with_each_other(env):
    """The worker contract (compute docstring): protection never lapses before the message's
    visibility, both are renewed well before they lapse, a stopping worker releases its message
    within the stop timeout, and the spec's 3 receives go to the DLQ."""
    cfg = config.get(env)
    t = compute.worker_timeouts(cfg)
    queue = props(tmpl.template(env, "messaging")["Resources"]["AgentRunsQueue"])
    assert t["visibility_timeout_s"] == queue["VisibilityTimeout"] == 900
    assert t["max_receive_count"] == queue["RedrivePolicy"]["maxReceiveCount"] == 3  # the spec
    assert t["protection_minutes"] * 60 >= t["visibility_timeout_s"]
    assert 1 <= t["protection_minutes"] <= 2880  # the ECS API's range
    assert t["visibility_extend_s"] * 2 <= t["visibility_timeout_s"]  # a missed renewal is survivable
    (container,) = props(_task(env, "workers"))["ContainerDefinitions"]
    assert container["StopTimeout"] == t["stop_timeout_s"] <= FARGATE_MAX_STOP_TIMEOUT_S
    assert t["stop_timeout_s"] < t["visibility_timeout_s"]
    env_vars = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env_vars["AGENT_RUN_VISIBILITY_TIMEOUT_S"] == str(t["visibility_timeout_s"])
    assert env_vars["VISIBILITY_EXTEND_S"] == str(t["visibility_extend_s"])
    assert env_vars["TASK_PROTECTION_MINUTES"] == str(t["protection_minutes"])


@pytest.mark.parametrize("svc", SERVICES)
def test_containers_run_non_root_with_a_memory_hard_limit_and_writable_tmp(env, svc):
    cfg = config.get(env)
    task = props(_task(env, svc))
    (container,) = task["ContainerDefinitions"]
    assert container["User"] == cfg.container_user and not container["User"].startswith("0")
    assert container["Memory"] == int(task["Memory"])  # hard limit: the task's memory, one container
    assert container["MountPoints"] == [{"SourceVolume": "tmp", "ContainerPath": "/tmp", "ReadOnly": False}]
    assert task["Volumes"] == [{"Name": "tmp"}]
    assert {"Name": "TMPDIR", "Value": "/tmp"} in container["Environment"]


@pytest.mark.parametrize("svc", SERVICES)
def test_root_filesystem_is_read_only_exactly_where_ecs_exec_is_off(env, svc):
    """AWS does not support ECS Exec on a read-only root filesystem: dev keeps Exec (writable, with a
    cfn-guard suppression), prod drops Exec and runs read-only."""
    cfg = config.get(env)
    task = _task(env, svc)
    (container,) = props(task)["ContainerDefinitions"]
    assert container["ReadonlyRootFilesystem"] is (not cfg.ecs_exec)
    assert props(_service(env, svc))["EnableExecuteCommand"] is cfg.ecs_exec
    suppressed = task.get("Metadata", {}).get("guard", {}).get("SuppressedRules", [])
    assert ("ecs_containers_readonly_access_check" in suppressed) is cfg.ecs_exec
    assert cfg.ecs_exec is (env != "prod")


def test_alb_access_logs_are_really_on_where_cfn_guard_cannot_see_them(env):
    """The elbv2_logging_enabled_check suppression says the rule cannot see a bucket passed as a parameter."""
    alb = one(template(env), "AWS::ElasticLoadBalancingV2::LoadBalancer")
    attributes = {a["Key"]: a["Value"] for a in props(alb)["LoadBalancerAttributes"]}
    assert attributes["access_logs.s3.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == {"Ref": "LogsBucketName"}
    assert "elbv2_logging_enabled_check" in alb["Metadata"]["guard"]["SuppressedRules"]


# --- outputs ----------------------------------------------------------------------------------


def test_outputs_identify_the_alb_and_target_groups_for_cloudwatch(env):
    outputs = template(env)["Outputs"]
    assert outputs["AlbFullName"]["Value"] == {"Fn::GetAtt": ["Alb", "LoadBalancerFullName"]}
    assert outputs["ApiTargetGroupFullName"]["Value"] == {"Fn::GetAtt": ["ApiTargetGroup", "TargetGroupFullName"]}
    assert outputs["WsTargetGroupFullName"]["Value"] == {"Fn::GetAtt": ["WsTargetGroup", "TargetGroupFullName"]}
    assert sorted(outputs) == sorted(compute.SPEC.outputs)


def test_service_url_is_https_on_the_domain_or_http_on_the_alb(env):
    cfg = config.get(env)
    url = template(env)["Outputs"]["ServiceUrl"]["Value"]
    if cfg.https:
        assert url == f"https://{cfg.domain.name}"
    else:
        assert url == {"Fn::Sub": "http://${Alb.DNSName}"}
