"""Deployer test fixtures: an in-process moto server on 127.0.0.1, isolated AWS settings, and
small purpose-built projects (registry + out/ directory) made of types moto really creates.

TEST-ONLY SHIMS (see /work/shared/notes/moto-as-cloudformation.md §3.6): moto 5.2.5 gives a stack
made or updated through a change set no Outputs and no Exports, and its CloudFormation model of
AWS::KMS::Key passes CloudFormation's `Tags: [{Key, Value}]` to KMS, which wants TagKey/TagValue
(HTTP 500). `_patch_moto` wraps the private methods involved, in this process only (the server
runs in a thread here), for the session. The emulator (deploy/emulator/, issue #6) will provide
the full versions; then this shim goes and the fixture uses that instead.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from deploy.project import Project
from deploy.session import Aws, Settings
from hana_templates import config

MOTO_VERSION = "5.2.5"  # the shims below touch moto-private methods of exactly this version


def _patch_moto(mp: pytest.MonkeyPatch) -> None:
    import moto
    from moto.cloudformation.models import CloudFormationBackend
    from moto.kms.models import Key

    assert moto.__version__ == MOTO_VERSION, f"the test shim was written for moto {MOTO_VERSION}"
    execute = CloudFormationBackend.execute_change_set
    create = CloudFormationBackend.create_change_set

    def execute_change_set(self, change_set_name, stack_name=None):  # type: ignore[no-untyped-def]
        execute(self, change_set_name, stack_name)
        change_set = self.describe_change_set(change_set_name)
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()  # rebuild the output map from the executed template
        stack.output_map = stack._create_output_map()
        stack.description = stack.template_dict.get("Description")
        for export in stack.exports:
            self.exports[export.name] = export

    def create_change_set(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = create(self, *args, **kwargs)
        change_set = self.describe_change_set(result[0])
        change_set.stack.cross_stack_resources = self.exports  # a CREATE change set sees existing exports
        change_set.stack.resource_map.cross_stack_resources = self.exports
        return result

    kms_create = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def kms_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        props = dict(cloudformation_json.get("Properties") or {})
        props["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props.get("Tags") or []]
        return kms_create(
            cls, resource_name, {**cloudformation_json, "Properties": props}, account_id, region_name, **kwargs
        )

    mp.setattr(CloudFormationBackend, "execute_change_set", execute_change_set)
    mp.setattr(CloudFormationBackend, "create_change_set", create_change_set)
    mp.setattr(Key, "create_from_cloudformation_json", classmethod(kms_from_cfn))


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with pytest.MonkeyPatch.context() as mp:
        _patch_moto(mp)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        _, port = server.get_host_and_port()
        yield f"http://127.0.0.1:{port}"
        server.stop()


@pytest.fixture(autouse=True)
def isolated_aws(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's AWS config or reaches AWS (no IMDS either)."""
    home = tmp_path_factory.mktemp("aws-home")
    (home / "config").write_text("")
    (home / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("HOME", str(home))
    for var in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def moto(moto_server: str) -> str:
    """The moto server's URL, its state reset (moto leaves poison behind after a 500)."""
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 - loopback
        assert json.load(reply) == {"status": "ok"}
    return moto_server


def moto_aws(url: str, env: str = "dev", region: str = "us-east-1") -> Aws:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    return Aws(Settings(env=env, endpoint_url=url), region, session=session)


def write_project(root: Path, stacks: dict, env: str = "dev", extra: dict[str, str] | None = None) -> Project:
    """A Project over `stacks` ({StackSpec: template body}) with its own out/<env>/ under `root`."""
    out = root / "out"
    (out / env).mkdir(parents=True, exist_ok=True)
    for spec, body in stacks.items():
        (out / env / f"{spec.name}.yaml").write_text(body)
    for name, body in (extra or {}).items():
        (out / env / f"{name}.yaml").write_text(body)
    return Project(config.get(env), {spec.name: spec for spec in stacks}, out)
