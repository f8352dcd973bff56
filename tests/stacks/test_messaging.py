"""messaging: the three queues the spec prices and the notifications DLQ, encrypted, with explicit retention."""

import pytest

from hana_templates import config
from tests.tmpl import props, resources, template


def _queues(env):
    return {props(q)["QueueName"]: q for q in resources(template(env, "messaging"), "AWS::SQS::Queue").values()}


def test_the_spec_queues_and_the_notifications_dlq(env):
    assert sorted(_queues(env)) == sorted(
        [
            f"hana-{env}-agent-runs.fifo",
            f"hana-{env}-agent-runs-dlq.fifo",
            f"hana-{env}-notifications",
            f"hana-{env}-notifications-dlq",
        ]
    )


@pytest.mark.parametrize(
    ("queue", "dlq", "dlq_logical_id"),
    [
        pytest.param("agent-runs.fifo", "agent-runs-dlq.fifo", "AgentRunsDlq", id="agent-runs"),
        pytest.param("notifications", "notifications-dlq", "NotificationsDlq", id="notifications"),
    ],
)
def test_every_queue_has_a_dlq_that_accepts_dead_letters_only_from_it(env, queue, dlq, dlq_logical_id):
    """AWS Control Tower CT.SQS.PR.1: a poison message ends in a DLQ after max_receive_count receives."""
    queues = _queues(env)
    redrive = props(queues[f"hana-{env}-{queue}"])["RedrivePolicy"]
    assert redrive == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_logical_id, "Arn"]},
        "maxReceiveCount": config.get(env).messaging.max_receive_count,
    }
    assert props(queues[f"hana-{env}-{dlq}"])["RedriveAllowPolicy"] == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [
            {"Fn::Sub": f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:hana-{env}-{queue}"}
        ],
    }


def test_agent_runs_is_fifo_with_content_based_dedup_and_a_dlq(env):
    cfg = config.get(env)
    runs = props(_queues(env)[f"hana-{env}-agent-runs.fifo"])
    assert runs["FifoQueue"] is True
    assert runs["ContentBasedDeduplication"] is True
    assert runs["VisibilityTimeout"] == cfg.messaging.agent_run_visibility_timeout_s >= 300
    redrive = runs["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["AgentRunsDlq", "Arn"]}
    assert redrive["maxReceiveCount"] == cfg.messaging.max_receive_count


def test_dlq_is_fifo_and_keeps_messages_14_days(env):
    dlq = props(_queues(env)[f"hana-{env}-agent-runs-dlq.fifo"])
    assert dlq["FifoQueue"] is True
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_notifications_dlq_is_standard_like_its_source_and_keeps_messages_14_days(env):
    """SQS: a standard queue's dead-letter queue must be a standard queue (SQS developer guide,
    sqs-dead-letter-queues.html)."""
    queues = _queues(env)
    dlq = props(queues[f"hana-{env}-notifications-dlq"])
    assert "FifoQueue" not in dlq and "FifoQueue" not in props(queues[f"hana-{env}-notifications"])
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_no_queue_suppresses_the_dlq_rule(env):
    """issue 16: the notifications queue had an `sqs_dlq_check` suppression (a gap, not an exception)."""
    for name, q in _queues(env).items():
        assert "guard" not in q.get("Metadata", {}), name


def test_every_queue_is_kms_encrypted_retained_and_has_explicit_retention(env):
    for name, q in _queues(env).items():
        assert props(q)["KmsMasterKeyId"] == {"Ref": "QueueKey"}, name
        assert "MessageRetentionPeriod" in props(q), name
        assert (q["DeletionPolicy"], q["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain"), name


def test_every_queue_denies_insecure_transport(env):
    tmpl = template(env, "messaging")
    covered = set()
    for policy in resources(tmpl, "AWS::SQS::QueuePolicy").values():
        stmts = props(policy)["PolicyDocument"]["Statement"]
        assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": False}} for s in stmts)
        covered |= {q["Ref"] for q in props(policy)["Queues"]}
    assert covered == {"AgentRunsQueue", "AgentRunsDlq", "NotificationsQueue", "NotificationsDlq"}


def test_queue_key_rotates_and_is_retained(env):
    key = template(env, "messaging")["Resources"]["QueueKey"]
    assert props(key)["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "RetainExceptOnCreate"
