"""messaging: the SQS queues that feed the background workers.

- `hana-<env>-agent-runs.fifo`: agent runs, in order per conversation (MessageGroupId), with
  content-based deduplication so a retried send does not start a run twice. Its visibility
  timeout is sized for an agent run (config.messaging); a message that fails
  `max_receive_count` times moves to
- `hana-<env>-agent-runs-dlq.fifo`: the dead-letter queue, kept 14 days for inspection and
  redrive (a FIFO queue's DLQ must be FIFO too). The DLQ alarm lives in observability.
- `hana-<env>-notifications`: a standard queue for fire-and-forget side effects of runs
  (webhooks, e-mails, usage events) where order does not matter and throughput does. A message
  that fails `max_receive_count` times moves to
- `hana-<env>-notifications-dlq`: its dead-letter queue (standard, like its source), kept 14
  days; alarmed in observability like the agent-runs DLQ.

Each DLQ accepts dead letters only from its source queue (`RedriveAllowPolicy` byQueue, with the
source ARN built from its name: referencing the queue would be a cycle).

All four are encrypted with this stack's customer-managed KMS key and have explicit retention.
Queues hold in-flight work, so they are retained if the stack is deleted or a queue replaced.

Consumes: nothing. Outputs: queue URLs, ARNs and names, the key's ARN.
"""

from __future__ import annotations

from awacs import aws
from awacs import sqs as sqs_actions
from troposphere import GetAtt, Ref, Sub, Template, sqs

from . import naming
from .config import EnvConfig
from .constructs import key_arn, kms_key, retain
from .spec import Stack, StackSpec

SPEC = StackSpec(
    name="messaging",
    description="SQS FIFO queue for agent runs, a standard notifications queue, and their dead-letter queues",
    outputs=(
        "AgentRunsQueueUrl",
        "AgentRunsQueueArn",
        "AgentRunsQueueName",
        "AgentRunsDlqUrl",
        "AgentRunsDlqArn",
        "AgentRunsDlqName",
        "NotificationsQueueUrl",
        "NotificationsQueueArn",
        "NotificationsQueueName",
        "NotificationsDlqUrl",
        "NotificationsDlqArn",
        "NotificationsDlqName",
        "MessagingKmsKeyArn",
    ),
)

# Reuse a data key for 5 minutes: fewer KMS calls (cost) at no real loss of security.
_DATA_KEY_REUSE_S = 300


def build(cfg: EnvConfig) -> Template:
    stack = Stack(cfg, SPEC)
    m = cfg.messaging
    key, alias = kms_key(cfg, SPEC.name, "QueueKey", "sqs", via_service="sqs")
    stack.add(key)
    stack.add(alias)

    runs_name = naming.queue_name(cfg, "agent-runs", fifo=True)
    runs, dlq = _queue_with_dlq(
        stack,
        cfg,
        key,
        "AgentRuns",
        runs_name,
        naming.queue_name(cfg, "agent-runs-dlq", fifo=True),
        fifo=True,
        VisibilityTimeout=m.agent_run_visibility_timeout_s,
    )
    notifications, notifications_dlq = _queue_with_dlq(
        stack,
        cfg,
        key,
        "Notifications",
        naming.queue_name(cfg, "notifications", fifo=False),
        naming.queue_name(cfg, "notifications-dlq", fifo=False),
        fifo=False,
        VisibilityTimeout=60,
    )

    for prefix, queue, what in (
        ("AgentRunsQueue", runs, "agent-runs FIFO queue"),
        ("AgentRunsDlq", dlq, "agent-runs dead-letter queue"),
        ("NotificationsQueue", notifications, "notifications queue"),
        ("NotificationsDlq", notifications_dlq, "notifications dead-letter queue"),
    ):
        stack.output(f"{prefix}Url", Ref(queue), f"URL of the {what}")
        stack.output(f"{prefix}Arn", GetAtt(queue, "Arn"), f"ARN of the {what}")
        stack.output(f"{prefix}Name", GetAtt(queue, "QueueName"), f"name of the {what}")
    stack.output("MessagingKmsKeyArn", key_arn(key), "KMS key encrypting the queues")
    return stack.template()


def _queue_with_dlq(stack, cfg, key, prefix, name, dlq_name, *, fifo, **props) -> tuple[sqs.Queue, sqs.Queue]:
    """`<prefix>Queue` and `<prefix>Dlq`: the queue moves a message to its DLQ after
    `max_receive_count` receives, the DLQ (kept `dlq_retention_s`) accepts dead letters only from
    that queue, and both deny non-TLS requests. Logical ids `AgentRunsDlq`, `AgentRunsQueue`,
    `AgentRunsQueuePolicy` and `AgentRunsDlqPolicy` are kept as they were (a public contract)."""
    m = cfg.messaging
    dlq = stack.add(
        _queue(
            cfg,
            f"{prefix}Dlq",
            dlq_name,
            key,
            m.dlq_retention_s,
            fifo=fifo,
            RedriveAllowPolicy=_dead_letters_only_from(name),
        )
    )
    queue = stack.add(
        _queue(
            cfg,
            f"{prefix}Queue",
            name,
            key,
            m.retention_s,
            fifo=fifo,
            RedrivePolicy=sqs.RedrivePolicy(
                deadLetterTargetArn=GetAtt(dlq, "Arn"), maxReceiveCount=m.max_receive_count
            ),
            **props,
        )
    )
    for q in (dlq, queue):
        stack.add(
            sqs.QueuePolicy(
                f"{q.title}Policy",
                Queues=[Ref(q)],
                PolicyDocument=aws.PolicyDocument(Version="2012-10-17", Statement=[_deny_insecure_transport(q)]),
            )
        )
    return queue, dlq


def _queue(cfg, logical_id, name, key, retention_s, *, fifo, **props) -> sqs.Queue:
    if fifo:
        props.update(FifoQueue=True, ContentBasedDeduplication=True)
    return retain(
        sqs.Queue(
            logical_id,
            QueueName=name,
            KmsMasterKeyId=Ref(key),
            KmsDataKeyReusePeriodSeconds=_DATA_KEY_REUSE_S,
            MessageRetentionPeriod=retention_s,
            Tags=naming.tags(cfg, SPEC.name),
            **props,
        )
    )


def _dead_letters_only_from(source_queue_name: str) -> dict:
    """RedriveAllowPolicy of a DLQ: only the named source queue may send it dead letters."""
    return {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [
            Sub(f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{source_queue_name}")
        ],
    }


def _deny_insecure_transport(queue: sqs.Queue) -> aws.Statement:
    return aws.Statement(
        Sid="DenyInsecureTransport",
        Effect=aws.Deny,
        Principal=aws.Principal("*"),
        Action=[sqs_actions.Action("*")],
        Resource=[GetAtt(queue, "Arn")],
        Condition=aws.Condition(aws.Bool("aws:SecureTransport", False)),
    )
