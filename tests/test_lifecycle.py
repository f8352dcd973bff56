"""Data is never lost by deleting or replacing a stack: every stateful resource in every
generated template keeps its data (Retain) or leaves a final snapshot (Snapshot)."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent

# Resource types that hold data (or keys to data) a person would miss.
STATEFUL = {
    "AWS::RDS::DBInstance": {"Snapshot"},
    "AWS::ElastiCache::ReplicationGroup": {"Snapshot"},
    "AWS::S3::Bucket": {"Retain"},
    "AWS::ECR::Repository": {"Retain"},
    "AWS::SecretsManager::Secret": {"Retain"},
    "AWS::SQS::Queue": {"Retain"},
    "AWS::Logs::LogGroup": {"Retain"},
    "AWS::KMS::Key": {"Retain"},
}


def _stateful():
    for path in sorted((ROOT / "out").glob("*/*.yaml")):
        for logical_id, resource in yaml.safe_load(path.read_text())["Resources"].items():
            if resource["Type"] in STATEFUL:
                yield pytest.param(resource, id=f"{path.parent.name}/{path.stem}/{logical_id}")


@pytest.mark.parametrize("resource", list(_stateful()))
def test_stateful_resources_survive_delete_and_replacement(resource):
    allowed = STATEFUL[resource["Type"]]
    assert resource.get("DeletionPolicy") in allowed
    assert resource.get("UpdateReplacePolicy") in allowed


def test_every_stateful_type_is_in_the_templates():
    """The table above is not stale: each type it lists is really generated somewhere."""
    found = {r.values[0]["Type"] for r in _stateful()}
    assert found == set(STATEFUL)
