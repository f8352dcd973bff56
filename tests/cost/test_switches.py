"""The savings switches in config.Savings: each changes exactly what it says in the templates, is
off in the spec's environments, and saves money by the estimator."""

import dataclasses

import pytest

from hana_cost.compare import compare
from hana_templates import config, registry
from hana_templates.config import Savings, Schedule
from tests.tmpl import ENVS, props, resources


def _compute(cfg) -> dict:
    return registry.BUILDERS["compute"](cfg).to_dict()


def _with(env: str, **savings) -> config.EnvConfig:
    cfg = config.get(env)
    return dataclasses.replace(cfg, savings=dataclasses.replace(cfg.savings, **savings))


@pytest.mark.parametrize("env", ENVS)
def test_the_spec_environments_have_every_switch_off(env):
    assert config.get(env).savings == Savings()
    assert config.get(env).image_platform == "linux/amd64"


def test_graviton_runs_every_task_on_arm64_and_push_builds_for_it():
    cfg = _with("dev", graviton=True)
    tasks = resources(_compute(cfg), "AWS::ECS::TaskDefinition").values()
    assert {props(t)["RuntimePlatform"]["CpuArchitecture"] for t in tasks} == {"ARM64"}
    assert cfg.image_platform == "linux/arm64"


def test_workers_spot_moves_only_the_workers():
    services = resources(_compute(_with("dev", workers_spot=True)), "AWS::ECS::Service")
    strategies = {props(s)["ServiceName"]: props(s).get("CapacityProviderStrategy") for s in services.values()}
    assert strategies == {
        "hana-dev-api": None,
        "hana-dev-ws": None,
        "hana-dev-workers": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}],
    }
    assert all("LaunchType" not in props(s) for s in services.values())  # a strategy excludes a launch type


@pytest.mark.parametrize("env", ENVS)
def test_schedule_scales_every_service_to_zero_after_hours(env):
    cfg = _with(env, schedule=Schedule(days="MON-FRI", start_hour=8, end_hour=20, timezone="Europe/Berlin"))
    targets = resources(_compute(cfg), "AWS::ApplicationAutoScaling::ScalableTarget")
    assert len(targets) == 3
    for target in targets.values():
        p = props(target)
        svc = next(s for s in cfg.services if s.name.title() in str(p["ResourceId"]))
        assert p["MinCapacity"] == (svc.min_tasks if svc.autoscaling else 0)  # registering starts nothing
        actions = {a["Schedule"]: a for a in p["ScheduledActions"]}
        assert actions["cron(0 8 ? * MON-FRI *)"]["ScalableTargetAction"] == {
            "MinCapacity": svc.min_tasks,
            "MaxCapacity": svc.max_tasks,
        }
        assert actions["cron(0 20 ? * MON-FRI *)"]["ScalableTargetAction"] == {"MinCapacity": 0, "MaxCapacity": 0}
        assert {a["Timezone"] for a in actions.values()} == {"Europe/Berlin"}
    policies = resources(_compute(cfg), "AWS::ApplicationAutoScaling::ScalingPolicy")
    assert len(policies) == sum(s.autoscaling for s in cfg.services)  # scaling policies only where config autoscales


def test_log_class_applies_to_the_service_log_groups():
    groups = resources(_compute(_with("dev", log_class="INFREQUENT_ACCESS")), "AWS::Logs::LogGroup")
    assert {props(g)["LogGroupName"]: props(g)["LogGroupClass"] for g in groups.values()} == {
        "/ecs/hana-dev/api": "INFREQUENT_ACCESS",
        "/ecs/hana-dev/ws": "INFREQUENT_ACCESS",
        "/ecs/hana-dev/workers": "INFREQUENT_ACCESS",
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"log_class": "GLACIER"}, "log class 'GLACIER'"),
        ({"schedule": Schedule(start_hour=20, end_hour=8)}, "schedule hours 20-8"),
        ({"schedule": Schedule(days="WEEKDAYS")}, "schedule days 'WEEKDAYS'"),
    ],
)
def test_bad_switch_values_fail_in_one_line(changes, message):
    with pytest.raises(config.ConfigError, match=message):
        _with("dev", **changes)


@pytest.mark.parametrize("env", ENVS)
def test_every_applicable_switch_saves_money(env):
    for result in compare(config.get(env)).switches:
        if result.applicable:
            assert result.saving > 0, f"{env}: switch {result.name} changes nothing the estimator prices"
