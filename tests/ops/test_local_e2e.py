"""The operations commands with `--local` over the real stacks: `python -m deploy all --local`
creates every stack of out/<env>/ in the emulator, then secrets, scale (the real ScalableTargets
in prod), restart, logs, push (fake docker, rollout of the real compute stack), and the commands
that refuse the emulator (health on a load balancer name, exec)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner

import hana_emulator as emulator
from deploy.commands import App, cli
from hana_emulator.client import URL_VARIABLE
from hana_templates import config, naming
from tests.ops import fakes
from tests.ops.conftest import fast

KEY = "sk-ant-api03-" + "Zz9" * 20


@dataclasses.dataclass
class Run:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def run(emulator_server: emulator.Emulator) -> Callable[..., Run]:
    emulator_server.reset()
    env = {**emulator.client_env(emulator_server.url), URL_VARIABLE: emulator_server.url}
    env |= dict.fromkeys(emulator.LOCAL_ENV_UNSET)

    def invoke(*args: str, input: str | None = None) -> Run:  # noqa: A002
        app = App(interactive=lambda: False, timing=fast())
        result = CliRunner().invoke(cli, [*args, "--local"], env=env, obj=app, input=input)
        return Run(result.exit_code, result.stdout, result.stderr)

    return invoke


def client(server: emulator.Emulator, name: str) -> Any:
    return server.client(name)


def desired(server: emulator.Emulator, cfg: config.EnvConfig) -> dict[str, int]:
    names = [naming.name(cfg, s.name) for s in cfg.services]
    reply = client(server, "ecs").describe_services(cluster=naming.prefix(cfg), services=names)
    return {s["serviceName"].rsplit("-", 1)[-1]: s["desiredCount"] for s in reply["services"]}


def ranges(server: emulator.Emulator) -> dict[str, tuple[int, int]]:
    targets = client(server, "application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")
    return {
        t["ResourceId"].rsplit("-", 1)[-1]: (t["MinCapacity"], t["MaxCapacity"]) for t in targets["ScalableTargets"]
    }


def test_operations_on_the_real_stacks(env, run, emulator_server, fake_bin, tmp_path, monkeypatch):
    cfg = config.get(env)
    if cfg.domain:
        emulator_server.add_hosted_zone(cfg.domain.name.split(".", 1)[1], cfg.domain.hosted_zone_id)
    deployed = run("--env", env, "all")
    assert deployed.code == 0, deployed.stdout + deployed.stderr

    # secrets: what the secrets stack created, never a value
    listing = run("--env", env, "secrets", "list")
    assert listing.code == 0, listing.stderr
    for key in naming.API_KEY_SECRETS:
        assert f"| `{naming.secret_name(cfg, key)}` " in listing.stdout
    assert listing.stdout.count("| empty ") == 3 and listing.stdout.count("| set (generated) ") == 4
    stored = run("--env", env, "secrets", "set", "anthropic-api-key", input=KEY)
    assert stored.code == 0, stored.stderr
    value = client(emulator_server, "secretsmanager").get_secret_value(
        SecretId=naming.secret_name(cfg, "anthropic-api-key")
    )
    assert json.loads(value["SecretString"]) == {"api_key": KEY}
    assert "api, workers read it when their tasks start (none is running now)" in stored.stdout

    # scale up to the configured maximum, then stop: counts and (prod) the stack's autoscaling ranges
    autoscaled = [s.name for s in cfg.services if s.autoscaling]
    assert ranges(emulator_server) == {s: (cfg.service(s).min_tasks, cfg.service(s).max_tasks) for s in autoscaled}
    top = max(s.max_tasks for s in cfg.services)
    up = run("--env", env, "scale", "--count", str(top))
    assert up.code == 0, up.stderr
    assert desired(emulator_server, cfg) == {s.name: top for s in cfg.services}
    assert ranges(emulator_server) == {s: (top, top) for s in autoscaled}
    restarted = run("--env", env, "restart", "api")
    assert restarted.code == 0 and restarted.stdout.startswith("restarted api")
    confirm = ["--confirm-prod"] if cfg.termination_protection else []
    down = run("--env", env, "scale", "--count", "0", *confirm)
    assert down.code == 0, down.stderr
    assert desired(emulator_server, cfg) == {s.name: 0 for s in cfg.services}
    assert ranges(emulator_server) == {s: (0, 0) for s in autoscaled}

    # logs: the compute stack's log group exists, nothing has written to it
    logs = run("--env", env, "logs", "workers", "--since", "1h")
    assert logs.code == 0, logs.stderr
    assert logs.stderr.splitlines()[-1] == "no log events in that time"
    assert logs.stderr.startswith(f"{naming.service_log_group(cfg, 'workers')} since ")

    # push: built, not pushed (no registry in the emulator), rolled out through the compute stack
    context = tmp_path / "app"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\n")
    fake_bin.add("docker", fakes.DOCKER)
    pushed = run("--env", env, "push", "--context", str(context), "--tag", "rc1")
    assert pushed.code == 0, pushed.stdout + pushed.stderr
    assert [a[0] for a in fake_bin.argv("docker")] == ["version", "build"]
    compute = client(emulator_server, "cloudformation").describe_stacks(StackName=naming.stack_name(cfg, "compute"))
    params = {p["ParameterKey"]: p["ParameterValue"] for p in compute["Stacks"][0]["Parameters"]}
    assert params["ImageTag"] == "rc1"
    # what the emulator cannot do is refused in one line
    health = run("--env", env, "health")
    assert health.code == 2 and "serves no traffic" in health.stderr
    shell = run("--env", env, "exec")
    assert (
        shell.code == 2 and shell.stderr.strip() == "error: exec needs running containers: the local emulator runs none"
    )


def running_images(server: emulator.Emulator, cfg: config.EnvConfig) -> dict[str, tuple[str, str]]:
    """service -> (its task definition ARN, the image of its first container)."""
    ecs = client(server, "ecs")
    names = [naming.name(cfg, s.name) for s in cfg.services]
    found = {}
    for service in ecs.describe_services(cluster=naming.prefix(cfg), services=names)["services"]:
        task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        found[service["serviceName"]] = (task["taskDefinitionArn"], task["containerDefinitions"][0]["image"])
    return found


def test_the_rollout_reaches_the_task_definitions(run, emulator_server, fake_bin, tmp_path):
    cfg = config.get("dev")
    assert run("all").code == 0
    repository = client(emulator_server, "ecr").describe_repositories(repositoryNames=[naming.ecr_repository(cfg)])
    uri = repository["repositories"][0]["repositoryUri"]
    before = running_images(emulator_server, cfg)
    assert sorted(before) == sorted(naming.name(cfg, s.name) for s in cfg.services)
    assert {image for _, image in before.values()} == {f"{uri}:latest"}  # the stack's default ImageTag

    context = tmp_path / "app"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\n")
    fake_bin.add("docker", fakes.DOCKER)
    assert run("push", "--context", str(context), "--tag", "rc1").code == 0

    # every service runs a new revision of its task definition, with the pushed image
    after = running_images(emulator_server, cfg)
    assert {service: image for service, (_, image) in after.items()} == dict.fromkeys(before, f"{uri}:rc1")
    ecs = client(emulator_server, "ecs")
    for service, (arn, _) in after.items():
        old_arn = before[service][0]
        assert arn.rsplit(":", 1)[0] == old_arn.rsplit(":", 1)[0] and arn != old_arn
        assert ecs.describe_task_definition(taskDefinition=old_arn)["taskDefinition"]["status"] == "INACTIVE"


def test_health_finds_the_compute_stack_of_a_nested_deployment(run):
    assert run("main").code == 0
    health = run("health")
    assert health.code == 2
    assert health.stderr.strip().startswith("error: the emulator's load balancer hana-dev-alb-")
    assert "calls only the URL in hana-dev-Compute-" in health.stderr
