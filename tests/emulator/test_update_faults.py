"""Ordinary updates that used to break the emulator (issue #13), each driven through the API:
a changed description of a tagged secret or KMS key, and ContinueUpdateRollback (moto: HTTP 500)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.emulator.helpers import apply_stack, stack

TAGS = [{"Key": "Project", "Value": "hana"}, {"Key": "Stack", "Value": "secrets"}]


def test_a_tagged_secret_and_key_update_in_place(cfn, emu):
    def template(description: str, tags: list[dict]) -> dict:
        return {
            "Resources": {
                "Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": description, "Tags": tags}},
                "S": {
                    "Type": "AWS::SecretsManager::Secret",
                    "Properties": {"Name": "hana/dev/x", "Description": description, "Tags": tags},
                },
            }
        }

    apply_stack(cfn, "s", template("one", TAGS))
    updated = apply_stack(cfn, "s", template("two", TAGS[:1]))
    assert updated["StackStatus"] == "UPDATE_COMPLETE", updated.get("StackStatusReason")
    secret = emu.client("secretsmanager").describe_secret(SecretId="hana/dev/x")
    assert secret["Description"] == "two"
    assert secret["Tags"] == [{"Key": "Project", "Value": "hana"}]  # the removed tag is gone


def _failing_rollback(cfn, emu) -> None:
    """Leave stack `r` in UPDATE_ROLLBACK_FAILED: the update changes P and then fails to add Bad;
    the rollback must bring P back to a value read from a secret deleted meanwhile."""
    sm = emu.client("secretsmanager")
    sm.create_secret(Name="seed", SecretString='{"v": "old"}')
    old = {
        "Resources": {
            "P": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Name": "/r/p",
                    "Type": "String",
                    "Value": "{{resolve:secretsmanager:seed:SecretString:v}}",
                },
            }
        }
    }
    apply_stack(cfn, "r", old)
    sm.delete_secret(SecretId="seed", ForceDeleteWithoutRecovery=True)
    new = {
        "Resources": {
            "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/r/p", "Type": "String", "Value": "new"}},
            "Bad": {
                "Type": "AWS::SSM::Parameter",
                "DependsOn": "P",
                "Properties": {"Type": "String", "Value": "{{resolve:secretsmanager:missing:SecretString:v}}"},
            },
        }
    }
    failed = apply_stack(cfn, "r", new)
    assert failed["StackStatus"] == "UPDATE_ROLLBACK_FAILED", failed["StackStatus"]


def test_continue_update_rollback_finishes_the_rollback_once_the_cause_is_fixed(cfn, emu):
    _failing_rollback(cfn, emu)
    emu.client("secretsmanager").create_secret(Name="seed", SecretString='{"v": "old"}')
    cfn.continue_update_rollback(StackName="r")
    assert stack(cfn, "r")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert emu.client("ssm").get_parameter(Name="/r/p")["Parameter"]["Value"] == "old"


def test_continue_update_rollback_can_skip_the_resource_that_cannot_roll_back(cfn, emu):
    _failing_rollback(cfn, emu)
    cfn.continue_update_rollback(StackName="r", ResourcesToSkip=["P"])
    assert stack(cfn, "r")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"


def test_continue_update_rollback_is_refused_for_a_stack_that_is_not_stuck(cfn):
    apply_stack(
        cfn, "ok", {"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}}}}
    )
    with pytest.raises(ClientError, match="can not continue an update rollback"):
        cfn.continue_update_rollback(StackName="ok")
