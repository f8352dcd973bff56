"""The stack engine the emulator puts in place of moto's: change sets with outputs and exports,
rollback on failure with per-resource events, nested stacks, dynamic references, delete order,
termination protection and the change-set corner cases the deployer relies on."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.emulator.helpers import apply_stack, events, outputs, stack

QUEUE = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q-one"}}


def queue(name: str, **props: object) -> dict:
    return {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name, **props}}


def test_change_set_create_gets_outputs_and_exports(cfn):
    template = {
        "Resources": {"Q": QUEUE},
        "Outputs": {
            "Arn": {"Value": {"Fn::GetAtt": ["Q", "Arn"]}, "Export": {"Name": "q-arn"}},
            "Name": {"Value": {"Fn::GetAtt": ["Q", "QueueName"]}},
        },
    }
    created = apply_stack(cfn, "producer", template)
    assert created["StackStatus"] == "CREATE_COMPLETE"
    assert outputs(cfn, "producer") == {"Arn": "arn:aws:sqs:us-east-1:123456789012:q-one", "Name": "q-one"}
    by_key = {o["OutputKey"]: o.get("ExportName") for o in created["Outputs"]}
    assert by_key == {"Arn": "q-arn", "Name": None}
    assert [e["Name"] for e in cfn.list_exports()["Exports"]] == ["q-arn"]


def test_a_create_change_set_sees_existing_exports(cfn):
    apply_stack(
        cfn, "producer", {"Resources": {"Q": QUEUE}, "Outputs": {"A": {"Value": "x1", "Export": {"Name": "e"}}}}
    )
    consumer = {
        "Resources": {"Q": queue("q-two")},
        "Outputs": {"Imported": {"Value": {"Fn::ImportValue": "e"}}},
    }
    assert apply_stack(cfn, "consumer", consumer)["StackStatus"] == "CREATE_COMPLETE"
    assert outputs(cfn, "consumer") == {"Imported": "x1"}


def test_update_change_set_refreshes_outputs_and_lists_parameter_changes(cfn):
    template = {
        "Parameters": {"Timeout": {"Type": "Number", "Default": "30"}},
        "Resources": {"Q": queue("q-one", VisibilityTimeout={"Ref": "Timeout"}), "Other": queue("q-other")},
        "Outputs": {"Timeout": {"Value": {"Ref": "Timeout"}}},
    }
    apply_stack(cfn, "s", template, {"Timeout": "30"})
    cfn.create_change_set(
        StackName="s",
        ChangeSetName="cs",
        TemplateBody=json.dumps(template),
        ChangeSetType="UPDATE",
        Parameters=[{"ParameterKey": "Timeout", "ParameterValue": "60"}],
    )
    changes = cfn.describe_change_set(StackName="s", ChangeSetName="cs")["Changes"]
    assert [(c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"]) for c in changes] == [
        ("Modify", "Q")
    ]
    cfn.execute_change_set(StackName="s", ChangeSetName="cs")
    assert stack(cfn, "s")["StackStatus"] == "UPDATE_COMPLETE"
    assert outputs(cfn, "s") == {"Timeout": "60"}
    assert stack(cfn, "s")["Parameters"] == [{"ParameterKey": "Timeout", "ParameterValue": "60"}]


def test_an_unchanged_change_set_fails_with_the_aws_reason(cfn):
    template = {"Resources": {"Q": QUEUE}}
    apply_stack(cfn, "s", template)
    cfn.create_change_set(StackName="s", ChangeSetName="cs", TemplateBody=json.dumps(template), ChangeSetType="UPDATE")
    change_set = cfn.describe_change_set(StackName="s", ChangeSetName="cs")
    assert change_set["Status"] == "FAILED"
    assert change_set["StatusReason"].startswith("The submitted information didn't contain changes.")
    with pytest.raises(ClientError, match="InvalidChangeSetStatus"):
        cfn.execute_change_set(StackName="s", ChangeSetName="cs")


def test_change_sets_are_found_by_name_within_their_own_stack(cfn):
    for name in ("a", "b"):
        cfn.create_change_set(
            StackName=name,
            ChangeSetName="deploy",
            TemplateBody=json.dumps({"Resources": {"Q": queue(f"q-{name}")}}),
            ChangeSetType="CREATE",
        )
    assert cfn.describe_change_set(StackName="b", ChangeSetName="deploy")["StackName"] == "b"
    cfn.execute_change_set(StackName="b", ChangeSetName="deploy")
    assert stack(cfn, "b")["StackStatus"] == "CREATE_COMPLETE"
    assert stack(cfn, "a")["StackStatus"] == "REVIEW_IN_PROGRESS"
    assert [s["StackName"] for s in cfn.list_change_sets(StackName="a")["Summaries"]] == ["a"]


def test_a_missing_parameter_fails_at_create_change_set(cfn):
    template = {"Parameters": {"Need": {"Type": "String"}}, "Resources": {"Q": QUEUE}}
    with pytest.raises(ClientError, match="Missing parameter Need"):
        cfn.create_change_set(StackName="s", ChangeSetName="cs", TemplateBody=json.dumps(template))


def test_an_unknown_resource_type_is_refused_not_skipped(cfn):
    template = {"Resources": {"X": {"Type": "AWS::Nope::Thing", "Properties": {}}}}
    with pytest.raises(ClientError, match=r"Unrecognized resource types: \[AWS::Nope::Thing\]"):
        cfn.create_change_set(StackName="s", ChangeSetName="cs", TemplateBody=json.dumps(template))


def test_a_failing_resource_rolls_the_create_back(cfn, emu):
    template = {
        "Resources": {
            "Good": queue("q-good"),
            "Kept": {**queue("q-kept"), "DeletionPolicy": "Retain"},
            "Bad": {**queue("not-fifo", FifoQueue=True), "DependsOn": ["Good", "Kept"]},
        }
    }
    failed = apply_stack(cfn, "s", template)
    assert failed["StackStatus"] == "ROLLBACK_COMPLETE"
    assert (
        failed["StackStatusReason"] == "The following resource(s) failed to create: [Bad]. Rollback requested by user."
    )
    assert "Outputs" not in failed
    rows = events(cfn, "s")
    assert [r[:2] for r in rows if r[0] != "s"] == [
        ("Good", "CREATE_IN_PROGRESS"),
        ("Good", "CREATE_COMPLETE"),
        ("Kept", "CREATE_IN_PROGRESS"),
        ("Kept", "CREATE_COMPLETE"),
        ("Bad", "CREATE_IN_PROGRESS"),
        ("Bad", "CREATE_FAILED"),
        ("Kept", "DELETE_SKIPPED"),
        ("Good", "DELETE_IN_PROGRESS"),
        ("Good", "DELETE_COMPLETE"),
    ]
    reason = next(r[2] for r in rows if r[1] == "CREATE_FAILED")
    assert "Queue name must end in .fifo" in reason
    assert [r[1] for r in rows if r[0] == "s"][-2:] == ["ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE"]
    urls = emu.client("sqs").list_queues().get("QueueUrls", [])
    assert [u.rsplit("/", 1)[1] for u in urls] == ["q-kept"]  # Retain honoured on rollback, as AWS


def test_a_stack_in_rollback_complete_cannot_be_updated_and_can_be_deleted(cfn):
    apply_stack(cfn, "s", {"Resources": {"Bad": queue("bad", FifoQueue=True)}})
    with pytest.raises(ClientError, match="ROLLBACK_COMPLETE state and can not be updated"):
        cfn.create_change_set(
            StackName="s",
            ChangeSetName="x",
            TemplateBody=json.dumps({"Resources": {"Q": QUEUE}}),
            ChangeSetType="UPDATE",
        )
    with pytest.raises(ClientError, match="AlreadyExists"):
        cfn.create_change_set(
            StackName="s",
            ChangeSetName="x",
            TemplateBody=json.dumps({"Resources": {"Q": QUEUE}}),
            ChangeSetType="CREATE",
        )
    cfn.delete_stack(StackName="s")
    assert apply_stack(cfn, "s", {"Resources": {"Q": QUEUE}})["StackStatus"] == "CREATE_COMPLETE"


def test_create_stack_with_disable_rollback_stops_at_create_failed(cfn):
    template = {"Resources": {"Good": queue("q-good"), "Bad": {**queue("bad", FifoQueue=True), "DependsOn": "Good"}}}
    cfn.create_stack(StackName="s", TemplateBody=json.dumps(template), DisableRollback=True)
    assert stack(cfn, "s")["StackStatus"] == "CREATE_FAILED"


def test_a_failing_update_rolls_back_to_the_previous_template(cfn, emu):
    before = {"Resources": {"Q": queue("q-one")}, "Outputs": {"N": {"Value": {"Fn::GetAtt": ["Q", "QueueName"]}}}}
    apply_stack(cfn, "s", before)
    after = {
        "Resources": {
            "Q": queue("q-one"),
            "New": queue("q-new"),
            "Bad": {**queue("bad", FifoQueue=True), "DependsOn": "New"},
        }
    }
    updated = apply_stack(cfn, "s", after)
    assert updated["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert updated["StackStatusReason"].startswith("The following resource(s) failed to update: [Bad]")
    assert outputs(cfn, "s") == {"N": "q-one"}
    names = sorted(u.rsplit("/", 1)[1] for u in emu.client("sqs").list_queues()["QueueUrls"])
    assert names == ["q-one"]
    assert json.loads(json.dumps(cfn.get_template(StackName="s")["TemplateBody"])) == before


def test_update_adds_modifies_then_removes_in_cleanup(cfn, emu):
    apply_stack(cfn, "s", {"Resources": {"Old": queue("q-old"), "Q": queue("q-one")}})
    apply_stack(cfn, "s", {"Resources": {"Q": queue("q-one", VisibilityTimeout=99), "New": queue("q-new")}})
    rows = [r[:2] for r in events(cfn, "s")]
    tail = rows[rows.index(("s", "UPDATE_IN_PROGRESS")) :]
    assert tail == [
        ("s", "UPDATE_IN_PROGRESS"),
        ("Q", "UPDATE_IN_PROGRESS"),
        ("Q", "UPDATE_COMPLETE"),
        ("New", "CREATE_IN_PROGRESS"),
        ("New", "CREATE_COMPLETE"),
        ("s", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
        ("Old", "DELETE_IN_PROGRESS"),
        ("Old", "DELETE_COMPLETE"),
        ("s", "UPDATE_COMPLETE"),
    ]
    sqs = emu.client("sqs")
    url = sqs.get_queue_url(QueueName="q-one")["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "99"
    }


def test_update_stack_without_changes_is_refused(cfn):
    template = json.dumps({"Resources": {"Q": QUEUE}})
    cfn.create_stack(StackName="s", TemplateBody=template)
    with pytest.raises(ClientError, match="No updates are to be performed"):
        cfn.update_stack(StackName="s", TemplateBody=template)


def test_delete_goes_in_reverse_dependency_order(cfn):
    template = {
        "Resources": {
            "Dlq": queue("q-dlq"),
            "Main": queue(
                "q-main", RedrivePolicy={"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}, "maxReceiveCount": 3}
            ),
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "t-${Main.QueueName}"}}},
        }
    }
    apply_stack(cfn, "s", template)
    stack_id = stack(cfn, "s")["StackId"]
    cfn.delete_stack(StackName="s")
    rows = cfn.describe_stack_events(StackName=stack_id)["StackEvents"][::-1]
    deleted = [e["LogicalResourceId"] for e in rows if e["ResourceStatus"] == "DELETE_COMPLETE"]
    assert deleted == ["Topic", "Main", "Dlq", "s"]
    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_stacks(StackName="s")


def test_termination_protection_blocks_delete(cfn):
    apply_stack(cfn, "s", {"Resources": {"Q": QUEUE}})
    cfn.update_termination_protection(StackName="s", EnableTerminationProtection=True)
    assert stack(cfn, "s")["EnableTerminationProtection"] is True
    with pytest.raises(ClientError, match="TerminationProtection is enabled"):
        cfn.delete_stack(StackName="s")
    cfn.update_termination_protection(StackName="s", EnableTerminationProtection=False)
    cfn.delete_stack(StackName="s")


def test_parameters_are_reported_as_passed_and_no_echo_masked(cfn):
    template = {
        "Parameters": {
            "Subnets": {"Type": "CommaDelimitedList"},
            "Token": {"Type": "String", "NoEcho": True},
            "Tag": {"Type": "String", "Default": "latest"},
        },
        "Resources": {"Q": QUEUE},
    }
    apply_stack(cfn, "s", template, {"Subnets": "subnet-1,subnet-2", "Token": "secret"})
    assert stack(cfn, "s")["Parameters"] == [
        {"ParameterKey": "Subnets", "ParameterValue": "subnet-1,subnet-2"},
        {"ParameterKey": "Token", "ParameterValue": "****"},
        {"ParameterKey": "Tag", "ParameterValue": "latest"},
    ]


def test_list_stack_resources_reports_each_resource(cfn):
    apply_stack(cfn, "s", {"Resources": {"Q": QUEUE, "T": {"Type": "AWS::SNS::Topic", "Properties": {}}}})
    rows = cfn.list_stack_resources(StackName="s")["StackResourceSummaries"]
    assert {(r["LogicalResourceId"], r["ResourceType"], r["ResourceStatus"]) for r in rows} == {
        ("Q", "AWS::SQS::Queue", "CREATE_COMPLETE"),
        ("T", "AWS::SNS::Topic", "CREATE_COMPLETE"),
    }
    assert all(r["PhysicalResourceId"] for r in rows)


def test_dynamic_references_resolve_from_secrets_manager_and_ssm(cfn, emu):
    sm = emu.client("secretsmanager")
    arn = sm.create_secret(Name="app/db", SecretString=json.dumps({"user": "hana"}))["ARN"]
    emu.client("ssm").put_parameter(Name="/app/tag", Value="v1", Type="String")
    template = {
        "Resources": {
            "ByName": queue("{{resolve:secretsmanager:app/db:SecretString:user}}-a"),
            "ByArn": queue({"Fn::Sub": "{{resolve:secretsmanager:" + arn + ":SecretString:user}}-b"}),
            "Ssm": queue("q-{{resolve:ssm:/app/tag}}"),
        },
        "Outputs": {"N": {"Value": {"Fn::GetAtt": ["ByArn", "QueueName"]}}},
    }
    assert apply_stack(cfn, "s", template)["StackStatus"] == "CREATE_COMPLETE"
    names = sorted(u.rsplit("/", 1)[1] for u in emu.client("sqs").list_queues()["QueueUrls"])
    assert names == ["hana-a", "hana-b", "q-v1"]


def test_a_missing_secret_key_fails_the_resource(cfn):
    template = {"Resources": {"Q": queue("{{resolve:secretsmanager:nope:SecretString:user}}")}}
    failed = apply_stack(cfn, "s", template)
    assert failed["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any(r[:2] == ("Q", "CREATE_FAILED") for r in events(cfn, "s"))


def _upload(emu, key: str, template: dict) -> str:
    s3 = emu.client("s3")
    if "templates" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket="templates")
    s3.put_object(Bucket="templates", Key=key, Body=json.dumps(template).encode())
    return f"https://templates.s3.us-east-1.amazonaws.com/{key}"


def _parent(child_url: str, reader_url: str) -> dict:
    return {
        "Resources": {
            "Producer": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": child_url}},
            "Reader": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {
                    "TemplateURL": reader_url,
                    "Parameters": {"QueueArn": {"Fn::GetAtt": ["Producer", "Outputs.QueueArn"]}},
                },
            },
        },
        "Outputs": {"FromReader": {"Value": {"Fn::GetAtt": ["Reader", "Outputs.Seen"]}}},
    }


PRODUCER = {"Resources": {"Q": QUEUE}, "Outputs": {"QueueArn": {"Value": {"Fn::GetAtt": ["Q", "Arn"]}}}}
READER = {
    "Parameters": {"QueueArn": {"Type": "String"}},
    "Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {}}},
    "Outputs": {"Seen": {"Value": {"Ref": "QueueArn"}}},
}


def test_nested_stacks_pass_outputs_with_getatt(cfn, emu):
    parent = _parent(_upload(emu, "producer.json", PRODUCER), _upload(emu, "reader.json", READER))
    created = apply_stack(cfn, "main", parent)
    assert created["StackStatus"] == "CREATE_COMPLETE"
    assert outputs(cfn, "main") == {"FromReader": "arn:aws:sqs:us-east-1:123456789012:q-one"}
    children = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="main")["StackResourceSummaries"]
    }
    child = cfn.describe_stacks(StackName=children["Reader"])["Stacks"][0]
    assert child["StackId"] == children["Reader"]  # Ref of a nested stack is its ARN
    assert child["ParentId"] == created["StackId"] and child["RootId"] == created["StackId"]


def test_a_nested_stack_update_happens_in_place(cfn, emu):
    apply_stack(cfn, "main", _parent(_upload(emu, "p1.json", PRODUCER), _upload(emu, "r.json", READER)))
    before = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="main")["StackResourceSummaries"]
    }
    changed = {**PRODUCER, "Resources": {"Q": queue("q-one", VisibilityTimeout=5)}}
    updated = apply_stack(cfn, "main", _parent(_upload(emu, "p2.json", changed), _upload(emu, "r.json", READER)))
    assert updated["StackStatus"] == "UPDATE_COMPLETE"
    after = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="main")["StackResourceSummaries"]
    }
    assert after == before
    assert stack(cfn, before["Producer"])["StackStatus"] == "UPDATE_COMPLETE"


def test_a_failing_nested_stack_fails_and_rolls_back_the_parent(cfn, emu):
    bad_child = {"Resources": {"Bad": queue("bad", FifoQueue=True)}, "Outputs": {"QueueArn": {"Value": "x"}}}
    failed = apply_stack(cfn, "main", _parent(_upload(emu, "bad.json", bad_child), _upload(emu, "r.json", READER)))
    assert failed["StackStatus"] == "ROLLBACK_COMPLETE"
    reason = next(r[2] for r in events(cfn, "main") if r[:2] == ("Producer", "CREATE_FAILED"))
    assert reason.startswith("Embedded stack arn:aws:cloudformation:") and "failed to create: [Bad]" in reason
    # The failed event names the child by its ARN, as AWS's does (the deployer reads its events).
    failed_event = next(
        e
        for e in cfn.describe_stack_events(StackName="main")["StackEvents"]
        if (e["LogicalResourceId"], e["ResourceStatus"]) == ("Producer", "CREATE_FAILED")
    )
    assert failed_event["PhysicalResourceId"] == reason.split()[2]
    live = [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]
    assert live == ["main"]  # the failed child was deleted by the parent's rollback


def test_iam_resources_need_the_iam_capabilities(cfn):
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": "named",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
        },
    }
    body = json.dumps({"Resources": {"Role": role}})
    with pytest.raises(ClientError, match=r"InsufficientCapabilities.*CAPABILITY_NAMED_IAM"):
        cfn.create_change_set(StackName="s", ChangeSetName="cs", TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    with pytest.raises(ClientError, match=r"Requires capabilities : \[CAPABILITY_NAMED_IAM\]"):
        cfn.create_stack(StackName="s", TemplateBody=body)
    cfn.create_stack(StackName="s", TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"])
    assert stack(cfn, "s")["StackStatus"] == "CREATE_COMPLETE"


def test_getazs_cidr_and_length_are_evaluated(cfn):
    template = {
        "Resources": {"Q": QUEUE},
        "Outputs": {
            "Az": {"Value": {"Fn::Select": [1, {"Fn::GetAZs": {"Ref": "AWS::Region"}}]}},
            "Subnet": {"Value": {"Fn::Select": [2, {"Fn::Cidr": ["10.0.0.0/16", 6, 8]}]}},
            "Count": {"Value": {"Fn::Length": [1, 2, 3]}},
        },
    }
    apply_stack(cfn, "s", template)
    assert outputs(cfn, "s") == {"Az": "us-east-1b", "Subnet": "10.0.2.0/24", "Count": "3"}
