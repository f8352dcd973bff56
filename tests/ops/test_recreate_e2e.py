"""The lifecycle paths of issue #12 on the emulator, with the real stacks of out/<env>/ and the
CLI as a user runs it (`--local`):

- a failed first create is retryable: a stack fails half-way through its first create, the
  summary promises "the next deploy deletes the failed stack and creates it again", and the next
  `all` (after the cause is fixed) really gives a complete environment, with nothing left over
  from the failed tries (no orphaned log group, no extra KMS keys);
- re-create after delete: `delete --yes` keeps the data (RetainExceptOnCreate), `all` refuses
  before writing anything and lists the names that exist outside any stack with the way out,
  `all --adopt` imports them into the new stacks, and the data is still there."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import hana_emulator as emulator
from deploy.commands import App, cli
from deploy.engine.project import DEFAULT_OUT, Project
from hana_emulator.client import URL_VARIABLE
from hana_templates import config, registry
from tests.ops.conftest import fast

HINT = "(the next deploy deletes the failed stack and creates it again)"


@dataclasses.dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def copy_out(tmp_path: Path, env: str) -> Path:
    out = tmp_path / "out"
    shutil.copytree(DEFAULT_OUT / env, out / env)
    return out


@pytest.fixture
def cli_on(emulator_server: emulator.Emulator) -> Iterator[Callable[..., Callable[..., Run]]]:
    """`cli_on(out)`: run the CLI with `--local` over the templates in `out` (default: the repository's).
    The emulator is reset before and after: a whole environment must not leak into later tests."""
    emulator_server.reset()
    env = {**emulator.client_env(emulator_server.url), URL_VARIABLE: emulator_server.url}
    env |= dict.fromkeys(emulator.LOCAL_ENV_UNSET)

    def make(out: Path | None = None) -> Callable[..., Run]:
        def factory(name: str) -> Project:
            return Project(config.get(name), registry.STACKS, out or DEFAULT_OUT)

        def invoke(*args: str, input: str | None = None) -> Run:  # noqa: A002
            app = App(interactive=lambda: False, timing=fast(), project_factory=factory)
            result = CliRunner().invoke(cli, [*args, "--local"], env=env, obj=app, input=input)
            return Run(result.exit_code, result.stdout, result.stderr)

        return invoke

    yield make
    emulator_server.reset()


def template_resources(out: Path, env: str, rtype: str, stacks: set[str] | None = None) -> list[dict[str, Any]]:
    """The resources of type `rtype` in out/<env>/ (of the stack names `stacks`, default all)."""
    found = []
    for path in sorted((out / env).glob("*.yaml")):
        if path.stem == "main" or (stacks is not None and f"hana-{env}-{path.stem}" not in stacks):
            continue
        for res in (yaml.safe_load(path.read_text())["Resources"] or {}).values():
            if res["Type"] == rtype:
                found.append(res)
    return found


def s3_store() -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[emulator.ACCOUNT_ID]["aws"]


def live_keys(server: emulator.Emulator) -> int:
    kms = server.client("kms")
    metadata = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
    return sum(1 for m in metadata if m["KeyState"] != "PendingDeletion")


def log_groups(server: emulator.Emulator) -> set[str]:
    return {g["logGroupName"] for g in server.client("logs").describe_log_groups()["logGroups"]}


def stack_statuses(server: emulator.Emulator) -> dict[str, str]:
    cfn = server.client("cloudformation")
    return {s["StackName"]: s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]}


def test_a_failed_first_create_is_retried_by_the_next_deploy_and_leaves_nothing(cli_on, emulator_server, tmp_path):
    out = copy_out(tmp_path, "dev")
    network = out / "dev" / "network.yaml"
    good = network.read_text()
    assert good.count("CidrBlock: 10.0.5.0/24") == 1
    # One subnet outside the VPC's range: CreateSubnet fails half-way through network's first create,
    # after its flow-log key and log group were created (InvalidSubnet.Range, as on AWS).
    network.write_text(good.replace("CidrBlock: 10.0.5.0/24", "CidrBlock: 10.9.5.0/24"))
    run = cli_on(out)
    keys_seen = []
    for _attempt in range(3):  # the issue saw 8 -> 11 -> 14 keys: each failed try must leave nothing
        failed = run("--env", "dev", "all")
        assert failed.code == 1
        assert "network        failed" in failed.stdout and "ROLLBACK_COMPLETE" in failed.stdout
        assert HINT in failed.stdout
        statuses = stack_statuses(emulator_server)
        assert statuses.pop("hana-dev-network") == "ROLLBACK_COMPLETE"
        # the stacks that do not read network (storage, secrets, messaging) were created meanwhile
        assert set(statuses.values()) == {"CREATE_COMPLETE"}, statuses
        ok = set(statuses)
        keys_seen.append(live_keys(emulator_server))
        assert keys_seen[-1] == len(template_resources(out, "dev", "AWS::KMS::Key", ok))
        logs = {r["Properties"]["LogGroupName"] for r in template_resources(out, "dev", "AWS::Logs::LogGroup", ok)}
        assert log_groups(emulator_server) == logs  # no /vpc/hana-dev/flow-logs from network's rollback
    assert len(set(keys_seen)) == 1, keys_seen

    network.write_text(good)  # the cause fixed; now the hint: the next deploy
    again = run("--env", "dev", "all")
    assert again.code == 0, again.stdout + again.stderr
    # Notes print as they happen (stderr), not again in the summary (one display).
    assert "deleting it and creating it again" in again.stderr
    assert "5 created, 4 unchanged" in again.stdout
    assert set(stack_statuses(emulator_server).values()) == {"CREATE_COMPLETE"}
    # nothing left over: exactly the keys and log groups the templates declare
    assert live_keys(emulator_server) == len(template_resources(out, "dev", "AWS::KMS::Key"))
    named = {r["Properties"]["LogGroupName"] for r in template_resources(out, "dev", "AWS::Logs::LogGroup")}
    assert all(isinstance(n, str) for n in named)
    assert log_groups(emulator_server) == named


# prod: its `delete` stops at the database's deletion protection (issue #12 item 2, teardown work in
# parallel); add "prod" here once prod's teardown completes on the emulator.
@pytest.mark.parametrize("env", ["dev"])
def test_delete_then_all_adopt_brings_the_data_back(env, cli_on, emulator_server):
    cfg = config.get(env)
    if cfg.domain:
        emulator_server.add_hosted_zone(cfg.domain.name.split(".", 1)[1], cfg.domain.hosted_zone_id)
    run = cli_on()
    assert (created := run("--env", env, "all")).code == 0, created.stdout + created.stderr
    keys = live_keys(emulator_server)
    bucket = f"hana-{env}-media-{emulator.ACCOUNT_ID}-{emulator.REGION}"
    secret = f"hana/{env}/anthropic-api-key"
    # straight into the emulator's S3: the bucket policy denies requests without TLS (the emulator is http)
    s3_store().put_object(bucket, "user/1.png", b"picture")
    emulator_server.client("secretsmanager").put_secret_value(SecretId=secret, SecretString="sk-kept")

    delete = ["--env", env, "delete", "--yes"] + (["--confirm-prod"] if cfg.termination_protection else [])
    assert (deleted := run(*delete)).code == 0, deleted.stdout + deleted.stderr
    assert stack_statuses(emulator_server) == {}

    refused = run("--env", env, "all")  # preflight lists every kept name, with the way out
    assert refused.code == 2
    assert refused.stderr.strip().splitlines()[-1].endswith("(listed above); nothing was changed")
    assert bucket in refused.stderr and secret in refused.stderr and f"/vpc/hana-{env}/flow-logs" in refused.stderr
    assert f"`python -m deploy --env {env} --local all --adopt`" in refused.stderr
    assert stack_statuses(emulator_server) == {}  # refused before writing anything

    unchecked = run("--env", env, "all", "--skip-preflight")  # the deployer refuses the same on its own
    assert unchecked.code == 1
    line = unchecked.stderr.strip().splitlines()[-1]
    assert bucket in line and secret in line and f"`python -m deploy --env {env} --local all --adopt`" in line
    assert stack_statuses(emulator_server) == {}

    adopted = run("--env", env, "all", "--adopt")
    assert adopted.code == 0, adopted.stdout + adopted.stderr
    assert "adopted" in adopted.stderr  # a note, printed as it happens
    assert set(stack_statuses(emulator_server).values()) <= {"UPDATE_COMPLETE", "CREATE_COMPLETE"}
    assert len(stack_statuses(emulator_server)) == 9
    assert s3_store().get_object(bucket, "user/1.png").value == b"picture"
    value = emulator_server.client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"]
    assert value == "sk-kept"
    assert live_keys(emulator_server) == keys  # the kept keys were adopted, none added
    cfn = emulator_server.client("cloudformation")
    owned = {
        r["PhysicalResourceId"]
        for name in stack_statuses(emulator_server)
        for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    }
    assert bucket in owned and any(p.endswith(secret) or secret in p for p in owned)

    again = run("--env", env, "all")
    assert again.code == 0 and "9 unchanged" in again.stdout, again.stdout + again.stderr
