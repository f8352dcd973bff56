"""Deployer test fixtures: the local AWS emulator (hana_emulator: moto on 127.0.0.1 with our
CloudFormation extensions) in-process, isolated AWS settings, and small purpose-built projects
(registry + out/ directory).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

import hana_emulator as emulator
from deploy.aws.session import Aws, Settings
from deploy.engine.project import Project
from hana_templates import config


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[emulator.Emulator]:
    with emulator.start() as server:
        yield server


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
def moto(emulator_server: emulator.Emulator) -> str:
    """The emulator's URL, its state reset so every test starts from an empty account."""
    emulator_server.reset()
    return emulator_server.url


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
