"""The diagnosis commands (issue #15): events, stopped, doctor, drift: the spec's "Troubleshooting"
section as commands. All read-only except `drift`, which starts CloudFormation drift detections
(they change nothing but each stack's drift status).

Each is a thin click function over deploy.ops (services.py, doctor.py, drift.py). Hints printed
here carry `--local` when the command ran with it, so they work when pasted.

Exported: COMMANDS.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from deploy.commands.group import App, pass_app
from deploy.commands.surface import ServiceChoice

SERVICES = ("api", "ws", "workers")  # ecs.SERVICES, repeated here so `--help` imports nothing heavy


def _emit(text: str) -> None:
    click.echo(text, err=True)


def hint_command(app: App) -> str:
    """How to run us again in the same mode: `python -m deploy --env dev` (+ ` --local`)."""
    return app.project().command()


def _ops(app: App) -> Any:
    from deploy.ops.context import ECS_TIMING, Ops

    aws = app.aws()
    project = app.project()
    aws.preflight(project.cfg)
    return Ops(aws, project.cfg, hint_command(app), timing=app.timing or ECS_TIMING, emit=_emit)


def _aws_errors(app: App) -> Any:
    from deploy.ops.context import aws_errors

    return aws_errors(app.settings)


def _when(value: Any) -> str:
    if not isinstance(value, datetime):
        return "-"
    value = value.astimezone(UTC) if value.tzinfo else value
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


# --- events -------------------------------------------------------------------------------------


@click.command("events", short_help="A service's ECS events, newest first.")
@click.argument("service", type=ServiceChoice(SERVICES), default="api", required=False, metavar="[SERVICE]")
@click.option("-n", "--limit", type=click.IntRange(1, 100), default=10, show_default=True, help="Events to show.")
@click.option("--json", "as_json", is_flag=True, help="JSON: [{at, message, id}].")
@pass_app
def events(app: App, service: str, limit: int, as_json: bool) -> None:
    """The ECS service events of SERVICE (api, ws or workers; default api), newest first: what the
    scheduler did and why (placement, health checks, deployments). ECS keeps the last 100.

    \b
    Examples:
    python -m deploy events                          the spec's describe-services ... events[0:5]
    python -m deploy events workers -n 30
    """
    from deploy.ops import services

    with _aws_errors(app):
        found = services.events(_ops(app), service, limit)
    if as_json:
        _dump(found)
        return
    if not found:
        _emit(f"no events for {service} yet")
    for e in found:
        click.echo(f"{_when(e['at'])}  {e['message']}")


# --- stopped ------------------------------------------------------------------------------------


@click.command("stopped", short_help="Stopped tasks: why they stopped, exit codes, newest first.")
@click.argument("service", type=ServiceChoice(SERVICES), required=False, metavar="[SERVICE]")
@click.option("--since", default="1h", show_default=True, help="How far back: 30m, 1h, 2d or a UTC time.")
@click.option("-n", "--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Tasks to show.")
@click.option("--json", "as_json", is_flag=True, help="JSON: one object per task.")
@pass_app
def stopped(app: App, service: str | None, since: str, limit: int, as_json: bool) -> None:
    """The stopped tasks of SERVICE (default: api, ws and workers), newest first: when, the task
    definition, ECS's stoppedReason and each container's exit code and reason. ECS lists a stopped
    task for at least an hour after it stopped.

    \b
    Examples:
    python -m deploy stopped                         the spec's list-tasks --desired-status STOPPED + describe-tasks
    python -m deploy stopped api --json
    """
    from deploy.ops import services
    from deploy.ops.logs import parse_since
    from deploy.ui.views import table

    start = parse_since(since, datetime.now(UTC))
    with _aws_errors(app):
        found = services.stopped_tasks(_ops(app), [service] if service else None, since=start)[:limit]
    if as_json:
        _dump([t.as_json() for t in found])
        return
    if not found:
        _emit(f"no stopped task of {service or 'api, ws or workers'} since {start:%Y-%m-%d %H:%M} UTC")
        return
    click.echo(
        table(
            ["Stopped (UTC)", "Service", "Task", "Task definition", "Reason", "Containers"],
            [[_when(t.stopped_at), t.service, t.id, t.task_definition, t.reason, t.exits()] for t in found],
        )
    )


# --- doctor -------------------------------------------------------------------------------------


@click.command("doctor", short_help="Check the environment against the spec's Common Issues (read-only).")
@click.option("--json", "as_json", is_flag=True, help="JSON: {ok, checks: [{id, issue, title, state, evidence, fix}]}.")
@pass_app
def doctor(app: App, as_json: bool) -> None:
    """Run the spec's "Common Issues" table, and what on-call checks next, against the deployed
    environment: each check prints ✔ (pass), ✘ (fail) or – (not applicable), the evidence, and
    the command that fixes it. Exit 0 when nothing failed, 1 otherwise. Changes nothing.

    \b
    Examples:
    python -m deploy doctor
    python -m deploy --env prod doctor --json
    """
    from deploy.ops import doctor as checks
    from deploy.ops import health

    project = app.project()
    settings = app.settings
    with _aws_errors(app):
        ops = _ops(app)
        deployer = app.deployer(announce=False)
        nested = deployer.find_nested()  # a nested deployment: its children, and the master too
        keys = project.order() + (["main"] if nested else [])
        live = deployer.live(keys)
        region = ops.region
        if settings.local or settings.endpoint_url:
            aws_cli = f" --endpoint-url {ops.aws.endpoint_url or settings.endpoint_url} --region {region}"
        else:
            aws_cli = f" --region {region}" + (f" --profile {settings.profile}" if settings.profile else "")
        probe = None if (settings.local or settings.endpoint_url) else (lambda url: health.probe(url, 5.0))
        run = checks.Doctor(
            ops,
            live,
            {k: project.stack_name(k) for k in keys},
            hint_command(app),
            aws_cli=aws_cli,
            local=bool(settings.local),
            probe=probe,
            nested=nested,
        )
        results = run.run()
    failed = [c for c in results if c.state == checks.FAIL]
    if as_json:
        _dump({"env": project.env, "ok": not failed, "checks": [c.as_json() for c in results]})
    else:
        click.echo(doctor_text(results, project.env))
    if failed:
        raise click.exceptions.Exit(1)


def doctor_text(results: list[Any], env: str) -> str:
    from deploy.ops.doctor import FAIL, NA, PASS, SYMBOL

    out = []
    issue = None
    for c in results:
        if c.issue != issue:
            issue = c.issue
            out.append(("" if not out else "\n") + f"{issue}")
        out.append(f"  {SYMBOL[c.state]} {c.title}")
        out += [f"      {line}" for line in c.evidence]
        if c.fix and c.state != PASS:
            out.append(f"      fix: {c.fix}")
    counts = {s: sum(c.state == s for c in results) for s in (PASS, FAIL, NA)}
    out.append(
        f"\ndoctor {env}: {counts[PASS]} passed, {counts[FAIL]} failed, {counts[NA]} not applicable "
        "(nothing was changed)"
    )
    return "\n".join(out)


# --- drift --------------------------------------------------------------------------------------


@click.command("drift", short_help="Detect changes made outside CloudFormation, property by property.")
@click.argument("name", required=False, metavar="[STACK]")
@click.option("--json", "as_json", is_flag=True, help="JSON: one object per stack.")
@pass_app
def drift(app: App, name: str | None, as_json: bool) -> None:
    """Run CloudFormation drift detection on STACK (default: every deployed stack), wait for it, and
    show each resource changed or deleted outside CloudFormation with its property differences
    (expected -> actual). Exit 1 when something drifted.

    \b
    Examples:
    python -m deploy drift
    python -m deploy drift network
    """
    from deploy.ops import drift as detection

    project = app.project()
    child = bool(name) and name.startswith(project.stack_name("main") + "-")  # a name known after find_nested
    keys = [project.resolve(name)] if name and not child else project.order()
    with _aws_errors(app):
        ops = _ops(app)
        detection.find_children(ops, app.project())  # a nested deployment: detect on each child
        keys = [project.resolve(name)] if child else keys
        if len(keys) > 1:
            _emit(f"detecting drift on {len(keys)} stacks (a few minutes on AWS) ...")
        results = detection.detect_all(ops, {k: project.stack_name(k) for k in keys})
    if as_json:
        _dump([r.as_json() for r in results])
    else:
        click.echo(drift_text(results, project.env))
    if any(r.drifted for r in results):
        raise click.exceptions.Exit(1)


def drift_text(results: list[Any], env: str) -> str:
    out = []
    for r in results:
        head = f"{r.name}: {r.status}"
        if r.detection == "DETECTION_FAILED":
            head += f" (detection incomplete: {r.reason})"
        out.append(head)
        for res in r.resources:
            out.append(f"  {res.status.lower():<8} {res.logical_id} ({res.type}) {res.physical_id}".rstrip())
            for d in res.differences:
                if d.kind == "REMOVE":
                    change = f"{d.expected} -> (removed)"
                elif d.kind == "ADD":
                    change = f"(none) -> {d.actual}"
                else:
                    change = f"{d.expected} -> {d.actual}"
                out.append(f"      {d.path}: {change}")
    drifted = sum(r.drifted for r in results)
    out.append(f"drift {env}: {drifted} of {len(results)} stack{'s' if len(results) != 1 else ''} drifted")
    return "\n".join(out)


COMMANDS = [events, stopped, doctor, drift]
