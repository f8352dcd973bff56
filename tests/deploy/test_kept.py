"""deploy/engine/kept.py: the one lookup of an environment's kept resources. `all` asks AWS once
(the preflight hands its lookup to the deploy); a KMS alias left over outside its stack is found and
`all --adopt` deletes it before the imports (the stack creates it again for its key)."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.commands import App
from deploy.engine import adopt, kept
from deploy.engine.project import Project
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project
from tests.deploy.test_cli import invoke


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path, T.STACKS)


def test_all_looks_up_the_kept_resources_once(moto, project, monkeypatch):
    calls: list[Any] = []
    real = kept.find

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[2] if len(args) > 2 else kwargs.get("keys"))
        return real(*args, **kwargs)

    monkeypatch.setattr(kept, "find", counted)
    aws = moto_aws(moto)
    app = App(project_factory=lambda env: project, aws_factory=lambda s, r: aws, interactive=lambda: False)
    done = invoke(["all"], app)
    assert done.exit_code == 0, done.output
    assert len(calls) == 1  # the preflight's; the deploy reused it


def test_a_left_over_alias_is_found_and_deleted_before_an_adopt(moto):
    aws = moto_aws(moto)
    project = Project.default("dev")
    kms = aws.client("kms")
    key = kms.create_key(Description="orphan")["KeyMetadata"]["KeyId"]
    name = next(w.name for w in kept.wanted(project, "123456789012", aws.region) if w.type == "AWS::KMS::Alias")
    kms.create_alias(AliasName=name, TargetKeyId=key)

    found = [k for k in kept.find(project, aws) if k.type == "AWS::KMS::Alias"]
    assert [(k.label, k.target) for k in found] == [(name, key)]
    notes = adopt.restore(aws, found)
    assert notes == [
        f"KMS alias {name} was left over (pointing at key {key}): deleted; {found[0].stack} creates it again for its key"
    ]
    assert name not in {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    assert kept.find(project, aws, [found[0].stack]) == []
