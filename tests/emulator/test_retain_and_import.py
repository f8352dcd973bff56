"""What a stack operation leaves behind: DeletionPolicy RetainExceptOnCreate and the
RetainExceptOnCreate API parameter (a failed create is always retryable), listing the resources
of a rolled-back stack (issue #12 item 5), and IMPORT change sets (re-create after delete).

AWS: "RetainExceptOnCreate behaves like Retain for stack operations, except for the stack
operation that initially created the resource. If the stack operation that created the resource
is rolled back, CloudFormation deletes the resource. For all other stack operations, such as
stack deletion, CloudFormation retains the resource"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html).
The API parameter: "When set to true, newly created resources are deleted when the operation
rolls back. This includes newly created resources marked with a deletion policy of Retain"
(CreateStack / ExecuteChangeSet, RetainExceptOnCreate)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.emulator.helpers import apply_stack, events, stack


def queue(name: str, policy: str | None = None, **props: object) -> dict:
    body: dict = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name, **props}}
    if policy:
        body["DeletionPolicy"] = policy
    return body


def failing(policy: str) -> dict:
    """A key and a log group with `policy`, then a resource that fails."""
    return {
        "Resources": {
            "Key": {"Type": "AWS::KMS::Key", "DeletionPolicy": policy, "Properties": {"Description": "k"}},
            "Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": policy, "Properties": {"LogGroupName": "/x/y"}},
            "Kept": queue("q-kept", policy),
            "Bad": {**queue("not-fifo", FifoQueue=True), "DependsOn": ["Key", "Logs", "Kept"]},
        }
    }


def live_keys(emu) -> int:
    kms = emu.client("kms")
    keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
    return sum(1 for k in keys if k["KeyState"] != "PendingDeletion")


def log_groups(emu) -> list[str]:
    return [g["logGroupName"] for g in emu.client("logs").describe_log_groups()["logGroups"]]


def queues(emu) -> list[str]:
    return [u.rsplit("/", 1)[1] for u in emu.client("sqs").list_queues().get("QueueUrls", [])]


def test_retain_except_on_create_deletes_what_a_failed_create_made(cfn, emu):
    assert apply_stack(cfn, "s", failing("RetainExceptOnCreate"))["StackStatus"] == "ROLLBACK_COMPLETE"
    rows = [r[:2] for r in events(cfn, "s") if r[0] in ("Key", "Logs", "Kept")]
    assert ("Kept", "DELETE_COMPLETE") in rows and ("Logs", "DELETE_COMPLETE") in rows
    assert ("Key", "DELETE_COMPLETE") in rows
    assert not any(status == "DELETE_SKIPPED" for _, status in rows)
    assert (queues(emu), log_groups(emu), live_keys(emu)) == ([], [], 0)
    # and the retry, with the cause fixed, creates everything again (nothing "already exists")
    cfn.delete_stack(StackName="s")
    fixed = failing("RetainExceptOnCreate")
    fixed["Resources"]["Bad"]["Properties"]["QueueName"] = "now.fifo"
    assert apply_stack(cfn, "s", fixed)["StackStatus"] == "CREATE_COMPLETE"


def test_plain_retain_keeps_what_a_failed_create_made(cfn, emu):
    """The trap RetainExceptOnCreate exists for: the retry would fail "already exists"."""
    apply_stack(cfn, "s", failing("Retain"))
    assert (queues(emu), log_groups(emu), live_keys(emu)) == (["q-kept"], ["/x/y"], 1)


def test_the_api_parameter_deletes_retain_resources_created_by_the_failed_operation(cfn, emu):
    cfn.create_change_set(
        StackName="s", ChangeSetName="cs", ChangeSetType="CREATE", TemplateBody=json.dumps(failing("Retain"))
    )
    cfn.execute_change_set(StackName="s", ChangeSetName="cs", RetainExceptOnCreate=True)
    assert stack(cfn, "s")["StackStatus"] == "ROLLBACK_COMPLETE"
    assert (queues(emu), log_groups(emu), live_keys(emu)) == ([], [], 0)
    cfn.delete_stack(StackName="s")
    cfn.create_stack(StackName="t", TemplateBody=json.dumps(failing("Retain")), RetainExceptOnCreate=True)
    assert stack(cfn, "t")["StackStatus"] == "ROLLBACK_COMPLETE"
    assert (queues(emu), log_groups(emu), live_keys(emu)) == ([], [], 0)


def test_a_failed_update_deletes_what_it_added_with_retain_except_on_create(cfn, emu):
    apply_stack(cfn, "s", {"Resources": {"Q": queue("q-one", "RetainExceptOnCreate")}})
    after = {
        "Resources": {
            "Q": queue("q-one", "RetainExceptOnCreate"),
            "Added": queue("q-added", "RetainExceptOnCreate"),
            "Bad": {**queue("not-fifo", FifoQueue=True), "DependsOn": "Added"},
        }
    }
    cfn.update_stack(StackName="s", TemplateBody=json.dumps(after))
    assert stack(cfn, "s")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert queues(emu) == ["q-one"]  # the added queue is gone; the one from the create is untouched


def test_retain_except_on_create_keeps_the_resource_when_the_stack_is_deleted(cfn, emu):
    template = failing("RetainExceptOnCreate")
    del template["Resources"]["Bad"]
    apply_stack(cfn, "s", template)
    cfn.delete_stack(StackName="s")
    rows = [r[:2] for r in events(cfn, stack_id(cfn, "s")) if r[1].startswith("DELETE_")]
    assert {r for r in rows if r[0] in ("Key", "Logs", "Kept")} == {
        ("Key", "DELETE_SKIPPED"),
        ("Logs", "DELETE_SKIPPED"),
        ("Kept", "DELETE_SKIPPED"),
    }
    assert (queues(emu), log_groups(emu), live_keys(emu)) == (["q-kept"], ["/x/y"], 1)


def stack_id(cfn, name: str) -> str:
    summaries = cfn.list_stacks()["StackSummaries"]
    return next(s["StackId"] for s in summaries if s["StackName"] == name)


def test_a_rolled_back_stack_is_listed_and_deleted_without_recreating_its_resources(cfn, emu):
    """Issue #12 item 5: listing the resources of a ROLLBACK_COMPLETE stack created them again
    (moto's resource map), so `delete` failed QueueAlreadyExists / RepositoryAlreadyExists."""
    template = {
        "Resources": {
            "Repo": {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "hana-x/api"}},
            "Q": queue("q-one"),
            "Bad": {**queue("not-fifo", FifoQueue=True), "DependsOn": ["Repo", "Q"]},
        }
    }
    assert apply_stack(cfn, "s", template)["StackStatus"] == "ROLLBACK_COMPLETE"
    cfn.list_stack_resources(StackName="s")  # the first listing used to create them again
    listed = cfn.list_stack_resources(StackName="s")["StackResourceSummaries"]
    assert {r["LogicalResourceId"] for r in listed} <= {"Repo", "Q", "Bad"}
    assert all(r["ResourceStatus"] != "CREATE_COMPLETE" for r in listed)
    cfn.describe_stack_resources(StackName="s")
    assert queues(emu) == [] and emu.client("ecr").describe_repositories()["repositories"] == []
    cfn.delete_stack(StackName="s")
    with pytest.raises(ClientError, match="does not exist"):
        stack(cfn, "s")


# --- IMPORT change sets ------------------------------------------------------------------------
# "During an import operation, you create a change set that imports your existing resources into a
# stack or creates a new stack from your existing resources ... Each resource to import must have a
# DeletionPolicy attribute" (User Guide, "Bringing existing resources into CloudFormation
# management"); the identifier is the type's identifier property, "for example, BucketName for
# AWS::S3::Bucket resources" (API reference, ResourceToImport).

BUCKET = {"Type": "AWS::S3::Bucket", "DeletionPolicy": "RetainExceptOnCreate", "Properties": {"BucketName": "b-one"}}


def kept_bucket(cfn, emu) -> None:
    """A bucket with an object, left behind by a deleted stack."""
    apply_stack(cfn, "old", {"Resources": {"B": BUCKET, "Q": queue("q-one", "RetainExceptOnCreate")}})
    emu.client("s3").put_object(Bucket="b-one", Key="data.txt", Body=b"kept")
    cfn.delete_stack(StackName="old")


def import_change_set(cfn, template: dict, resources: list[dict]) -> dict:
    cfn.create_change_set(
        StackName="new",
        ChangeSetName="imp",
        ChangeSetType="IMPORT",
        TemplateBody=json.dumps(template),
        ResourcesToImport=resources,
    )
    return cfn.describe_change_set(StackName="new", ChangeSetName="imp")


QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/q-one"


def test_an_import_change_set_creates_a_stack_from_existing_resources(cfn, emu):
    kept_bucket(cfn, emu)
    template = {"Resources": {"B": BUCKET, "Q": queue("q-one", "RetainExceptOnCreate")}}
    change_set = import_change_set(
        cfn,
        template,
        [
            {
                "ResourceType": "AWS::S3::Bucket",
                "LogicalResourceId": "B",
                "ResourceIdentifier": {"BucketName": "b-one"},
            },
            {
                "ResourceType": "AWS::SQS::Queue",
                "LogicalResourceId": "Q",
                "ResourceIdentifier": {"QueueUrl": QUEUE_URL},
            },
        ],
    )
    assert change_set["Status"] == "CREATE_COMPLETE"
    assert sorted(
        (c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"]) for c in change_set["Changes"]
    ) == [
        ("Import", "B"),
        ("Import", "Q"),
    ]
    cfn.execute_change_set(StackName="new", ChangeSetName="imp")
    assert stack(cfn, "new")["StackStatus"] == "IMPORT_COMPLETE"
    assert [r[:2] for r in events(cfn, "new") if r[0] == "B"] == [("B", "IMPORT_IN_PROGRESS"), ("B", "IMPORT_COMPLETE")]
    listed = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName="new")["StackResourceSummaries"]
    }
    assert listed["B"] == "b-one" and listed["Q"].endswith("/q-one")
    # the normal update after the import: the data is still there, and the stack owns the bucket now
    bigger = {
        "Resources": {**template["Resources"], "Other": queue("q-two")},
        "Outputs": {"B": {"Value": {"Ref": "B"}}},
    }
    assert apply_stack(cfn, "new", bigger)["StackStatus"] == "UPDATE_COMPLETE"
    assert emu.client("s3").get_object(Bucket="b-one", Key="data.txt")["Body"].read() == b"kept"
    with pytest.raises(ClientError, match="already exists in stack"):
        cfn.create_change_set(
            StackName="third",
            ChangeSetName="imp",
            ChangeSetType="IMPORT",
            TemplateBody=json.dumps({"Resources": {"B": BUCKET}}),
            ResourcesToImport=[
                {
                    "ResourceType": "AWS::S3::Bucket",
                    "LogicalResourceId": "B",
                    "ResourceIdentifier": {"BucketName": "b-one"},
                }
            ],
        )


IMPORT_B = [
    {"ResourceType": "AWS::S3::Bucket", "LogicalResourceId": "B", "ResourceIdentifier": {"BucketName": "b-one"}}
]


@pytest.mark.parametrize(
    ("template", "resources", "message"),
    [
        pytest.param(
            {"Resources": {"B": {**BUCKET, "Properties": {"BucketName": "b-other"}}}},
            IMPORT_B,
            r"does not match the template's BucketName \[b-other\]",
            id="identifier-does-not-match-template",
        ),
        pytest.param(
            {"Resources": {"B": {k: v for k, v in BUCKET.items() if k != "DeletionPolicy"}}},
            IMPORT_B,
            "must have DeletionPolicy attribute",
            id="no-deletion-policy",
        ),
        pytest.param(
            {"Resources": {"B": BUCKET, "New": queue("q-new")}},
            IMPORT_B,
            r"not being imported",
            id="creates-something-too",
        ),
        pytest.param(
            {"Resources": {"B": BUCKET}, "Outputs": {"B": {"Value": "x"}}},
            IMPORT_B,
            r"cannot modify or add \[Outputs\]",
            id="adds-outputs",
        ),
        pytest.param(
            {"Resources": {"B": {**BUCKET, "Properties": {"BucketName": "b-missing"}}}},
            [{**IMPORT_B[0], "ResourceIdentifier": {"BucketName": "b-missing"}}],
            "was not found",
            id="resource-does-not-exist",
        ),
        pytest.param(
            {"Resources": {"B": BUCKET}},
            [{**IMPORT_B[0], "ResourceIdentifier": {"Name": "b-one"}}],
            r"identified by \[BucketName\]",
            id="wrong-identifier-property",
        ),
    ],
)
def test_an_import_aws_would_refuse_is_refused(cfn, emu, template, resources, message):
    kept_bucket(cfn, emu)
    with pytest.raises(ClientError, match=message):
        import_change_set(cfn, template, resources)
    assert "new" not in {s["StackName"] for s in cfn.describe_stacks()["Stacks"]}
