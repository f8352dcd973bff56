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
from collections.abc import Callable
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
def cli_on(emulator_server: emulator.Emulator) -> Callable[..., Callable[..., Run]]:
    """`cli_on(out)`: run the CLI with `--local` over the templates in `out` (default: the repository's)."""
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

    return make


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
    assert "deleting it and creating it again" in again.stdout
    assert "5 created, 4 unchanged" in again.stdout
    assert set(stack_statuses(emulator_server).values()) == {"CREATE_COMPLETE"}
    # nothing left over: exactly the keys and log groups the templates declare
    assert live_keys(emulator_server) == len(template_resources(out, "dev", "AWS::KMS::Key"))
    named = {r["Properties"]["LogGroupName"] for r in template_resources(out, "dev", "AWS::Logs::LogGroup")}
    assert all(isinstance(n, str) for n in named)
    assert log_groups(emulator_server) == named
