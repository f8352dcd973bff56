"""`scale` and `restart` against moto's ECS and Application Auto Scaling, and the stability wait
(progress, a failed rollout, the timeout, Ctrl-C) against a scripted ECS."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from deploy.commands import cli
from deploy.engine.plan import FakeClock
from deploy.errors import DeployError, Interrupted
from deploy.ops import ecs
from hana_templates import config
from tests.ops.conftest import app_for, aws_on, deploy_stacks, fast, make_project, ops_for, session
from tests.ops.fakes import FakeEcs, service


def invoke(args, app):
    return CliRunner().invoke(cli, args, obj=app)


def desired(url: str, env: str) -> dict[str, int]:
    client = session().client("ecs", endpoint_url=url)
    names = [f"hana-{env}-{s}" for s in ecs.SERVICES]
    reply = client.describe_services(cluster=f"hana-{env}", services=names)
    return {s["serviceName"].rsplit("-", 1)[-1]: s["desiredCount"] for s in reply["services"]}


def ranges(url: str, env: str) -> dict[str, tuple[int, int]]:
    client = session().client("application-autoscaling", endpoint_url=url)
    reply = client.describe_scalable_targets(ServiceNamespace="ecs")
    return {t["ResourceId"].rsplit("-", 1)[-1]: (t["MinCapacity"], t["MaxCapacity"]) for t in reply["ScalableTargets"]}


def register_autoscaling(url: str, env: str) -> None:
    """What the compute stack creates in prod (moto's CloudFormation skips these resources)."""
    client = session().client("application-autoscaling", endpoint_url=url)
    for svc in config.get(env).services:
        if svc.autoscaling:
            client.register_scalable_target(
                ServiceNamespace="ecs",
                ResourceId=f"service/hana-{env}/hana-{env}-{svc.name}",
                ScalableDimension=ecs.DIMENSION,
                MinCapacity=svc.min_tasks,
                MaxCapacity=svc.max_tasks,
            )


@pytest.fixture
def deployed(moto, tmp_path, env):
    project = make_project(tmp_path, env)
    low = {s.name: s.min_tasks for s in config.get(env).services}
    deploy_stacks(moto, project, counts=low)
    register_autoscaling(moto, env)
    return app_for(project, aws_on(moto, env))


def test_scale_0_stops_the_environment_and_scaling_up_restores_the_configured_range(deployed, moto, env):
    cfg = config.get(env)
    low = {s.name: s.min_tasks for s in cfg.services}
    confirm = ["--confirm-prod"] if cfg.termination_protection else []

    stop = invoke(["--env", env, "scale", "--count", "0", *confirm], deployed)
    assert stop.exit_code == 0, stop.output
    assert desired(moto, env) == dict.fromkeys(ecs.SERVICES, 0)
    assert f"environment {env}: account 123456789012" in stop.stderr
    lines = stop.stdout.splitlines()
    assert lines[0].startswith(f"scale {env}: api, ws, workers at 0 tasks in ")
    assert f"| api     | {low['api']}/{low['api']} running |" in stop.stdout
    assert "| 0/0 running |" in stop.stdout
    autoscaled = [s.name for s in cfg.services if s.autoscaling]
    assert ranges(moto, env) == {s: (0, 0) for s in autoscaled}
    for s in autoscaled:
        assert f"{s} has Application Auto Scaling (range {low[s]}-{cfg.service(s).max_tasks})" in stop.stderr

    start = invoke(["--env", env, "scale", "--count", str(low["api"])], deployed)
    assert start.exit_code == 0, start.output
    assert desired(moto, env) == low
    assert ranges(moto, env) == {s: (low[s], cfg.service(s).max_tasks) for s in autoscaled}


@pytest.mark.parametrize("env", ["prod"])
def test_autoscaling_keeps_a_raised_count(deployed, moto, env):
    result = invoke(["--env", "prod", "scale", "--count", "3", "--service", "api"], deployed)
    assert result.exit_code == 0, result.output
    assert desired(moto, "prod") == {"api": 3, "ws": 2, "workers": 2}
    assert ranges(moto, "prod") == {"api": (3, 4), "ws": (2, 4), "workers": (2, 4)}
    assert "api has Application Auto Scaling (range 2-4): setting the range to 3-4 so it keeps 3 tasks" in result.stderr
    assert "| api     | 2/2 running | 3/3 running | range 2-4 -> 3-4 |" in result.stdout


@pytest.mark.parametrize("env", ["dev"])
def test_one_service_and_an_unchanged_count(deployed, moto, env):
    first = invoke(["scale", "--count", "0", "--service", "ws"], deployed)
    assert first.exit_code == 0, first.output
    assert desired(moto, "dev") == {"api": 1, "ws": 0, "workers": 1}
    assert first.stdout.splitlines()[0].startswith("scale dev: ws at 0 tasks in ")

    again = invoke(["scale", "--count", "0", "--service", "ws"], deployed)
    assert again.exit_code == 0
    assert again.stdout.splitlines()[0] == "scale dev: ws at 0 tasks (already)"


def test_scale_without_compute_says_to_deploy_it(moto, tmp_path):
    app = app_for(make_project(tmp_path, "dev"), aws_on(moto))
    result = invoke(["scale", "--count", "1"], app)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: the ECS cluster hana-dev does not exist in us-east-1: deploy the compute stack first "
        "(`python -m deploy --env dev stack compute`)"
    )


@pytest.mark.parametrize("env", ["dev"])
def test_restart_replaces_running_tasks_and_leaves_stopped_services_alone(deployed, moto, env):
    assert invoke(["scale", "--count", "0", "--service", "workers"], deployed).exit_code == 0
    client = session().client("ecs", endpoint_url=moto)
    before = client.describe_services(cluster="hana-dev", services=["hana-dev-api"])["services"][0]["deployments"][0]

    result = invoke(["restart"], deployed)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "restarted api, ws"
    assert result.stdout.splitlines()[-1] == "not running (0 tasks), left alone: workers"
    after = client.describe_services(cluster="hana-dev", services=["hana-dev-api"])["services"][0]["deployments"][0]
    assert after["id"] != before["id"]  # a new deployment: new tasks


# --- the stability wait, scripted --------------------------------------------------------------


class Clocked:
    """A fake clock that a sleep advances: waits take no time, timeouts still happen."""

    def __init__(self):
        self.clock = FakeClock()

    def timing(self, timeout: float = 60.0):
        t = fast()
        t.clock = self.clock
        t.timeout = timeout
        t.sleep = lambda seconds: setattr(self.clock, "now", self.clock.now + max(seconds, 1.0))
        return t


def fake_ops(script, timeout: float = 60.0):
    lines: list[str] = []
    fake = FakeEcs(script)

    class Aws:
        region = "us-east-1"
        settings = None

        def client(self, name):
            assert name == "ecs"
            return fake

    ops = ops_for(Aws(), emit=lines.append)
    ops.timing = Clocked().timing(timeout)
    return ops, fake, lines


def test_the_wait_shows_counts_and_new_service_events_until_stable():
    name = "hana-dev-api"
    old = ["(service hana-dev-api) has reached a steady state."]
    script = {
        name: [
            service(name, 2, 2, events=old),
            service(name, 2, 2, deployments=2, rollout="IN_PROGRESS", events=old),
            service(name, 2, 3, deployments=2, rollout="IN_PROGRESS", events=[*old, "has started 1 tasks: (task a1)."]),
            service(name, 2, 2, events=[*old, "has started 1 tasks: (task a1).", "has reached a steady state."]),
        ]
    }
    ops, fake, lines = fake_ops(script)
    baseline = ecs.describe(ops, ["api"])
    states = ecs.wait_stable(ops, ["api"], baseline)
    assert states["api"].stable
    text = [line.split("]", 1)[1].strip() for line in lines]
    assert text == [
        "api  2/2 running, 2 deployments, rollout in progress",
        "api  has started 1 tasks: (task a1).",
        "api  3 running, desired 2, 2 deployments, rollout in progress",
        "api  has reached a steady state.",
        "api  2/2 running (stable)",
    ]


def test_a_rollout_stopped_by_the_circuit_breaker_ends_the_wait_with_its_reason():
    name = "hana-dev-api"
    reason = "ECS deployment circuit breaker: tasks failed to start."
    ops, _, _ = fake_ops({name: [service(name, 1, 0, pending=1, deployments=2, failed=reason)]})
    with pytest.raises(DeployError) as caught:
        ecs.wait_stable(ops, ["api"])
    assert str(caught.value) == (
        f"hana-dev-api: ECS stopped the rollout: {reason} (the circuit breaker rolls back to the previous task "
        "definition); see `python -m deploy --env dev logs api`"
    )


def test_the_wait_gives_up_after_the_timeout_and_says_what_is_still_moving():
    name = "hana-dev-ws"
    ops, fake, _ = fake_ops({name: [service(name, 2, 1, pending=1)]}, timeout=30)
    with pytest.raises(DeployError) as caught:
        ecs.wait_stable(ops, ["ws"])
    assert str(caught.value).startswith("gave up waiting after 30s: ws 1 running, desired 2, 1 pending; ECS carries on")
    assert len(fake.calls) > 3  # it polled


def test_ctrl_c_stops_waiting_with_one_line():
    name = "hana-dev-api"
    ops, _, _ = fake_ops({name: [service(name, 2, 1, pending=1)]})

    def interrupt(seconds):
        raise KeyboardInterrupt

    ops.timing.sleep = interrupt
    with pytest.raises(Interrupted) as caught:
        ecs.wait_stable(ops, ["api"])
    assert str(caught.value) == "stopped waiting: ECS carries on with the change (api 1 running, desired 2, 1 pending)"


@pytest.mark.parametrize(
    ("env", "count", "allowed"),
    [("dev", 1, True), ("dev", 2, False), ("prod", 2, True), ("prod", 4, True), ("prod", 5, False), ("prod", 1, False)],
)
def test_counts_follow_the_configured_limits(env, count, allowed):
    cfg = config.get(env)
    if allowed:
        ecs.check_count(cfg, ecs.SERVICES, count)
    else:
        with pytest.raises(DeployError, match=rf"--count {count} is outside {env}'s limits"):
            ecs.check_count(cfg, ecs.SERVICES, count)
