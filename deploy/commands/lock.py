"""`python -m deploy lock`: who holds the environment's deploy lock, and breaking a stale one.

Exported: COMMANDS.
"""

from __future__ import annotations

import click

from deploy.commands.group import App, pass_app


@click.group("lock", short_help="Who holds the environment's deploy lock; break a stale one.")
def lock_group() -> None:
    """Every writing command (all, stack, main, delete, push's rollout, scale, restart, secrets set)
    holds the environment's deploy lock, the SSM parameter /hana/<env>/deploy-lock, while it runs:
    one writer per environment, whichever machine it runs on. A second one refuses, naming the
    holder, or waits with `--wait`.

    \b
    Examples:
    python -m deploy lock status            who holds it, since when
    python -m deploy lock break             remove a lock left by a run that died (asks first)
    """


def _lock(app: App):
    from deploy.engine.lock import Lock
    from hana_templates import naming

    project = app.project()
    app.aws().preflight(project.cfg)
    return Lock(app.aws().client("ssm"), naming.deploy_lock(project.cfg), project.env, project.command())


@lock_group.command("status", short_help="Who holds the deploy lock (read-only).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="JSON: {env, parameter, held, stale, holder: {host, pid, user, command, since} or null}.",
)
@pass_app
def lock_status(app: App, as_json: bool) -> None:
    """Who holds the environment's deploy lock, what they run and since when.

    \b
    Examples:
    python -m deploy lock status
    python -m deploy --env prod lock status --json
    """
    from deploy.ops.context import aws_errors
    from hana_templates import naming

    with aws_errors(app.settings):
        holder = _lock(app).holder()
    env = app.project().env
    stale = holder is not None and holder.dead_here()
    if as_json:
        import json

        fields = ("host", "pid", "user", "command", "since")
        document = {
            "env": env,
            "parameter": naming.deploy_lock(app.project().cfg),
            "held": holder is not None,
            "stale": stale,
            "holder": {k: getattr(holder, k) for k in fields} if holder is not None else None,
        }
        click.echo(json.dumps(document, indent=2))
        return
    if holder is None:
        click.echo(f"the deploy lock of {env} is free")
        return
    note = " (that process is no longer running on this machine: the lock is stale)" if stale else ""
    click.echo(f"the deploy lock of {env} is held by {holder.describe()}{note}")


@lock_group.command("break", short_help="Remove the deploy lock, after showing who holds it.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (automation).")
@pass_app
def lock_break(app: App, yes: bool) -> None:
    """Remove the environment's deploy lock, whoever holds it: only for a lock left by a run that
    died (killed, machine gone). Breaking the lock of a live run lets two writers change the
    environment at once.

    \b
    Examples:
    python -m deploy lock break
    python -m deploy --env prod lock break --yes
    """
    from deploy.errors import BadInput, DeployError
    from deploy.ops.context import aws_errors

    project = app.project()
    with aws_errors(app.settings):
        lock = _lock(app)
        holder = lock.holder()
        if holder is None:
            click.echo(f"the deploy lock of {project.env} is free: nothing to break")
            return
        click.echo(f"the deploy lock of {project.env} is held by {holder.describe()}")
        if not yes:
            if not app.interactive():
                raise BadInput("lock break needs a confirmation: run it in a terminal, or pass --yes")
            if not click.confirm("Is that run dead? Break its lock", default=False):
                raise DeployError("not confirmed: the lock is kept")
        broken = lock.break_()
    click.echo(f"broke the deploy lock of {project.env}" if broken else "the lock was released meanwhile")


COMMANDS = (lock_group,)
