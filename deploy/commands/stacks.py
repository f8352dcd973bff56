"""The stack commands: all, stack, plan, status, outputs, delete, main (the engine's front end).

Each is a thin click function over deploy.engine; results are rendered by deploy.ui.views.

Exported: COMMANDS.

long: seven commands sharing the preflight, the summary (_finish) and their options; `delete` with
its purge (listing, the name typed back, removal) is a third of it. Command modules do not import
each other, so splitting delete out would copy those helpers; the purge's logic itself lives in
deploy/engine/purge.py and kept.py.
"""

from __future__ import annotations

import json
from typing import Any

import click

from deploy.commands.group import App, pass_app, wait_for_lock


def _warn_expiry(app: App, project: Any) -> None:
    """Before a long run (`all`, `stack`, `main`, `delete`): a warning when the credentials expire sooner
    than it can take (deploy/aws/session.py, DEPLOY_BUDGET_SECONDS)."""
    from datetime import UTC, datetime

    from deploy.aws.session import expiry_warning

    text = expiry_warning(app.aws(), project.command(), datetime.now(UTC))
    if text:
        click.echo(text, err=True)


def _finish(report: Any, project: Any) -> None:
    """Print the summary; a run with failures ends with one error line (exit 1)."""
    from deploy.errors import DeployError
    from deploy.ui import views

    app = click.get_current_context().find_object(App)
    click.echo(views.summary(report, project.env, app.reporter if app else None))
    if not report.ok:
        failed = [k for k, r in report.results.items() if r.outcome.value == "failed"]
        skipped = [k for k, r in report.results.items() if r.outcome.value == "skipped"]
        text = f"{report.action} {project.env}: {', '.join(failed)} failed"
        if skipped:
            text += f"; {', '.join(skipped)} skipped"
        raise DeployError(text)


def _nothing_to_do(
    app: App, deployer: Any, project: Any, keys: list[str] | None, overrides: Any, rollback: bool
) -> bool:
    """Two parallel rounds of reads first (issue #17), the identity check (STS, started by
    `deployer(identity_later=True)`) overlapping the first: a no-op is two sequential round trips.
    The check has answered (wrong account refused, "environment ..." printed) before anything is
    reported or written. When every stack is unchanged nothing will be written, so neither the
    preflight nor the deploy lock is needed: the no-op is reported at once."""
    try:
        survey = deployer.survey(keys, overrides=overrides, continue_rollback=rollback)
    except Exception:
        app.check_identity()  # no credentials, wrong account: said as the identity check says it
        raise
    app.check_identity()
    if survey.todo:
        return False
    _finish(deployer.deploy(survey=survey), project)
    return True


_concurrency = click.option(
    "--concurrency",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Stacks changing at the same time.",
)
_skip_preflight = click.option(
    "--skip-preflight",
    is_flag=True,
    help="Emergencies only: do not run the read-only checks (deploy/engine/preflight.py) first.",
)


def _preflight(
    app: App,
    project: Any,
    skip: bool,
    keys: list[str] | None = None,
    overrides: Any = None,
    nested: bool = False,
    adopt: bool = False,
) -> list[Any] | None:
    """The read-only preflight before anything is written (before the deploy lock, too): a failed
    item stops the command with its checklist on stderr, exit 2. Returns the kept resources it
    found (kept.find), for the deploy, which then does not look them up again; None when skipped."""
    from deploy.engine import preflight
    from deploy.errors import BadInput

    if skip:
        click.echo("preflight skipped (--skip-preflight)", err=True)
        return None
    report = preflight.run(project, app.aws(), keys, overrides=overrides, nested=nested, adopt=adopt)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if report.unchecked:
        click.echo(f"preflight: not checked here: {'; '.join(report.unchecked)}", err=True)
    if not report.ok:
        click.echo(report.checklist(), err=True)
        raise BadInput(
            f"preflight found {len(report.failed)} problem{'s' if len(report.failed) != 1 else ''} (listed above); "
            "nothing was changed"
        )
    return report.kept


_continue_rollback = click.option(
    "--continue-rollback",
    is_flag=True,
    help="Continue the rollback of a stack stuck in UPDATE_ROLLBACK_FAILED, then deploy it.",
)


@click.command("all", short_help="Deploy every stack, in dependency order, only what changed.")
@_concurrency
@_continue_rollback
@click.option(
    "--adopt",
    is_flag=True,
    help="Import resources kept by an earlier delete (buckets, secrets, log groups, ...) into the new stacks.",
)
@_skip_preflight
@wait_for_lock
@pass_app
def deploy_all(
    app: App, concurrency: int, continue_rollback: bool, adopt: bool, skip_preflight: bool, wait_lock: bool
) -> None:
    """Deploy every stack: each starts as soon as the stacks it reads from are done.

    Unchanged stacks are skipped without a change set; outputs pass to downstream stacks as parameters.
    When resources the new stacks create exist already (kept by `delete`), nothing is changed and
    they are listed; `--adopt` brings them back into the stacks with their data (resource import).

    \b
    Examples:
    python -m deploy all                            dev, only what changed (the spec's `pnpm aws:deploy`)
    python -m deploy --env prod --profile hana-prod all
    python -m deploy all --local                    the same on the local emulator
    python -m deploy all --adopt                    after a delete: take back the kept resources
    """
    project = app.project()
    project.check()
    deployer = app.deployer(concurrency, identity_later=True)
    if _nothing_to_do(app, deployer, project, None, {}, continue_rollback):
        return
    _warn_expiry(app, project)  # a long run ahead (a no-op is not one)
    kept = _preflight(app, project, skip_preflight, adopt=adopt)
    with app.locked(wait_lock):
        report = deployer.deploy(continue_rollback=continue_rollback, adopt=adopt, kept=kept)  # surveyed again
    _finish(report, project)


@click.command("stack", short_help="Deploy one stack.")
@click.argument("name")
@click.option(
    "-p",
    "--parameter",
    "parameters",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a deploy-time parameter (e.g. ImageTag=abc123); others keep their live value.",
)
@click.option(
    "--cascade",
    is_flag=True,
    help="When its outputs change, redeploy the stacks that read them (dependency order).",
)
@_continue_rollback
@_skip_preflight
@wait_for_lock
@pass_app
def deploy_stack(
    app: App,
    name: str,
    parameters: tuple[str, ...],
    cascade: bool,
    continue_rollback: bool,
    skip_preflight: bool,
    wait_lock: bool,
) -> None:
    """Deploy one stack (its upstream stacks must exist: their outputs become its parameters).

    When its outputs change, the stacks that read them are stale: they are named with the commands
    to run, or with --cascade redeployed after it, in dependency order.

    \b
    Examples:
    python -m deploy stack network                  the spec's `pnpm aws:deploy:stack network`
    python -m deploy stack network --cascade        and the stacks reading its changed outputs
    python -m deploy stack compute -p ImageTag=abc123def456
    python -m deploy stack compute --continue-rollback
    """
    from deploy.engine import cascade as cascading
    from deploy.engine.cfn import outputs_of
    from deploy.engine.plan import parse_overrides

    project = app.project()
    key = project.resolve(name)
    overrides = parse_overrides(parameters, project, key)
    project.check([key])
    deployer = app.deployer(identity_later=True)
    if _nothing_to_do(app, deployer, project, [key], overrides, continue_rollback):
        return
    _warn_expiry(app, project)  # one stack can be long too (database: RDS Multi-AZ, ~15 min)
    kept = _preflight(app, project, skip_preflight, [key], overrides)
    with app.locked(wait_lock):
        live = deployer.live([key])[key]
        before = outputs_of(live) if live is not None else None
        report = deployer.deploy([key], overrides=overrides, continue_rollback=continue_rollback, kept=kept)
        result = report.results.get(key)
        changed = cascading.changed(before, result.outputs) if report.ok and result is not None else []
        stale = cascading.stale(project, key, changed)
        if stale and cascade:
            _finish(report, project)
            click.echo(
                f"outputs of {project.stack_name(key)} changed ({', '.join(changed)}): redeploying {', '.join(stale)}",
                err=True,
            )
            report = deployer.deploy(stale)
    if stale and not cascade:
        click.echo(f"note: {cascading.hint(project, key, changed, stale)}", err=True)
    _finish(report, project)


@click.command("plan", short_help="Show what a deploy would change (nothing is executed).")
@click.argument("name", required=False)
@_concurrency
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="JSON: {env, changed, counts: {changes, new, unchanged, blocked}, stacks: [{key, name, state, message, "
    "changes: [{action, logical_id, type, replacement, properties}]}]}.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when nothing would change, 2 when something would, 1 on an error or a stack that cannot be "
    "planned (as `terraform plan -detailed-exitcode`).",
)
@pass_app
def plan(app: App, name: str | None, concurrency: int, as_json: bool, detailed_exitcode: bool) -> None:
    """Show what a deploy would change: resources added, modified (replacement first), removed.

    Uses change sets that are never executed and always deleted.

    \b
    Examples:
    python -m deploy plan                            every stack
    python -m deploy plan compute                    one stack
    python -m deploy --env prod plan --json          for scripts: see docs/operations.md
    python -m deploy plan --detailed-exitcode        exit 2 when a deploy would change something
    """
    from deploy.errors import DeployError
    from deploy.ui import views

    project = app.project()
    keys = [project.resolve(name)] if name else None
    project.check(keys)
    deployer = app.deployer(concurrency)
    previews = deployer.plan(keys)
    counts = {s: sum(p.state == s for p in previews) for s in ("changes", "new", "unchanged", "blocked")}
    changed = bool(counts["changes"] or counts["new"])
    if as_json:
        click.echo(json.dumps(plan_json(previews, project.env, counts), indent=2))
    else:
        click.echo(views.plan_text(previews, project.env))
    if not detailed_exitcode:
        return
    if counts["blocked"]:
        blocked = ", ".join(p.key for p in previews if p.state == "blocked")
        raise DeployError(f"plan {project.env}: {blocked} cannot be planned (listed above)")
    if changed:
        raise click.exceptions.Exit(2)


def plan_json(previews: list[Any], env: str, counts: dict[str, int]) -> dict[str, Any]:
    """The `plan --json` document (keys documented in docs/operations.md, "JSON output")."""
    return {
        "env": env,
        "changed": bool(counts["changes"] or counts["new"]),
        "counts": counts,
        "stacks": [
            {
                "key": p.key,
                "name": p.name,
                "state": p.state,
                "message": p.message,
                "changes": [
                    {
                        "action": c.action,
                        "logical_id": c.logical_id,
                        "type": c.type,
                        "replacement": c.replacement,
                        "properties": list(c.properties),
                    }
                    for c in p.changes
                ],
            }
            for p in previews
        ],
    }


@click.command("status", short_help="Stacks, endpoints, internal resources, console links and services.")
@click.option("--json", "as_json", is_flag=True, help="JSON: stacks, endpoints, internal resources, links, services.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """The spec's "Deployed Resources": the stacks (status, last update), the key endpoints, the internal
    resources (RDS, Redis, ECR), the AWS Console links, the HANA TUI line, and the services (tasks, task
    definition and image tag, rollout, latest event). The AWS calls run in parallel.

    \b
    Examples:
    python -m deploy status                         the spec's `pnpm aws:status`
    python -m deploy --env prod status --json       for scripts: see docs/operations.md
    """
    from concurrent.futures import ThreadPoolExecutor

    from deploy.errors import DeployError
    from deploy.ops import services
    from deploy.ops.context import Ops
    from deploy.ui import views
    from hana_templates import naming

    project = app.project()
    deployer = app.deployer(announce=False)
    ops = Ops(app.aws(), project.cfg, project.command())

    def service_rows() -> Any:
        try:
            return services.service_rows(ops)
        except DeployError as err:  # compute not deployed: the stacks table says so
            return str(err)

    with ThreadPoolExecutor(max_workers=2) as pool:
        stacks_future = pool.submit(deployer.status)
        services_future = pool.submit(service_rows)
        rows, svc = stacks_future.result(), services_future.result()
    region = app.aws().region
    prefix = naming.prefix(project.cfg)
    secrets_prefix = naming.secret_name(project.cfg, "").rstrip("/")
    if as_json:
        found = views.endpoints(r.outputs for r in rows)
        click.echo(
            json.dumps(
                {
                    "env": project.env,
                    "region": region,
                    "stacks": [
                        {
                            "key": r.key,
                            "name": r.name,
                            "status": r.status,
                            "updated": r.updated,
                            "protected": r.protected,
                        }
                        for r in rows
                    ],
                    "endpoints": dict(found),
                    "internal": {k: v for k, v, _ in views.internal_resources(r.outputs for r in rows)},
                    "console": dict(views.console_links(region, prefix, secrets_prefix, (r.outputs for r in rows))),
                    "services": [s.as_json() for s in svc] if isinstance(svc, list) else [],
                    "services_note": None if isinstance(svc, list) else svc,
                },
                indent=2,
                default=str,
            )
        )
        return
    click.echo(views.status_text(rows, project.env, svc, region, prefix, secrets_prefix))


@click.command("outputs", short_help="Stack outputs, readable or --json.")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="JSON: {stack: {output: value}}, or {output: value} for NAME.")
@pass_app
def outputs(app: App, name: str | None, as_json: bool) -> None:
    """The stack outputs, all stacks or NAME's.

    \b
    Examples:
    python -m deploy outputs
    python -m deploy outputs compute --json
    """
    from deploy.ui import views

    project = app.project()
    keys = [project.resolve(name)] if name else None
    deployer = app.deployer(announce=False)
    values = deployer.outputs(keys)
    if as_json:
        from deploy.errors import DeployError

        if name:
            only = next(iter(values.values()))
            if only is None:
                raise DeployError(f"{project.stack_name(keys[0])} is not deployed")  # type: ignore[index]
            click.echo(json.dumps(only, indent=2, sort_keys=True))
        else:
            click.echo(json.dumps({k: v for k, v in values.items() if v is not None}, indent=2, sort_keys=True))
        return
    click.echo(views.outputs_text(values, {k: project.stack_name(k) for k in values}))


@click.command("delete", short_help="Delete every stack, in reverse dependency order.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (automation).")
@click.option("--confirm-prod", is_flag=True, help="Required to delete a protected environment (prod).")
@click.option(
    "--lift-protection",
    is_flag=True,
    help="Turn off RDS and ALB deletion protection by stack updates first (CloudFormation stays the owner).",
)
@click.option(
    "--retain",
    "retain",
    multiple=True,
    metavar="LOGICAL_ID",
    help="Keep this resource of a DELETE_FAILED stack (DeleteStack RetainResources); repeatable.",
)
@click.option(
    "--purge",
    is_flag=True,
    help="Also remove what a delete keeps (buckets, repository, secrets, log groups, queues, KMS keys), "
    "after listing what each holds.",
)
@click.option(
    "--force-delete-secrets",
    is_flag=True,
    help="With --purge: delete secrets without the recovery window (ForceDeleteWithoutRecovery).",
)
@click.option("--delete-snapshots", is_flag=True, help="With --purge: delete the RDS/ElastiCache snapshots too.")
@click.option(
    "--key-window",
    type=click.IntRange(7, 30),
    default=None,
    metavar="DAYS",
    help="With --purge: days before the KMS keys are deleted (7-30; default 30).",
)
@click.option(
    "--confirm-purge",
    metavar="ENV",
    default=None,
    help="With --purge --yes on a protected environment: its name, typed back (the prompt's answer).",
)
@_concurrency
@wait_for_lock
@pass_app
def delete(
    app: App,
    yes: bool,
    confirm_prod: bool,
    lift_protection: bool,
    retain: tuple[str, ...],
    purge: bool,
    force_delete_secrets: bool,
    delete_snapshots: bool,
    key_window: int | None,
    confirm_purge: str | None,
    concurrency: int,
    wait_lock: bool,
) -> None:
    """Delete every stack, in reverse dependency order, after a confirmation naming the environment
    and what is kept (snapshots, buckets, repositories, secrets, log groups, keys).

    Before anything is deleted, the live resources are checked for what AWS would refuse to delete
    (RDS and ALB deletion protection): the delete stops there, naming each one, unless
    --lift-protection turns them off first through the stacks themselves.

    With --purge, what the delete keeps is listed with what it holds and removed too (secrets with
    their recovery window, KMS keys scheduled for deletion, final snapshots kept unless
    --delete-snapshots); running it again finishes an interrupted purge.

    \b
    Examples:
    python -m deploy delete                         asks for the environment name
    python -m deploy delete --local --yes           the emulator, no question
    python -m deploy --env prod delete --confirm-prod --lift-protection
    python -m deploy delete --purge --force-delete-secrets   removes what delete keeps, too
    """
    from deploy.engine import purge as purging
    from deploy.engine import teardown
    from deploy.errors import BadInput, DeployError
    from deploy.ui import views

    project = app.project()
    protected = project.cfg.termination_protection
    _check_purge_options(
        project, purge, force_delete_secrets, delete_snapshots, key_window, confirm_purge, yes, app.interactive()
    )
    if confirm_prod and not protected:
        raise BadInput(f"--confirm-prod is only for a protected environment (prod); {project.env} is not one")
    if protected and not confirm_prod:
        raise BadInput(f"{project.env} is protected (termination protection): deleting it needs --confirm-prod as well")
    if not yes and not app.interactive():
        raise BadInput("delete needs a confirmation: run it in a terminal, or pass --yes")
    project.check()
    deployer = app.deployer(concurrency)
    _warn_expiry(app, project)
    nested = deployer.find_nested()
    order = list(reversed(project.order()))
    live = deployer.live(order)
    present = [k for k in order if live[k] is not None]
    aws = app.aws()
    window = key_window or purging.DEFAULT_KEY_WINDOW
    options = {"force_secrets": force_delete_secrets, "delete_snapshots": delete_snapshots, "key_window": window}
    if not present and not nested:
        if not purge:
            click.echo(f"nothing to delete: no stack of {project.env} exists")
            return
        _purge_only(app, project, options, yes and (not protected or confirm_purge == project.env), wait_lock)
        return
    ident = aws.identity()
    names = ([project.stack_name("main")] if nested else []) + [project.stack_name(k) for k in present]
    retained = [r for r in project.retained(ident.account, aws.region) if r.stack in present or nested]
    click.echo(f"About to delete environment {project.env} in account {ident.account} ({aws.region}):")
    click.echo(f"  {len(names)} stack{'s' if len(names) != 1 else ''}, in this order: {', '.join(names)}")
    survey = None
    if purge:
        survey = purging.survey(project, aws, live=True)
        click.echo("  then removed (--purge), with what each holds:")
        click.echo(purging.listing(survey, **options))
    else:
        click.echo(views.retained_text(retained, project.env))
    found = teardown.blockers(aws, {k: project.stack_name(k) for k in present}, retain=retain)
    if found and not lift_protection:
        for blocker in found:
            click.echo(f"  blocks the delete: {blocker.line()}", err=True)
        again = f"{project.command()} delete{' --confirm-prod' if confirm_prod else ''} --lift-protection"
        raise BadInput(
            f"{len(found)} protection{'s' if len(found) != 1 else ''} would stop the delete of {project.env} halfway; "
            f"nothing was deleted: lift {'them' if len(found) != 1 else 'it'} by stack updates and delete with `{again}`"
        )
    if found:
        click.echo(f"  first, by stack updates: {'; '.join(b.line() + ' off' for b in found)}")
    if not yes or (purge and protected and confirm_purge != project.env):
        what = "delete it and remove everything listed" if purge else "delete it"
        typed = click.prompt(f"Type the environment name ({project.env}) to {what}", default="", show_default=False)
        if typed.strip() != project.env:
            raise DeployError("not confirmed: nothing was deleted")
    with app.locked(wait_lock):
        for note in teardown.lift(deployer, found):
            click.echo(note, err=True)
        report = deployer.delete(allow_protected=confirm_prod, retain=retain)
        if purge and report.ok:
            _finish(report, project)
            _purge(app, project, options)
            return
    _finish(report, project)


def _check_purge_options(
    project: Any,
    purge: bool,
    force_secrets: bool,
    delete_snapshots: bool,
    key_window: int | None,
    confirm_purge: str | None,
    yes: bool,
    interactive: bool,
) -> None:
    """Bad input before anything is read or changed: the purge options only with --purge, and the
    name typed back must be this environment's."""
    from deploy.errors import BadInput

    extra = [
        flag
        for flag, on in (
            ("--force-delete-secrets", force_secrets),
            ("--delete-snapshots", delete_snapshots),
            ("--key-window", key_window is not None),
            ("--confirm-purge", confirm_purge is not None),
        )
        if on
    ]
    if extra and not purge:
        raise BadInput(f"{', '.join(extra)} only go with --purge; add --purge, or leave them out to keep the data")
    if confirm_purge is not None and confirm_purge != project.env:
        raise BadInput(
            f"--confirm-purge {confirm_purge!r} is not this environment's name; to purge {project.env}, "
            f"pass --confirm-purge {project.env}"
        )
    if purge and yes and project.cfg.termination_protection and confirm_purge is None and not interactive:
        raise BadInput(
            f"--yes alone does not purge {project.env} (a protected environment); nothing was changed: "
            f"type its name in a terminal, or pass --confirm-purge {project.env}"
        )


def _purge_only(app: App, project: Any, options: dict[str, Any], confirmed: bool, wait_lock: bool) -> None:
    """`delete --purge` when no stack is left (after a plain delete, or a purge that stopped): list, ask, remove."""
    from deploy.engine import purge as purging
    from deploy.errors import BadInput, DeployError

    aws = app.aws()
    survey = purging.survey(project, aws)
    if not survey.todo(**options):
        rest = survey.settled()
        click.echo(
            f"nothing to delete or purge: no stack of {project.env} exists and nothing of it is left to remove"
            + (f" ({rest})" if rest else "")
        )
        return
    ident = aws.identity()
    click.echo(f"No stack of {project.env} exists; kept in account {ident.account} ({aws.region}), to be removed:")
    click.echo(purging.listing(survey, **options))
    if not confirmed:
        if not app.interactive():
            raise BadInput(
                f"purging {project.env} needs its name typed back: run it in a terminal, or pass "
                f"--confirm-purge {project.env}"
            )
        typed = click.prompt(
            f"Type the environment name ({project.env}) to remove everything listed", default="", show_default=False
        )
        if typed.strip() != project.env:
            raise DeployError("not confirmed: nothing was removed")
    with app.locked(wait_lock):
        _purge(app, project, options)


def _purge(app: App, project: Any, options: dict[str, Any]) -> None:
    """Survey again (the delete just left the final snapshots) and remove; one line per resource."""
    from deploy.engine import purge as purging

    aws = app.aws()
    survey = purging.survey(project, aws)
    lines = purging.remove(aws, survey, note=lambda line: click.echo(f"  {line}"), **options)
    left = [k for k in survey.kept if k.foreign]
    tail = f"; left alone: {', '.join(k.label for k in left)} (another account's)" if left else ""
    click.echo(f"purge {project.env}: {len(lines)} removed{tail}")
    if any(k.type == "AWS::SQS::Queue" for k in survey.kept):
        # SQS DeleteQueue: "you must wait at least 60 seconds before creating a queue with the same name"
        click.echo(
            "note: AWS refuses a queue of the same name for 60 s after its delete: wait that long before "
            f"`{project.command()} all`"
        )


@click.command("main", short_help="The nested deployment (hana-<env> from main.yaml).")
@_continue_rollback
@_skip_preflight
@wait_for_lock
@pass_app
def main_stack(app: App, continue_rollback: bool, skip_preflight: bool, wait_lock: bool) -> None:
    """The nested deployment: upload the child templates (content-addressed, to a private, encrypted,
    versioned bucket), then deploy `hana-<env>` from out/<env>/main.yaml.

    \b
    Examples:
    python -m deploy main                           dev as one nested stack (hana-dev)
    python -m deploy --env prod main --wait
    """
    from deploy.engine.nested import Nested
    from deploy.errors import BadInput

    project = app.project()
    project.check()
    if not project.has_main():
        raise BadInput(f"{project.env_dir}/main.yaml does not exist: run `make templates`")
    deployer = app.deployer()
    _warn_expiry(app, project)
    _preflight(app, project, skip_preflight, nested=True)
    nested = Nested(deployer)
    with app.locked(wait_lock):
        report = nested.deploy(continue_rollback=continue_rollback)
    up = nested.uploads
    if up is not None:
        created = " (created)" if nested.bucket_created else ""
        click.echo(
            f"templates in s3://{up.bucket}{created}: {len(up.uploaded)} uploaded, {len(up.present)} already there",
            err=True,
        )
    _finish(report, project)


COMMANDS = (deploy_all, deploy_stack, plan, status, outputs, delete, main_stack)
