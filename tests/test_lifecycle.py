"""Data is never lost by deleting or replacing a stack: every stateful resource in every
generated template keeps its data (RetainExceptOnCreate on delete, Retain on replacement) or
leaves a final snapshot (Snapshot); and a failed first create leaves nothing behind
(RetainExceptOnCreate deletes what the rolled-back operation created; ARCHITECTURE.md 5)."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

# Resource types that hold data (or keys to data) a person would miss.
STATEFUL = {
    "AWS::RDS::DBInstance": {"Snapshot"},
    "AWS::ElastiCache::ReplicationGroup": {"Snapshot"},
    "AWS::S3::Bucket": {"RetainExceptOnCreate"},
    "AWS::ECR::Repository": {"RetainExceptOnCreate"},
    "AWS::SecretsManager::Secret": {"RetainExceptOnCreate"},
    "AWS::SQS::Queue": {"RetainExceptOnCreate"},
    "AWS::Logs::LogGroup": {"RetainExceptOnCreate"},
    "AWS::KMS::Key": {"RetainExceptOnCreate"},
}
# UpdateReplacePolicy has no RetainExceptOnCreate (DeletionPolicy only): the data of a replaced
# resource is kept with Retain, a snapshot with Snapshot.
REPLACE = {"RetainExceptOnCreate": "Retain", "Snapshot": "Snapshot"}


def _stateful():
    for path in sorted((ROOT / "out").glob("*/*.yaml")):
        for logical_id, resource in yaml.safe_load(path.read_text())["Resources"].items():
            if resource["Type"] in STATEFUL:
                yield pytest.param(resource, id=f"{path.parent.name}/{path.stem}/{logical_id}")


@pytest.mark.parametrize("resource", list(_stateful()))
def test_stateful_resources_survive_delete_and_replacement(resource):
    allowed = STATEFUL[resource["Type"]]
    assert resource.get("DeletionPolicy") in allowed
    assert resource.get("UpdateReplacePolicy") == REPLACE[resource["DeletionPolicy"]]


def test_no_plain_retain_left():
    """Plain Retain keeps what a failed first create made, so the retry fails "already exists"."""
    for path in sorted((ROOT / "out").glob("*/*.yaml")):
        for logical_id, resource in yaml.safe_load(path.read_text())["Resources"].items():
            assert resource.get("DeletionPolicy") != "Retain", f"{path.parent.name}/{path.stem}/{logical_id}"


def test_every_stateful_type_is_in_the_templates():
    """The table above is not stale: each type it lists is really generated somewhere."""
    found = {r.values[0]["Type"] for r in _stateful()}
    assert found == set(STATEFUL)
