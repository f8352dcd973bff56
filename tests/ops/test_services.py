"""`status` completes the spec's "Deployed Resources"; `events` and `stopped` are the spec's
"Services Not Starting" recipes; `secrets get` shows metadata and prints a value only with --reveal."""

from __future__ import annotations

import json
import logging

from click.testing import CliRunner

from deploy.commands import App, cli
from deploy.ui import views
from hana_templates import naming
from tests.ops.test_doctor import local_run

KEY = "sk-ant-api03-" + "Qq7" * 20


def test_status_shows_the_deployed_resources_and_services(emulator_server):
    """What status shows; how fast it is, is a benchmark (bench/), never a timed test."""
    emulator_server.reset()
    run = local_run(emulator_server)
    assert run("all").exit_code == 0
    ecs = emulator_server.client("ecs")
    ecs.update_service(cluster="hana-dev", service="hana-dev-api", desiredCount=1)
    result = run("status")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for heading in (
        "### Internal Resources (Private Subnets)",
        "### AWS Console Links",
        "### HANA TUI",
        "### Services",
    ):
        assert heading in out
    assert "| **RDS PostgreSQL** | `hana-dev-postgres." in out and ".rds.amazonaws.com:5432`" in out
    assert "| **Redis**          | `master.hana-dev-redis." in out and ":6379`" in out
    assert "/hana-dev/api`" in out
    assert "OPENCLAW_GATEWAY_URL=http://hana-dev-alb-" in out and " pnpm tui" in out
    assert "search=hana%2Fdev)" in out and "#dashboards:name=hana-dev-overview)" in out
    api = next(line for line in out.splitlines() if line.startswith("| api "))
    assert "| hana-dev-api:1 " in api and "| latest " in api

    data = json.loads(run("status", "--json").stdout)
    assert data["internal"]["Redis"].endswith(":6379")
    assert [s["key"] for s in data["services"]] == ["api", "ws", "workers"]
    assert data["services"][0]["desired"] == 1 and data["services"][0]["tag"] == "latest"


def test_status_before_compute_says_why_there_are_no_services():
    text = views.status_text([], "dev", "the ECS cluster hana-dev does not exist", "eu-west-1", "hana-dev", "hana/dev")
    assert "(the ECS cluster hana-dev does not exist)" in text
    assert "https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/hana-dev/services?region=eu-west-1" in text
    assert "(none yet: the database and storage stacks' outputs" in text


def test_stopped_tasks_newest_first_with_reasons_and_events(emulator_server):
    emulator_server.reset()
    run = local_run(emulator_server)
    assert run("all").exit_code == 0
    ecs = emulator_server.client("ecs")
    live = ecs.describe_task_definition(taskDefinition="hana-dev-workers:1")["taskDefinition"]
    copy = ecs.register_task_definition(
        family="hana-dev-workers",
        networkMode="bridge",
        cpu="256",
        memory="512",
        containerDefinitions=[{**live["containerDefinitions"][0], "memory": 512}],
    )["taskDefinition"]
    for reason in ("first: OutOfMemoryError", "second: Essential container in task exited"):
        task = ecs.run_task(
            cluster="hana-dev", taskDefinition=copy["taskDefinitionArn"], group="service:hana-dev-workers"
        )
        ecs.stop_task(cluster="hana-dev", task=task["tasks"][0]["taskArn"], reason=reason)
    other = ecs.run_task(cluster="hana-dev", taskDefinition=copy["taskDefinitionArn"], group="family:x")
    ecs.stop_task(cluster="hana-dev", task=other["tasks"][0]["taskArn"], reason="not a service task")

    result = run("stopped", "workers", "--json")
    assert result.exit_code == 0, result.output
    tasks = json.loads(result.stdout)
    assert {t["reason"] for t in tasks} == {"first: OutOfMemoryError", "second: Essential container in task exited"}
    assert all(t["service"] == "workers" and t["task_definition"] == "hana-dev-workers:2" for t in tasks)
    table = run("stopped")
    assert "| Stopped (UTC) | Service | Task" in table.stdout and "not a service task" not in table.stdout
    assert run("stopped", "api").stderr.startswith("no stopped task of api since ")

    events = run("events", "workers")
    assert events.exit_code == 0 and events.stderr.strip() == "no events for workers yet"


def test_secrets_get_shows_which_keys_are_set_and_reveals_only_when_asked(emulator_server, caplog):
    emulator_server.reset()
    run = local_run(emulator_server)
    assert run("all").exit_code == 0
    assert run("secrets", "set", "anthropic-api-key", input=KEY).exit_code == 0

    shown = run("secrets", "get", "anthropic")
    assert shown.exit_code == 0, shown.output
    assert "JSON keys      api_key (set)" in shown.stdout and "Read by        api, workers" in shown.stdout
    assert KEY not in shown.output

    caplog.set_level(logging.DEBUG)
    revealed = run("--debug", "secrets", "get", "anthropic-api-key", "--reveal")
    assert revealed.exit_code == 0
    assert json.loads(revealed.stdout) == {"api_key": KEY}
    assert KEY not in revealed.stderr  # not a terminal: no warning, and nothing logged
    assert KEY not in caplog.text

    as_json = json.loads(run("secrets", "get", "redis-auth", "--json").stdout)
    assert as_json["keys"] == {"token": "set"} and "value" not in as_json
    assert as_json["name"] == naming.secret_name(__import__("hana_templates.config").config.get("dev"), "redis-auth")


def test_secrets_get_warns_on_a_terminal(monkeypatch, emulator_server):
    emulator_server.reset()
    run = local_run(emulator_server)
    assert run("all").exit_code == 0
    from deploy.commands import operations

    monkeypatch.setattr(operations, "_stdout_is_terminal", lambda: True)
    result = run("secrets", "get", "jwt-secret", "--reveal")
    assert result.exit_code == 0
    assert "warning: printing the value of hana/dev/jwt-secret" in result.stderr


def test_the_new_commands_have_help():
    for args in (["events"], ["stopped"], ["doctor"], ["drift"], ["secrets", "get"]):
        result = CliRunner().invoke(cli, [*args, "--help"], obj=App())
        assert result.exit_code == 0 and result.output.startswith(f"Usage: python -m deploy {' '.join(args)}")
