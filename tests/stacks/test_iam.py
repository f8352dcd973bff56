"""iam: least privilege, stated exactly. Each role's allowed (action, resource) pairs are listed
here in full, so any added permission fails a test until someone writes it down with a reason."""

import json

import pytest

from hana_templates import config, iam, naming
from tests.tmpl import props, resources, template

# The only allowed actions on Resource "*", and why the API leaves no choice.
STAR_RESOURCE_ALLOWED = {
    "ecr:GetAuthorizationToken": "returns a registry-wide token; the action has no resource-level permissions",
    "ssmmessages:CreateControlChannel": "ECS Exec; ssmmessages defines no resource types",
    "ssmmessages:CreateDataChannel": "ECS Exec; ssmmessages defines no resource types",
    "ssmmessages:OpenControlChannel": "ECS Exec; ssmmessages defines no resource types",
    "ssmmessages:OpenDataChannel": "ECS Exec; ssmmessages defines no resource types",
}
ECS_EXEC_CHANNELS = {(action, "*") for action in STAR_RESOURCE_ALLOWED if action.startswith("ssmmessages:")}
LOG_GROUPS = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"


def ecs_exec(service: str, env: str) -> set:
    """ECS Exec: session channels, plus session logs into the service's own log group (cluster Logging
    DEFAULT); nothing where config turns ECS Exec off (prod: read-only root filesystem)."""
    if not config.get(env).ecs_exec:
        return set()
    own_group = f"{LOG_GROUPS}/ecs/hana-{env}/{service}:*"
    return {
        *ECS_EXEC_CHANNELS,
        ("logs:DescribeLogGroups", f"{LOG_GROUPS}*"),
        ("logs:CreateLogStream", own_group),
        ("logs:DescribeLogStreams", own_group),
        ("logs:PutLogEvents", own_group),
    }


# CONTRACTS.md: the secrets each service's containers get.
SECRETS_PER_SERVICE = {
    "api": {
        "AnthropicApiKeySecretArn",
        "OpenaiApiKeySecretArn",
        "ElevenlabsApiKeySecretArn",
        "RdsMasterSecretArn",
        "RedisAuthSecretArn",
        "JwtSecretArn",
        "GatewayTokenSecretArn",
    },
    "ws": {"RdsMasterSecretArn", "RedisAuthSecretArn", "JwtSecretArn", "GatewayTokenSecretArn"},
    "workers": {
        "AnthropicApiKeySecretArn",
        "OpenaiApiKeySecretArn",
        "ElevenlabsApiKeySecretArn",
        "RdsMasterSecretArn",
        "RedisAuthSecretArn",
    },
}

MEDIA = {
    ("s3:GetObject", "${MediaBucketArn}/*"),
    ("s3:PutObject", "${MediaBucketArn}/*"),
    ("s3:DeleteObject", "${MediaBucketArn}/*"),
    ("s3:ListBucket", "MediaBucketArn"),
    ("kms:GenerateDataKey", "StorageKmsKeyArn"),
    ("kms:Decrypt", "StorageKmsKeyArn"),
}

# Every Allow of each task role, as (action, resource). Resources: a parameter name, a Sub string, or "*".
TASK_ROLE_ALLOWS = {
    "ApiTaskRole": {
        ("sqs:SendMessage", "AgentRunsQueueArn"),
        ("sqs:GetQueueAttributes", "AgentRunsQueueArn"),
        ("sqs:SendMessage", "NotificationsQueueArn"),
        ("sqs:GetQueueAttributes", "NotificationsQueueArn"),
        ("kms:GenerateDataKey", "MessagingKmsKeyArn"),
        ("kms:Decrypt", "MessagingKmsKeyArn"),
        *MEDIA,
    },
    # ws: realtime fan-out through Redis pub/sub; DB and Redis passwords come from the execution role.
    "WsTaskRole": set(),
    "WorkersTaskRole": {
        ("sqs:ReceiveMessage", "AgentRunsQueueArn"),
        ("sqs:DeleteMessage", "AgentRunsQueueArn"),
        ("sqs:ChangeMessageVisibility", "AgentRunsQueueArn"),
        ("sqs:GetQueueAttributes", "AgentRunsQueueArn"),
        ("sqs:SendMessage", "NotificationsQueueArn"),
        ("kms:GenerateDataKey", "MessagingKmsKeyArn"),
        ("kms:Decrypt", "MessagingKmsKeyArn"),
        *MEDIA,
        # task scale-in protection of its own task (the worker contract), on the cluster's tasks
        ("ecs:UpdateTaskProtection", "TASKS"),
        ("ecs:GetTaskProtection", "TASKS"),
    },
}
TASKS = "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/hana-{env}/*"

ROLES = {
    # logical id: (name suffix, trusted service)
    "TaskExecutionRole": ("ecs-task-execution", "ecs-tasks.amazonaws.com"),
    "ApiTaskRole": ("api-task", "ecs-tasks.amazonaws.com"),
    "WsTaskRole": ("ws-task", "ecs-tasks.amazonaws.com"),
    "WorkersTaskRole": ("workers-task", "ecs-tasks.amazonaws.com"),
    "LambdaExecutionRole": ("lambda-exec", "lambda.amazonaws.com"),
    "RdsMonitoringRole": ("rds-monitoring", "monitoring.rds.amazonaws.com"),
}


def _tmpl(env):
    return template(env, "iam")


def _roles(env):
    return resources(_tmpl(env), "AWS::IAM::Role")


def _listify(value):
    return value if isinstance(value, list) else [value]


def _resource_key(resource):
    """A parameter Ref -> its name; a Sub -> its string; "*" stays "*"."""
    if isinstance(resource, dict) and "Ref" in resource:
        return resource["Ref"]
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        return resource["Fn::Sub"]
    return resource


def _statements(role, effect=None):
    for policy in props(role).get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            if effect is None or statement["Effect"] == effect:
                yield statement


def _allows(role):
    return {
        (action, _resource_key(resource))
        for s in _statements(role, "Allow")
        for action in _listify(s["Action"])
        for resource in _listify(s["Resource"])
    }


def test_the_six_roles_are_named_hana_env_purpose_and_trust_one_service_of_this_account(env):
    roles = _roles(env)
    assert sorted(roles) == sorted(ROLES)
    for logical_id, (suffix, service) in ROLES.items():
        role = props(roles[logical_id])
        assert role["RoleName"] == f"hana-{env}-{suffix}"
        assert len(role["RoleName"]) <= 64
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Effect"] == "Allow"
        assert trust["Principal"] == {"Service": service}, logical_id
        assert trust["Action"] == ["sts:AssumeRole"]
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Fn::Sub": "${AWS::AccountId}"}}}


def test_no_allow_grants_a_wildcard_action(env):
    for logical_id, role in _roles(env).items():
        for action, _ in _allows(role):
            assert "*" not in action, f"{logical_id}: {action}"


def test_star_resources_only_on_actions_that_have_no_resource_level_permissions(env):
    on_star = {a for role in _roles(env).values() for a, r in _allows(role) if r == "*"}
    expected = {a for a in STAR_RESOURCE_ALLOWED if config.get(env).ecs_exec or not a.startswith("ssmmessages:")}
    assert on_star == expected
    # and the module documents the same list with its reasons
    assert set(iam.WILDCARD_RESOURCE_ACTIONS) == set(STAR_RESOURCE_ALLOWED)


@pytest.mark.parametrize("logical_id", sorted(TASK_ROLE_ALLOWS))
def test_each_task_role_allows_exactly_what_its_service_does(env, logical_id):
    service = logical_id.removesuffix("TaskRole").lower()
    allows = {(a, TASKS.replace("{env}", env) if r == "TASKS" else r) for a, r in TASK_ROLE_ALLOWS[logical_id]}
    assert _allows(_roles(env)[logical_id]) == allows | ecs_exec(service, env)


@pytest.mark.parametrize("logical_id", sorted(TASK_ROLE_ALLOWS))
def test_every_task_role_explicitly_denies_iam(env, logical_id):
    denies = list(_statements(_roles(env)[logical_id], "Deny"))
    assert denies == [{"Sid": "DenyAllIam", "Effect": "Deny", "Action": ["iam:*"], "Resource": ["*"]}]


def test_execution_role_reads_exactly_the_union_of_the_services_secrets(env):
    role = _roles(env)["TaskExecutionRole"]
    union = set().union(*SECRETS_PER_SERVICE.values())
    read = {r for a, r in _allows(role) if a == "secretsmanager:GetSecretValue"}
    assert read == union
    assert {
        k: {naming.SECRET_ARN_OUTPUTS[s] for s in v} for k, v in naming.SERVICE_SECRETS.items()
    } == SECRETS_PER_SERVICE


def test_execution_role_pulls_logs_and_decrypts_nothing_else(env):
    role = _roles(env)["TaskExecutionRole"]
    log_groups = f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/ecs/hana-{env}/*"
    secrets = {("secretsmanager:GetSecretValue", s) for s in set().union(*SECRETS_PER_SERVICE.values())}
    assert _allows(role) == {
        ("ecr:GetAuthorizationToken", "*"),
        ("ecr:BatchCheckLayerAvailability", "EcrRepositoryArn"),
        ("ecr:GetDownloadUrlForLayer", "EcrRepositoryArn"),
        ("ecr:BatchGetImage", "EcrRepositoryArn"),
        ("logs:CreateLogStream", log_groups),
        ("logs:PutLogEvents", log_groups),
        ("kms:Decrypt", "SecretsKmsKeyArn"),
        *secrets,
    }


def test_kms_keys_are_usable_only_through_their_service(env):
    via = {"SecretsKmsKeyArn": "secretsmanager", "MessagingKmsKeyArn": "sqs", "StorageKmsKeyArn": "s3"}
    seen = set()
    for role in _roles(env).values():
        for s in _statements(role, "Allow"):
            if any(a.startswith("kms:") for a in _listify(s["Action"])):
                (key,) = (_resource_key(r) for r in s["Resource"])
                service = via[key]
                assert s["Condition"] == {
                    "StringEquals": {"kms:ViaService": {"Fn::Sub": f"{service}.${{AWS::Region}}.amazonaws.com"}}
                }
                seen.add(key)
    assert seen == set(via)


def test_lambda_role_only_writes_logs_of_the_platform_functions(env):
    log_groups = f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/hana-{env}-*"
    assert _allows(_roles(env)["LambdaExecutionRole"]) == {
        ("logs:CreateLogStream", log_groups),
        ("logs:PutLogEvents", log_groups),
    }


def test_rds_monitoring_role_has_only_the_aws_managed_policy(env):
    role = props(_roles(env)["RdsMonitoringRole"])
    assert "Policies" not in role
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"}
    ]


def test_no_arn_literals(env):
    assert "arn:aws:" not in json.dumps(_tmpl(env))


def test_outputs_are_the_role_arns(env):
    outputs = {k: v["Value"] for k, v in _tmpl(env)["Outputs"].items()}
    assert outputs == {
        "TaskExecutionRoleArn": {"Fn::GetAtt": ["TaskExecutionRole", "Arn"]},
        "ApiTaskRoleArn": {"Fn::GetAtt": ["ApiTaskRole", "Arn"]},
        "WsTaskRoleArn": {"Fn::GetAtt": ["WsTaskRole", "Arn"]},
        "WorkersTaskRoleArn": {"Fn::GetAtt": ["WorkersTaskRole", "Arn"]},
        "LambdaExecutionRoleArn": {"Fn::GetAtt": ["LambdaExecutionRole", "Arn"]},
        "RdsMonitoringRoleArn": {"Fn::GetAtt": ["RdsMonitoringRole", "Arn"]},
    }
