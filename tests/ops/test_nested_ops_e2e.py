"""A nested deployment (`python -m deploy main --local`) through every command (issue #12): status,
outputs and plan see its children; doctor, drift, health, logs, scale, restart, secrets and exec
find them (or the names they share with the separate stacks); push rolls the image out through the
master's ImageTag, keeping the live desired counts, and reports the compute child's failure; delete
leaves nothing.

The templates are a copy of the repository's out/dev/ in tmp_path, so the test can change one."""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import hana_emulator as emulator
from deploy.commands import App, cli
from deploy.engine.project import DEFAULT_OUT, Project
from deploy.errors import DeployError
from deploy.ops import drift, ecs
from deploy.ops.context import Ops
from hana_emulator.client import URL_VARIABLE
from hana_templates import config, naming, registry
from tests.ops import fakes
from tests.ops.conftest import aws_on, fast
from tests.ops.test_local_e2e import Run, desired
from tests.test_docs import parse

ENV = "dev"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    shutil.copytree(DEFAULT_OUT / ENV, tmp_path / "out" / ENV)
    return tmp_path / "out"


@pytest.fixture
def cli_run(emulator_server: emulator.Emulator, out: Path) -> Callable[..., Run]:
    """`python -m deploy --env dev ARGS --local` (or, with mode=[...], those options) over the copy."""
    emulator_server.reset()
    env = {**emulator.client_env(emulator_server.url), URL_VARIABLE: emulator_server.url}
    env |= dict.fromkeys(emulator.LOCAL_ENV_UNSET)

    def invoke(*args: str, mode: tuple[str, ...] = ("--local",), input: str | None = None) -> Run:  # noqa: A002
        app = App(
            interactive=lambda: False,
            timing=fast(),
            project_factory=lambda name: Project(config.get(name), registry.STACKS, out),
        )
        result = CliRunner().invoke(cli, ["--env", ENV, *args, *mode], env=env, obj=app, input=input)
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke


def _stacks(server: emulator.Emulator) -> dict[str, dict[str, Any]]:
    return {s["StackName"]: s for s in server.client("cloudformation").describe_stacks()["Stacks"]}


def _child(server: emulator.Emulator, logical: str) -> dict[str, Any]:
    master = f"hana-{ENV}-"
    found = [s for name, s in _stacks(server).items() if name.startswith(f"{master}{logical}-")]
    assert len(found) == 1, sorted(_stacks(server))
    return found[0]


def _images(server: emulator.Emulator, cfg: config.EnvConfig) -> dict[str, str]:
    """service -> the image of its running task definition."""
    ecs = server.client("ecs")
    names = [naming.name(cfg, s.name) for s in cfg.services]
    found = {}
    for svc in ecs.describe_services(cluster=naming.prefix(cfg), services=names)["services"]:
        td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
        found[svc["serviceName"].rsplit("-", 1)[-1]] = td["containerDefinitions"][0]["image"]
    return found


def test_a_nested_deployment_through_status_outputs_plan_operations_push_and_delete(
    cli_run, emulator_server, out, fake_bin, tmp_path, monkeypatch
):
    cfg = config.get(ENV)
    deployed = cli_run("main")
    assert deployed.code == 0, deployed.stdout + deployed.stderr
    master = f"hana-{ENV}"
    assert _stacks(emulator_server)[master]["StackStatus"] == "CREATE_COMPLETE"

    # status: every child deployed, under its CloudFormation name
    status = cli_run("status")
    assert status.code == 0, status.stderr
    assert "NOT DEPLOYED" not in status.stdout
    for key in registry.order(registry.STACKS):
        child = _child(emulator_server, key[:1].upper() + key[1:])
        assert child["StackName"] in status.stdout

    # outputs of the compute child
    outputs = cli_run("outputs", "compute", "--json")
    assert outputs.code == 0, outputs.stderr
    assert json.loads(outputs.stdout)["ClusterName"] == naming.prefix(cfg)

    # plan: nothing to change; then a changed child template shows as that child's change
    plan = cli_run("plan")
    assert plan.code == 0, plan.stdout + plan.stderr
    assert "to change" not in plan.stdout and " new" not in plan.stdout
    messaging = out / ENV / "messaging.yaml"
    messaging.write_text(
        messaging.read_text().replace("MessageRetentionPeriod: 1209600", "MessageRetentionPeriod: 1209599", 1)
    )
    changed = cli_run("plan", "messaging")
    assert changed.code == 0, changed.stdout + changed.stderr
    name = _child(emulator_server, "Messaging")["StackName"]
    assert f"{name}: 0 to add, 1 to modify, 0 to remove" in changed.stdout, changed.stdout
    shutil.copy(DEFAULT_OUT / ENV / "messaging.yaml", messaging)

    # doctor: reads the children and the master, not "not deployed"
    doctor = cli_run("doctor", "--json")
    checks = {c["id"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["stacks"]["state"] == "pass", checks["stacks"]
    assert checks["stacks"]["evidence"][0].startswith("10 stacks deployed")

    # drift: one detection per child, by its name (moto has no DetectStackDrift: the detection is recorded)
    detected: list[str] = []

    def record(ops: Any, key: str, stack: str) -> drift.StackDrift:
        detected.append(stack)
        return drift.StackDrift(key, stack, "IN_SYNC", detection="DETECTION_COMPLETE")

    real_detect = drift.detect
    monkeypatch.setattr(drift, "detect", record)
    drifted = cli_run("drift")
    assert drifted.code == 0, drifted.stdout + drifted.stderr
    children = {n for n in _stacks(emulator_server) if n != master}
    assert sorted(detected) == sorted(children) and len(children) == len(registry.STACKS)
    detected.clear()
    one = cli_run("drift", _child(emulator_server, "Network")["StackName"])
    assert one.code == 0, one.stdout + one.stderr
    assert detected == [_child(emulator_server, "Network")["StackName"]]
    monkeypatch.setattr(drift, "detect", real_detect)

    # health: finds the compute child's URL (the emulator's load balancer serves no traffic)
    health = cli_run("health")
    assert health.code == 2 and "Compute-" in health.stderr and "serves no traffic" in health.stderr

    # secrets, scale, restart, logs: the names the children created
    listing = cli_run("secrets", "list")
    assert listing.code == 0 and f"`{naming.secret_name(cfg, 'anthropic-api-key')}`" in listing.stdout
    up = cli_run("scale", "--count", "1")
    assert up.code == 0, up.stdout + up.stderr
    assert desired(emulator_server, cfg) == {s.name: 1 for s in cfg.services}
    restarted = cli_run("restart", "api")
    assert restarted.code == 0 and restarted.stdout.startswith("restarted api"), restarted.stderr
    logs = cli_run("logs", "workers", "--since", "1h")
    assert logs.code == 0 and logs.stderr.startswith(naming.service_log_group(cfg, "workers")), logs.stderr

    # exec: refused with --local (the emulator runs no containers); its task lookup finds the service
    refused = cli_run("exec")
    assert refused.code == 2 and "the local emulator runs none" in refused.stderr
    with pytest.raises(DeployError) as lookup:
        ecs.find_task(Ops(aws_on(emulator_server.url), cfg, "python -m deploy --env dev --local"), "api")
    assert "does not exist" not in str(lookup.value) and naming.name(cfg, "api") in str(lookup.value)

    # push: through the master's ImageTag; the compute child's task definitions get the tag, counts stay
    context = tmp_path / "app"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\n")
    fake_bin.add("docker", fakes.DOCKER)
    later = cli_run("push", "--context", str(context), "--tag", "rc1", "--no-rollout")
    assert later.code == 0, later.stdout + later.stderr
    hint = f"python -m deploy --env dev --local push --context {context} --tag rc1"
    assert later.stdout.strip().splitlines()[-1] == f"not rolled out: run `{hint}` when ready"
    assert parse(shlex.split(hint)[3:])
    main_yaml = out / ENV / "main.yaml"  # out/ moved on since the deploy: the rollout changes the image only
    deployed_main = main_yaml.read_text()
    main_yaml.write_text(deployed_main.replace("Description: '", "Description: 'changed ", 1))
    before = {n: s.get("LastUpdatedTime") for n, s in _stacks(emulator_server).items()}
    pushed = cli_run(*shlex.split(hint)[6:])  # the hint, as printed (cli_run adds --env dev --local)
    assert pushed.code == 0, pushed.stdout + pushed.stderr
    assert f"ImageTag latest -> rc1 in {master}" in pushed.stderr
    assert f"out/dev/main.yaml differs from the deployed {master}: this rollout changes the image only" in (
        pushed.stderr
    )
    live_main = emulator_server.client("cloudformation").get_template(StackName=master)["TemplateBody"]
    assert "changed" not in str(live_main)
    main_yaml.write_text(deployed_main)
    params = {p["ParameterKey"]: p["ParameterValue"] for p in _stacks(emulator_server)[master]["Parameters"]}
    assert params["ImageTag"] == "rc1"
    assert {params[f"{s.name.capitalize()}DesiredCount"] for s in cfg.services} == {"1"}  # the live counts
    assert all(image.endswith(":rc1") for image in _images(emulator_server, cfg).values())
    assert desired(emulator_server, cfg) == {s.name: 1 for s in cfg.services}
    after = {n: s.get("LastUpdatedTime") for n, s in _stacks(emulator_server).items()}
    compute = _child(emulator_server, "Compute")["StackName"]
    assert {n for n in after if after[n] != before[n]} == {master, compute}  # only the image changed

    # a rollout the compute child cannot take: the child's failed resource is what push reports
    from moto.ecs import models as ecs_models
    from moto.ecs.exceptions import InvalidParameterException

    register = ecs_models.EC2ContainerServiceBackend.register_task_definition

    def refuse_rc2(self: Any, *args: Any, **kwargs: Any) -> Any:
        images = [c.get("image", "") for c in kwargs.get("container_definitions") or args[1]]
        if any(i.endswith(":rc2") for i in images):
            raise InvalidParameterException("the image rc2 is refused by this test")
        return register(self, *args, **kwargs)

    monkeypatch.setattr(ecs_models.EC2ContainerServiceBackend, "register_task_definition", refuse_rc2)
    failed = cli_run("push", "--context", str(context), "--tag", "rc2")
    monkeypatch.setattr(ecs_models.EC2ContainerServiceBackend, "register_task_definition", register)
    assert failed.code == 1, failed.stdout + failed.stderr
    error = failed.stderr.strip().splitlines()[-1]
    assert error.startswith(f"error: rollout of rc2 failed: {compute}: ") and "TaskDefinition" in error, error
    assert "the image rc2 is refused by this test" in error
    assert error.endswith("; hana-dev rolled back (UPDATE_ROLLBACK_COMPLETE): the services keep their image"), error
    params = {p["ParameterKey"]: p["ParameterValue"] for p in _stacks(emulator_server)[master]["Parameters"]}
    assert params["ImageTag"] == "rc1" and all(i.endswith(":rc1") for i in _images(emulator_server, cfg).values())

    # delete: nothing left
    done = cli_run("delete", "--yes")
    assert done.code == 0, done.stdout + done.stderr
    assert _stacks(emulator_server) == {}
