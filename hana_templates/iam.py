"""iam: the roles the platform's services run as, each with only what its service does.

- `hana-<env>-ecs-task-execution`: what ECS itself does before a container starts: pull the
  image from the `hana-<env>/api` repository, create the container's log stream under
  `/ecs/hana-<env>/`, and read the secrets it injects as environment variables (exactly the
  union of the secrets the three services use, `naming.SERVICE_SECRETS`) with their KMS key, through
  Secrets Manager only.
- `hana-<env>-api-task`, `-ws-task`, `-workers-task`: what the application code does with its
  AWS credentials.
    api:     sends agent runs and notifications; reads and writes media.
    workers: receives, extends and deletes agent runs; sends notifications; reads and writes media;
             protects and unprotects its task against scale-in while it holds a run (the tasks
             of this environment's cluster: IAM has no "this task only" condition).
    ws:      nothing beyond ECS Exec. It fans events out over socket.io through Redis pub/sub;
             Postgres and Redis authenticate with the passwords the execution role injects, not
             with IAM; clients get media from the API, and ws queues nothing.
  Every task role also allows ECS Exec (the spec's "Option 3" debugging shell) where config
  `ecs_exec` is on (not prod), and explicitly denies every IAM action, so no future grant can turn a task into an IAM administrator.
- `hana-<env>-lambda-exec`: the Lambda execution role the spec names ("IAM roles for ECS,
  Lambda"): the shared role for the platform's own small functions named `hana-<env>-*` (for
  example operational hooks). No function exists yet, so it grants only writing their logs to
  `/aws/lambda/hana-<env>-*`; a function that needs more gets its own role. It deliberately has no
  logs:CreateLogGroup: a function's stack creates its log group with an explicit retention.
- `hana-<env>-rds-monitoring`: lets RDS publish enhanced-monitoring OS metrics (the AWS managed
  AmazonRDSEnhancedMonitoringRole policy), used by the database stack in every environment.

Every trust policy names one AWS service and requires this account as the source
(`aws:SourceAccount`), against the confused-deputy problem. Every document is awacs with
`${AWS::Partition}` ARNs. The only `"*"` resources are on the actions that have no resource-level
permissions (`WILDCARD_RESOURCE_ACTIONS`, with the reason each) and in the IAM deny.

Consumes: storage (repository, media bucket, storage key), secrets (the seven secret ARNs and
their key), messaging (the two queues and their key). Outputs: the six role ARNs.
"""

from __future__ import annotations

from awacs import aws, ecr, ecs, logs, s3, secretsmanager, sqs, ssmmessages
from awacs import iam as iam_actions
from awacs import kms as kms_actions
from troposphere import GetAtt, Sub, Template, iam

from . import naming
from .config import EnvConfig
from .policies import assume_role_policy
from .spec import From, Stack, StackSpec

# The only actions allowed on Resource "*", each because the API has no resource-level permissions.
WILDCARD_RESOURCE_ACTIONS = {
    "ecr:GetAuthorizationToken": "returns a registry-wide login token; the action takes no resource",
    "ssmmessages:CreateControlChannel": "ECS Exec session channels; ssmmessages has no resource types",
    "ssmmessages:CreateDataChannel": "ECS Exec session channels; ssmmessages has no resource types",
    "ssmmessages:OpenControlChannel": "ECS Exec session channels; ssmmessages has no resource types",
    "ssmmessages:OpenDataChannel": "ECS Exec session channels; ssmmessages has no resource types",
}

SPEC = StackSpec(
    name="iam",
    description="IAM roles for ECS (task execution, one task role per service), Lambda and RDS monitoring",
    inputs=(
        From("storage", "EcrRepositoryArn"),
        From("storage", "MediaBucketArn"),
        From("storage", "StorageKmsKeyArn"),
        *(From("secrets", output) for output in naming.SECRET_ARN_OUTPUTS.values()),
        From("secrets", "SecretsKmsKeyArn"),
        From("messaging", "AgentRunsQueueArn"),
        From("messaging", "NotificationsQueueArn"),
        From("messaging", "MessagingKmsKeyArn"),
    ),
    outputs=(
        "TaskExecutionRoleArn",
        "ApiTaskRoleArn",
        "WsTaskRoleArn",
        "WorkersTaskRoleArn",
        "LambdaExecutionRoleArn",
        "RdsMonitoringRoleArn",
    ),
)

_VERSION = "2012-10-17"


def build(cfg: EnvConfig) -> Template:
    stack = Stack(cfg, SPEC)

    execution = stack.add(
        _role(
            cfg,
            "TaskExecutionRole",
            "ecs-task-execution",
            "ecs-tasks",
            "ECS agent: pull the image, write container logs, inject the services' secrets",
            policies={
                "pull-image": _pull_image(stack),
                "write-logs": _write_logs(cfg, f"/ecs/{naming.prefix(cfg)}/*"),
                "inject-secrets": _inject_secrets(stack),
            },
        )
    )

    task_roles = {
        "api": {
            "queues": _document(
                _sqs(stack, "AgentRunsQueueArn", sqs.SendMessage, sqs.GetQueueAttributes, sid="SendAgentRuns"),
                _sqs(stack, "NotificationsQueueArn", sqs.SendMessage, sqs.GetQueueAttributes, sid="SendNotifications"),
                _queue_key(stack),
            ),
            "media": _media(stack),
        },
        "ws": {},
        "workers": {
            "queues": _document(
                _sqs(
                    stack,
                    "AgentRunsQueueArn",
                    sqs.ReceiveMessage,
                    sqs.DeleteMessage,
                    sqs.ChangeMessageVisibility,
                    sqs.GetQueueAttributes,
                    sid="ConsumeAgentRuns",
                ),
                _sqs(stack, "NotificationsQueueArn", sqs.SendMessage, sid="SendNotifications"),
                _queue_key(stack),
            ),
            "media": _media(stack),
            "task-protection": _task_protection(cfg),
        },
    }
    task_role_refs = {}
    for service, policies in task_roles.items():
        role = stack.add(
            _role(
                cfg,
                f"{service.title()}TaskRole",
                f"{service}-task",
                "ecs-tasks",
                f"what the {service} containers may do with AWS",
                policies={
                    **policies,
                    **({"ecs-exec": _ecs_exec(cfg, service)} if cfg.ecs_exec else {}),
                    "deny-iam": _deny_iam(),
                },
            )
        )
        task_role_refs[service] = role

    lambda_role = stack.add(
        _role(
            cfg,
            "LambdaExecutionRole",
            "lambda-exec",
            "lambda",
            f"shared execution role of the {naming.prefix(cfg)}-* Lambda functions: write their logs",
            policies={"write-logs": _write_logs(cfg, f"/aws/lambda/{naming.prefix(cfg)}-*")},
        )
    )
    monitoring = stack.add(
        _role(
            cfg,
            "RdsMonitoringRole",
            "rds-monitoring",
            "monitoring.rds",
            "RDS enhanced monitoring publishes OS metrics to CloudWatch Logs",
            managed_policies=[
                Sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")
            ],
        )
    )

    stack.output("TaskExecutionRoleArn", GetAtt(execution, "Arn"), "ECS task execution role")
    for service, role in task_role_refs.items():
        stack.output(f"{service.title()}TaskRoleArn", GetAtt(role, "Arn"), f"task role of the {service} service")
    stack.output("LambdaExecutionRoleArn", GetAtt(lambda_role, "Arn"), "shared Lambda execution role")
    stack.output("RdsMonitoringRoleArn", GetAtt(monitoring, "Arn"), "RDS enhanced-monitoring role")
    return stack.template()


def secrets_of(service: str) -> tuple[str, ...]:
    """The secret keys (`rds-master`, ...) the containers of `service` receive."""
    return naming.SERVICE_SECRETS[service]


def execution_role_secrets() -> tuple[str, ...]:
    """The union of every service's secrets, in naming.SECRET_KEYS order."""
    used = {key for keys in naming.SERVICE_SECRETS.values() for key in keys}
    return tuple(key for key in naming.SECRET_KEYS if key in used)


# --- roles ----------------------------------------------------------------------------------------


def _role(
    cfg: EnvConfig,
    logical_id: str,
    purpose: str,
    service: str,
    description: str,
    *,
    policies: dict[str, aws.PolicyDocument] | None = None,
    managed_policies: list | None = None,
) -> iam.Role:
    """Role `hana-<env>-<purpose>` that only `service` may assume, from this account."""
    name = naming.name(cfg, purpose)
    if len(name) > 64:  # IAM's limit; unreachable with config's 15-character environment names
        raise ValueError(f"role name {name} is longer than 64 characters")
    props = dict(
        RoleName=name,
        Description=description,
        AssumeRolePolicyDocument=assume_role_policy(service),
        Tags=naming.tags(cfg, SPEC.name),
    )
    if policies:
        props["Policies"] = [iam.Policy(PolicyName=n, PolicyDocument=d) for n, d in policies.items()]
    if managed_policies:
        props["ManagedPolicyArns"] = managed_policies
    return iam.Role(logical_id, **props)


# --- policy documents -------------------------------------------------------------------------------


def _document(*statements: aws.Statement) -> aws.PolicyDocument:
    return aws.PolicyDocument(Version=_VERSION, Statement=list(statements))


def _pull_image(stack: Stack) -> aws.PolicyDocument:
    return _document(
        aws.Statement(
            Sid="EcrLogin",
            Effect=aws.Allow,
            Action=[ecr.GetAuthorizationToken],
            Resource=["*"],  # GetAuthorizationToken has no resource-level permissions
        ),
        aws.Statement(
            Sid="PullImage",
            Effect=aws.Allow,
            Action=[ecr.BatchCheckLayerAvailability, ecr.GetDownloadUrlForLayer, ecr.BatchGetImage],
            Resource=[stack.input("EcrRepositoryArn")],
        ),
    )


def _write_logs(cfg: EnvConfig, log_group_pattern: str) -> aws.PolicyDocument:
    """Create streams and put events in the log groups matching the pattern (and their streams)."""
    return _document(
        aws.Statement(
            Sid="WriteLogs",
            Effect=aws.Allow,
            Action=[logs.CreateLogStream, logs.PutLogEvents],
            Resource=[
                Sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{log_group_pattern}")
            ],
        )
    )


def _inject_secrets(stack: Stack) -> aws.PolicyDocument:
    return _document(
        aws.Statement(
            Sid="ReadServiceSecrets",
            Effect=aws.Allow,
            Action=[secretsmanager.GetSecretValue],
            Resource=[stack.input(naming.SECRET_ARN_OUTPUTS[key]) for key in execution_role_secrets()],
        ),
        _key_via(stack, "SecretsKmsKeyArn", "secretsmanager", kms_actions.Decrypt, sid="DecryptSecrets"),
    )


def _sqs(stack: Stack, queue_arn: str, *actions, sid: str) -> aws.Statement:
    return aws.Statement(Sid=sid, Effect=aws.Allow, Action=list(actions), Resource=[stack.input(queue_arn)])


def _queue_key(stack: Stack) -> aws.Statement:
    """SQS server-side encryption: senders need GenerateDataKey and Decrypt, receivers Decrypt."""
    return _key_via(
        stack, "MessagingKmsKeyArn", "sqs", kms_actions.GenerateDataKey, kms_actions.Decrypt, sid="UseQueueKey"
    )


def _media(stack: Stack) -> aws.PolicyDocument:
    bucket = stack.input("MediaBucketArn")
    return _document(
        aws.Statement(
            Sid="ReadWriteMediaObjects",
            Effect=aws.Allow,
            Action=[s3.GetObject, s3.PutObject, s3.DeleteObject],
            Resource=[Sub("${MediaBucketArn}/*")],
        ),
        aws.Statement(Sid="ListMedia", Effect=aws.Allow, Action=[s3.ListBucket], Resource=[bucket]),
        _key_via(stack, "StorageKmsKeyArn", "s3", kms_actions.GenerateDataKey, kms_actions.Decrypt, sid="UseMediaKey"),
    )


def _key_via(stack: Stack, key_arn: str, service: str, *actions, sid: str) -> aws.Statement:
    """Use a KMS key only through `service` (kms:ViaService), never directly."""
    return aws.Statement(
        Sid=sid,
        Effect=aws.Allow,
        Action=list(actions),
        Resource=[stack.input(key_arn)],
        Condition=aws.Condition(aws.StringEquals("kms:ViaService", Sub(f"{service}.${{AWS::Region}}.amazonaws.com"))),
    )


def _task_protection(cfg: EnvConfig) -> aws.PolicyDocument:
    """Task scale-in protection: a worker protects its own task while it holds an agent run, so
    neither scale-in nor a deployment stops it mid-run (compute's worker contract). The ECS agent
    endpoint `$ECS_AGENT_URI/task-protection/v1/state` calls these with the task role:
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection-endpoint.html"""
    return _document(
        aws.Statement(
            Sid="ProtectOwnTaskWhileWorking",
            Effect=aws.Allow,
            Action=[ecs.UpdateTaskProtection, ecs.GetTaskProtection],
            Resource=[
                Sub(f"arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:task/{naming.prefix(cfg)}/*")
            ],
        )
    )


def _ecs_exec(cfg: EnvConfig, service: str) -> aws.PolicyDocument:
    """ECS Exec: the SSM agent in the task opens the session channels. The ssmmessages actions
    have no resource types, so "*" is the only Resource the API accepts. The cluster logs exec
    sessions (Logging DEFAULT) to the container's own log group, which the agent writes with the
    task role: it looks the group up (DescribeLogGroups has no narrower resource than all groups
    of the account and region) and writes only to this service's group."""
    log_groups = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    return _document(
        aws.Statement(
            Sid="EcsExecChannels",
            Effect=aws.Allow,
            Action=[
                ssmmessages.CreateControlChannel,
                ssmmessages.CreateDataChannel,
                ssmmessages.OpenControlChannel,
                ssmmessages.OpenDataChannel,
            ],
            Resource=["*"],
        ),
        aws.Statement(
            Sid="EcsExecFindLogGroup",
            Effect=aws.Allow,
            Action=[logs.DescribeLogGroups],
            Resource=[Sub(f"{log_groups}*")],
        ),
        aws.Statement(
            Sid="EcsExecSessionLogs",
            Effect=aws.Allow,
            Action=[logs.CreateLogStream, logs.DescribeLogStreams, logs.PutLogEvents],
            Resource=[Sub(f"{log_groups}{naming.service_log_group(cfg, service)}:*")],
        ),
    )


def _deny_iam() -> aws.PolicyDocument:
    """An explicit deny wins over any allow: whatever is granted later, a task never touches IAM."""
    return _document(aws.Statement(Sid="DenyAllIam", Effect=aws.Deny, Action=[iam_actions.Action("*")], Resource=["*"]))
