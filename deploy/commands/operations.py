"""The day-to-day operations commands of `python -m deploy` (issue #7): push, scale, restart,
logs, secrets, exec and health (login, the SSO sign-in, is in login.py). deploy.commands adds `COMMANDS` to the root group, so they share its
global options (--env, --profile, --region, --endpoint-url, --debug) and its one error boundary.

Each command is a thin click function over its module (login.py, images.py, ecs.py, logs.py,
secrets.py, health.py): input is validated before anything is sent to AWS, AWS failures become
one line (ops.aws_errors), progress and notes go to stderr, results to stdout.

Exported: COMMANDS.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import Any

import click

from deploy.commands.group import App, pass_app, wait_for_lock
from deploy.commands.surface import ServiceChoice

SERVICES = ("api", "ws", "workers")  # ecs.SERVICES, repeated here so `--help` imports nothing heavy


def _emit(text: str) -> None:
    click.echo(text, err=True)


def _ops(app: App, announce: bool) -> Any:
    """The operations context, after the preflight (the account the environment pins)."""
    from deploy.ops.context import ECS_TIMING, Ops

    aws = app.aws()
    project = app.project()
    aws.preflight(project.cfg)
    if announce:
        _emit(aws.describe(project.cfg))
    return Ops(aws, project.cfg, project.command(), timing=app.timing or ECS_TIMING, emit=_emit)


def _aws_errors(app: App) -> Any:
    from deploy.ops.context import aws_errors

    return aws_errors(app.settings)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    from deploy.ui.views import table

    return table(headers, rows)


# --- push ---------------------------------------------------------------------------------------


@click.command("push", short_help="Build the image, push it to ECR, roll the services onto it.")
@click.option(
    "--context",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Docker build context (the application repository).",
)
@click.option("--dockerfile", type=click.Path(dir_okay=False), help="Dockerfile [default: CONTEXT/Dockerfile].")
@click.option(
    "--tag",
    help="Image tag [default: the git commit of CONTEXT (12 hex digits), plus -dirty-<UTC time> with "
    "uncommitted changes]. `latest` always moves too.",
)
@click.option("--no-rollout", is_flag=True, help="Push only: the services keep running their current image.")
@wait_for_lock
@pass_app
def push(app: App, context: str, dockerfile: str | None, tag: str | None, no_rollout: bool, wait_lock: bool) -> None:
    """Build the application image (for the tasks' platform), tag it with the git commit and `latest`, log in
    to ECR (token through stdin only), push both tags, then roll the services onto the new tag by
    updating the compute stack's ImageTag parameter and wait until they are stable.

    \b
    Examples:
    python -m deploy push --context ../hana          build, push and roll out
    python -m deploy push --no-rollout               push only
    """
    from deploy.errors import DeployError
    from deploy.ops import ecs, images
    from deploy.ui import views

    spec = images.build_spec(context, dockerfile, tag)
    docker = images.docker_ready()
    with _aws_errors(app):
        ops = _ops(app, announce=True)
        local = app.settings.local or ops.settings.local
        project = app.project()
        repo = images.repository(ops)
        deployer = None if no_rollout else app.deployer(announce=False)
        check = images.check_rollout(deployer) if deployer is not None else None
        before = None if local else images.remote_digest(ops, repo, spec.tag)
        dirty = " (uncommitted changes in the context)" if spec.dirty else ""
        _emit(f"building {repo.uri}:{spec.tag}{dirty}")
        images.build(ops, docker, spec, repo)
        digest = None
        if local:
            _emit("the local emulator has no registry: the image is built and tagged here, not pushed")
        else:
            images.registry_login(ops, docker, repo)
            images.push(ops, docker, repo, [spec.tag, "latest"])
            digest = images.remote_digest(ops, repo, spec.tag)
            if digest is None:
                raise DeployError(f"docker push reported success, but ECR has no image {repo.name}:{spec.tag}")
            click.echo(f"pushed {repo.uri}:{spec.tag} and :latest ({digest})")
        if check is None:
            click.echo(f"not rolled out: run `{images.later_rollout(ops, project, spec.tag, context)}` when ready")
            return
        if check.live_tag is None:
            click.echo(f"{check.stack} is not deployed yet: its first deploy runs :latest, this image")
            return
        if check.live_tag == spec.tag and (digest is None or digest == before):
            click.echo(f"{check.stack} already runs {spec.tag}, the same image: nothing to roll out")
            return
        with app.locked(wait_lock):
            if check.live_tag == spec.tag:
                _emit(
                    f"{check.stack} already runs the tag {spec.tag}, but ECR now holds a new image under it: restarting"
                )
                restarted, states = ecs.restart(ops, list(SERVICES))
            else:
                _emit(f"rolling out {spec.tag} (ImageTag {check.live_tag} -> {spec.tag} in {check.stack})")
                report = images.rollout(deployer, check, spec.tag)
                click.echo(views.summary(report, project.env, app.reporter))
                if not report.ok:
                    result = report.results[check.key]
                    raise DeployError(f"rollout of {spec.tag} failed: {result.message}")
                states = ecs.wait_stable(
                    ops, list(SERVICES), expect=ecs.expect_task_definitions(ops, check.child or check.stack)
                )
    rows = [[k, st.summary(), st.revision] for k, st in states.items()]
    click.echo(_table(["Service", "Tasks", "Task definition"], rows))


# --- scale and restart --------------------------------------------------------------------------


@click.command("scale", short_help="Set the services' task count (0 stops them).")
@click.option("--count", type=click.IntRange(min=0), required=True, help="Tasks per service; 0 stops the service.")
@click.option("--service", type=ServiceChoice(SERVICES), help="Only this service [default: api, ws and workers].")
@click.option("--confirm-prod", is_flag=True, help="Required to stop (--count 0) a protected environment (prod).")
@wait_for_lock
@pass_app
def scale(app: App, count: int, service: str | None, confirm_prod: bool, wait_lock: bool) -> None:
    """Set the desired task count and wait until the services are stable, showing the running
    count before and after. The count must fit the environment's limits (config.py: min_tasks
    to max_tasks), or be 0: the spec's "stop dev environment". A service with Application Auto
    Scaling gets its range moved (count..max, 0..0 to stop) so autoscaling keeps the new count.

    \b
    Examples:
    python -m deploy scale --count 0                  stop dev (all three services)
    python -m deploy scale --count 1 --service api    start the api again
    """
    from deploy.ops import ecs

    project = app.project()
    keys = [service] if service else list(SERVICES)
    ecs.check_count(project.cfg, keys, count, confirm_prod)
    with _aws_errors(app):
        ops = _ops(app, announce=True)
        start = ops.clock()
        with app.locked(wait_lock):
            results = ecs.scale(ops, keys, count)
        took = ops.clock() - start
    from deploy.ui.progress import fmt_elapsed

    changed = [r.key for r in results if r.changed]
    head = f"scale {project.env}: {', '.join(keys)} at {count} task{'s' if count != 1 else ''}"
    head += f" in {fmt_elapsed(took)}" if changed else " (already)"
    rows = []
    for r in results:
        autoscaling = "-"
        if r.range_before is not None:
            autoscaling = (
                f"range {r.range_before} -> {r.range_after}"
                if r.range_after != r.range_before
                else f"range {r.range_before}"
            )
        after = r.after.summary() if r.after else "?"
        rows.append([r.key, r.before.summary(), after, autoscaling])
    click.echo(head)
    click.echo(_table(["Service", "Before", "After", "Autoscaling"], rows))


@click.command("restart", short_help="Replace the running tasks (so they read changed secrets).")
@click.argument("services", nargs=-1, type=ServiceChoice(SERVICES), metavar="[SERVICE]...")
@wait_for_lock
@pass_app
def restart(app: App, services: tuple[str, ...], wait_lock: bool) -> None:
    """Start new tasks for the running services (default: all three) and wait until the old ones
    are gone: how a service picks up a changed secret. Services at 0 tasks are left alone.

    \b
    Examples:
    python -m deploy restart                        api, ws and workers
    python -m deploy restart api ws
    """
    from deploy.ops import ecs

    keys = list(dict.fromkeys(services)) or list(SERVICES)
    with _aws_errors(app):
        ops = _ops(app, announce=True)
        with app.locked(wait_lock):
            restarted, states = ecs.restart(ops, keys)
    idle = [k for k in keys if k not in restarted]
    if restarted:
        click.echo(f"restarted {', '.join(restarted)}")
        click.echo(
            _table(
                ["Service", "Tasks", "Task definition"],
                [[k, states[k].summary(), states[k].revision] for k in restarted],
            )
        )
    if idle:
        click.echo(f"not running (0 tasks), left alone: {', '.join(idle)}")


# --- logs ---------------------------------------------------------------------------------------


@click.command("logs", short_help="Show or follow a service's logs (like aws logs tail).")
@click.argument("service", type=ServiceChoice(SERVICES), default="api", required=False, metavar="[SERVICE]")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new events until Ctrl-C.")
@click.option("--since", default="10m", show_default=True, help="How far back: 30s, 10m, 1h, 2d, 1w or a UTC time.")
@click.option("--filter", "pattern", metavar="PATTERN", help="CloudWatch Logs filter pattern, e.g. ERROR.")
@click.option(
    "--color/--no-color", default=None, help="Colour per log stream [default: on a terminal, unless NO_COLOR]."
)
@pass_app
def logs(app: App, service: str, follow: bool, since: str, pattern: str | None, color: bool | None) -> None:
    """The log events of SERVICE (api, ws or workers; default api) from /ecs/hana-<env>/SERVICE,
    oldest first: time, log stream (the task), message; each stream in its own colour.

    \b
    Examples:
    python -m deploy logs --follow                   the spec's `pnpm aws:logs`
    python -m deploy logs workers --since 1h --filter ERROR
    """
    from deploy.ops import logs as tail_logs

    start = tail_logs.parse_since(since, datetime.now(UTC))
    use_color = color if color is not None else (sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    with _aws_errors(app):
        ops = _ops(app, announce=False)
        tail = tail_logs.Tail(
            ops, service, start, pattern, out=lambda line: click.echo(line, color=use_color), color=use_color
        )
        what = f"{tail.group} since {start:%Y-%m-%d %H:%M:%S} UTC" + (f", filter {pattern!r}" if pattern else "")
        _emit(what + (" (following: Ctrl-C to stop)" if follow else ""))
        printed = tail.follow() if follow else tail.once()
    if printed == 0 and not follow:
        _emit("no log events in that time")


# --- secrets ------------------------------------------------------------------------------------


@click.group("secrets", short_help="List, inspect or set the secrets (values shown only on request).")
def secrets_group() -> None:
    """The environment's Secrets Manager secrets (hana/<env>/<key>). Values are printed only by
    `secrets get NAME --reveal`.

    \b
    Examples:
    python -m deploy secrets list
    python -m deploy secrets set anthropic-api-key
    python -m deploy secrets get rds-master --reveal
    """


@secrets_group.command("list", short_help="Each secret: is a value set, when it changed, who reads it.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="JSON: [{key, name, state, generated, managed, needs_value, changed, readers}] (never a value).",
)
@pass_app
def secrets_list(app: App, as_json: bool) -> None:
    """Each secret of the environment: whether a value is set (never the value), when it last
    changed and which services read it.

    \b
    Examples:
    python -m deploy secrets list
    python -m deploy --env prod secrets list --json
    """
    import json

    from deploy.ops import secrets

    with _aws_errors(app):
        ops = _ops(app, announce=False)
        rows = secrets.list_rows(ops)
    command = app.project().command()
    hints = [
        f"{r.key}{' (required)' if r.key == 'anthropic-api-key' else ''} has no value yet: "
        f"`{command} secrets set {r.key}`"
        for r in rows
        if r.needs_value
    ]
    if as_json:
        click.echo(json.dumps([secret_json(r) for r in rows], indent=2))
        for hint in hints:  # stdout holds nothing but the JSON
            _emit(hint)
        return
    click.echo(
        _table(
            ["Secret", "Value", "Last changed", "Read by"],
            [
                [
                    f"`{r.name}`",
                    r.state + (" (generated)" if r.generated and r.state == "set" else ""),
                    f"{r.changed:%Y-%m-%d %H:%M} UTC" if r.changed else "-",
                    ", ".join(r.readers) or "-",
                ]
                for r in rows
            ],
        )
    )
    for hint in hints:
        click.echo(hint)


def secret_json(row: Any) -> dict[str, Any]:
    """One secret of `secrets list --json` (keys documented in docs/operations.md, "JSON output")."""
    return {
        "key": row.key,
        "name": row.name,
        "state": row.state,
        "generated": row.generated,
        "managed": row.managed,
        "needs_value": row.needs_value,
        "changed": row.changed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if row.changed else None,
        "readers": list(row.readers),
    }


@secrets_group.command("set", short_help="Store a new value (hidden prompt, or stdin).")
@click.argument("name", metavar="NAME")
@click.option("--force", is_flag=True, help="Accept an API key without its provider's usual prefix (a new format).")
@click.option(
    "--overwrite-generated",
    is_flag=True,
    help="Allow replacing a generated secret (rds-master, redis-auth, jwt-secret, gateway-token).",
)
@click.option(
    "--restart/--no-restart",
    default=None,
    help="Restart the running services that read it [default: ask on a terminal, otherwise no].",
)
@wait_for_lock
@pass_app
def secrets_set(
    app: App, name: str, force: bool, overwrite_generated: bool, restart: bool | None, wait_lock: bool
) -> None:
    """Store a new value for NAME (anthropic-api-key, openai-api-key, elevenlabs-api-key, ...; the
    full hana/<env>/... name works too) in the JSON shape the services read. The value comes from
    a hidden prompt on a terminal, otherwise from stdin. Obvious mistakes are refused before
    anything is sent: empty, whitespace, a key of another provider.

    \b
    Examples:
    python -m deploy secrets set anthropic-api-key
    pass show hana/anthropic | python -m deploy secrets set anthropic-api-key --restart
    """
    from deploy.errors import DeployError
    from deploy.ops import ecs, secrets
    from hana_templates import naming

    project = app.project()
    kind = secrets.resolve(project.cfg, name)
    secret_name = naming.secret_name(project.cfg, kind.key)
    interactive = app.interactive()
    if interactive:
        value = click.prompt(f"{secret_name} (input hidden)", hide_input=True, default="", show_default=False)
    else:
        value = sys.stdin.read()
        value = value[:-1] if value.endswith("\n") else value
        value = value[:-1] if value.endswith("\r") else value
    secrets.validate(kind, value, force=force, overwrite_generated=overwrite_generated)
    if kind.generated:
        _emit(f"warning: {kind.key}: {kind.consequence}")
    with _aws_errors(app), app.locked(wait_lock):
        ops = _ops(app, announce=True)
        secrets.set_value(ops, kind, value)
        click.echo(f'{secret_name}: new value stored as {{"{kind.field}": ...}} (not shown)')
        readers = secrets.readers(kind.key)
        try:
            running, idle = ecs.readers_running(ops, readers)
        except DeployError as err:
            click.echo(f"{', '.join(readers)} read it when their tasks start ({err})")
            return
        if not running:
            click.echo(f"{', '.join(readers)} read it when their tasks start (none is running now)")
            return
        names = ", ".join(running)
        if restart is None:
            restart = interactive and click.confirm(f"Restart {names} now so they read the new value?", default=True)
        if not restart:
            click.echo(f"{names} keep the old value until restarted: `{project.command()} restart {' '.join(running)}`")
            return
        restarted, states = ecs.restart(ops, running)
    click.echo(f"restarted {', '.join(restarted)}: they run with the new value")


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


@secrets_group.command("get", short_help="A secret's metadata and which keys are set; --reveal for the value.")
@click.argument("name", metavar="NAME")
@click.option("--reveal", is_flag=True, help="Also print the stored value (stdout only; never logged).")
@click.option("--json", "as_json", is_flag=True, help='JSON (with --reveal: the value under "value").')
@pass_app
def secrets_get(app: App, name: str, reveal: bool, as_json: bool) -> None:
    """NAME's metadata (ARN, dates, KMS key, rotation, who reads it) and which JSON keys hold a
    value. The value itself only with --reveal: printed to stdout, never to a log or --debug output,
    with a warning on stderr when stdout is a terminal.

    \b
    Examples:
    python -m deploy secrets get anthropic-api-key
    python -m deploy secrets get rds-master --reveal | jq -r .password
    """
    import json

    from deploy.ops import secrets

    project = app.project()
    kind = secrets.resolve(project.cfg, name)
    with _aws_errors(app):
        ops = _ops(app, announce=False)
        info, value = secrets.get(ops, kind, reveal=reveal)
    if reveal and _stdout_is_terminal():
        _emit(f"warning: printing the value of {info.name}: it stays in this terminal's scrollback")
    if as_json:
        data = info.as_json()
        if reveal:
            data["value"] = value
        click.echo(json.dumps(data, indent=2))
        return
    if reveal:
        click.echo(value if value is not None else "")
        return

    def when(v: Any) -> str:
        return f"{v.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if v else "-"

    keys = ", ".join(f"{k} ({v})" for k, v in info.keys.items()) or "-"
    rows = [
        ("Name", info.name),
        ("ARN", info.arn),
        ("Value", info.state + (" (generated)" if kind.generated else "")),
        ("JSON keys", keys),
        ("Read by", ", ".join(info.readers) or "-"),
        ("Created", when(info.created)),
        ("Last changed", when(info.changed)),
        ("Last accessed", when(info.accessed)),
        ("KMS key", info.kms_key),
        ("Rotation", "on" if info.rotation else "off"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        click.echo(f"{k:<{width}}  {v}")


# --- exec ---------------------------------------------------------------------------------------


@click.command("exec", short_help="A shell (or a command) in a running container (ECS Exec).")
@click.argument("service", type=ServiceChoice(SERVICES), default="api", required=False, metavar="[SERVICE]")
@click.option("--command", "command", default="/bin/sh", show_default=True, help="What to run in the container.")
@click.option("--task", help="Task id or ARN [default: the oldest running task of SERVICE that accepts ECS Exec].")
@pass_app
def exec_command(app: App, service: str, command: str, task: str | None) -> None:
    """Open ECS Exec in a running task of SERVICE (default api) and hand the session to the AWS
    Session Manager plugin, as `aws ecs execute-command --interactive` does.

    \b
    Examples:
    python -m deploy exec                             /bin/sh in an api container
    python -m deploy exec workers --command 'nc -zv $DB_HOST 5432'
    """
    from deploy.aws.external import SSM_PLUGIN
    from deploy.errors import BadInput, DeployError
    from deploy.ops import ecs

    if app.settings.local:
        raise BadInput("exec needs running containers: the local emulator runs none")
    if not command.strip():
        raise BadInput("--command is empty")
    plugin = SSM_PLUGIN.require("exec")
    with _aws_errors(app):
        ops = _ops(app, announce=True)
        status = ecs.exec_session(ops, service, command, plugin, task)
    if status != 0:
        raise DeployError(f"the ECS Exec session ended with exit status {status}")


# --- health -------------------------------------------------------------------------------------


@click.command("health", short_help="GET the load balancer's /health: status and latency.")
@click.option("--repeat", type=click.IntRange(1, 100), default=1, show_default=True, help="Requests to make.")
@click.option(
    "--timeout", type=click.FloatRange(0.1, 120), default=10.0, show_default=True, help="Seconds per request."
)
@click.option(
    "--json", "as_json", is_flag=True, help="JSON: {env, url, healthy, probes: [{status, reason, seconds, body}]}."
)
@pass_app
def health(app: App, repeat: int, timeout: float, as_json: bool) -> None:
    """GET <ServiceUrl>/health, the URL from the compute stack's outputs (nothing else is called),
    and report the HTTP status and the latency; exit 1 unless every answer is 200.

    \b
    Examples:
    python -m deploy health                          the spec's `curl http://<alb>/health`
    python -m deploy health --repeat 5 --timeout 2
    python -m deploy --env prod health --json
    """
    from deploy.errors import DeployError
    from deploy.ops import health as check

    project = app.project()
    with _aws_errors(app):
        ops = _ops(app, announce=False)
        local = app.settings.local or ops.settings.local
        url = check.health_url(ops, project.stack_name("compute"), project.stack_name("main"), local)
    probes = []
    for _ in range(repeat):
        probes.append(check.probe(url, timeout))
        if not as_json:
            click.echo(probes[-1].line())
    if as_json:
        import json

        document = {
            "env": project.env,
            "url": url,
            "healthy": all(p.healthy for p in probes),
            "probes": [
                {"status": p.status, "reason": p.reason, "seconds": round(p.seconds, 4), "body": p.body} for p in probes
            ],
        }
        click.echo(json.dumps(document, indent=2))
    elif repeat > 1:
        click.echo(check.summary(probes))
    bad = [p for p in probes if not p.healthy]
    if bad:
        answer = f"{bad[-1].status} {bad[-1].reason}" if bad[-1].status else f"no answer ({bad[-1].reason})"
        raise DeployError(f"{project.env} is not healthy: {answer} from {url}")


COMMANDS = [push, scale, restart, logs, secrets_group, exec_command, health]
