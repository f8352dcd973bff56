"""Fixtures of the operations tests: the local emulator (hana_emulator: moto on 127.0.0.1 with
hana-infra's CloudFormation extensions), isolated AWS settings, a loopback-only network guard,
an empty PATH for fake executables, and the small storage/compute project (tests/ops/templates.py).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

import hana_emulator as emulator
from deploy.aws.session import Aws, Settings
from deploy.commands import App
from deploy.engine.cfn import Timing
from deploy.engine.project import Project
from deploy.ops.context import Ops
from hana_templates import config
from tests.deploy.conftest import isolated_aws  # noqa: F401 - the autouse fixture, here too
from tests.ops import templates as T
from tests.ops.fakes import FakeBin

_LOOPBACK = {"127.0.0.1", "localhost", "::1", None}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any name lookup other than loopback fails the test: no traffic leaves this machine."""
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else host
        if name not in _LOOPBACK:
            raise AssertionError(f"a test tried to reach {name}: only loopback is allowed")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[emulator.Emulator]:
    with emulator.start() as server:
        yield server


@pytest.fixture
def moto(emulator_server: emulator.Emulator) -> str:
    """The local emulator's URL (moto with hana-infra's extensions), every backend reset: they are
    shared by every server in this process."""
    emulator_server.reset()
    return emulator_server.url


class AwsAt(Aws):
    """Every client goes to `url` (moto), but the settings say "real AWS" (no endpoint): for the
    paths that behave differently against the local emulator (push's registry)."""

    def __init__(self, url: str, settings: Settings, region: str, session: Any):
        self._url = url
        super().__init__(settings, region, session=session)

    @property
    def endpoint_url(self) -> str | None:
        return self._url


def session() -> Any:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")


def aws_on(url: str, env: str = "dev", as_real_aws: bool = False, profile: str | None = None) -> Aws:
    if as_real_aws:
        return AwsAt(url, Settings(env=env, profile=profile), "us-east-1", session())
    return Aws(Settings(env=env, endpoint_url=url, profile=profile), "us-east-1", session=session())


def fast() -> Timing:
    return Timing(poll_min=0.0, poll_max=0.0, timeout=30.0, sleep=lambda seconds: None)


def make_project(root: Path, env: str, service_url: str | None = None) -> Project:
    out = root / "out"
    (out / env).mkdir(parents=True, exist_ok=True)
    (out / env / "storage.yaml").write_text(T.storage_body(env))
    body = T.compute_body(env, service_url) if service_url else T.compute_body(env)
    (out / env / "compute.yaml").write_text(body)
    return Project(config.get(env), {"storage": T.STORAGE, "compute": T.COMPUTE}, out)


def deploy_stacks(url: str, project: Project, counts: dict[str, int] | None = None) -> None:
    """storage and compute with create_stack (moto gives such stacks their outputs)."""
    cfn = session().client("cloudformation", endpoint_url=url)
    cfn.create_stack(StackName=project.stack_name("storage"), TemplateBody=project.body("storage"))
    uri = {
        o["OutputKey"]: o["OutputValue"]
        for o in cfn.describe_stacks(StackName=project.stack_name("storage"))["Stacks"][0]["Outputs"]
    }["EcrRepositoryUri"]
    cfn.create_stack(
        StackName=project.stack_name("compute"),
        TemplateBody=project.body("compute"),
        Parameters=[
            {"ParameterKey": "EcrRepositoryUri", "ParameterValue": uri},
            # explicit: moto passes a Number parameter's Default to ECS as a string (HTTP 500)
            *({"ParameterKey": f"{T.TITLES[s]}DesiredCount", "ParameterValue": "0"} for s in T.SERVICES),
        ],
    )
    ecs = session().client("ecs", endpoint_url=url)
    for svc, n in (counts or {}).items():  # moto's services start stable only at 0 tasks: scale them after
        ecs.update_service(cluster=f"hana-{project.env}", service=f"hana-{project.env}-{svc}", desiredCount=n)


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeBin:
    """An empty directory that is the whole PATH: only the programs a test adds exist."""
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", str(path))
    return FakeBin(path)


def app_for(project: Project, aws: Any, interactive: bool = False) -> App:
    return App(
        project_factory=lambda env: project,
        aws_factory=lambda settings, region: aws,
        timing=fast(),
        interactive=lambda: interactive,
    )


def ops_for(aws: Any, env: str = "dev", emit: Any = None) -> Ops:
    cfg = config.get(env)
    return Ops(aws, cfg, f"python -m deploy --env {env}", timing=fast(), emit=emit or (lambda text: None))
