"""`python -m deploy`: the command line (click). One small function per command over the library.

The one error boundary is `DeployGroup.main`: an expected failure (HanaError, incl. DeployError,
and click's usage errors) prints one line `error: ...` on stderr and exits non-zero (2 for bad
input, 1 for a failed operation, 130 for Ctrl-C); `--debug` adds the traceback. Progress and
notes go to stderr, results (summaries, tables, JSON) to stdout.

Nothing heavy is imported at start-up (no boto3, no troposphere): `--help` stays fast.

Exported: cli (the click group), App.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from hana_templates import config

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@dataclass
class App:
    """Per-invocation state; tests pass their own factories with `CliRunner.invoke(..., obj=App(...))`."""

    project_factory: Callable[[str], Any] | None = None
    aws_factory: Callable[[Any, str], Any] | None = None
    reporter_factory: Callable[[], Any] | None = None
    timing: Any = None
    executor_factory: Callable[[int], Any] | None = None
    interactive: Callable[[], bool] = field(default=lambda: sys.stdin.isatty())
    settings: Any = None
    _project: Any = None
    _aws: Any = None

    def project(self) -> Any:
        if self._project is None:
            from .project import Project

            factory = self.project_factory or Project.default
            self._project = factory(self.settings.env)
        return self._project

    def aws(self) -> Any:
        if self._aws is None:
            from .session import Aws

            region = self.settings.region or self.project().cfg.region
            factory = self.aws_factory or (lambda settings, region: Aws(settings, region))
            self._aws = factory(self.settings, region)
        return self._aws

    def deployer(self, concurrency: int = 4, announce: bool = True) -> Any:
        """The deployer, after the preflight identity check (and, when `announce`, the line saying where)."""
        from .plan import Deployer, ThreadExecutor
        from .progress import make_reporter

        aws = self.aws()
        project = self.project()
        aws.preflight(project.cfg)
        if announce:
            click.echo(aws.describe(project.cfg), err=True)
        reporter = self.reporter_factory() if self.reporter_factory else make_reporter(sys.stderr)
        return Deployer(
            project,
            aws,
            reporter=reporter,
            timing=self.timing,
            concurrency=concurrency,
            executor_factory=self.executor_factory or ThreadExecutor,
        )


class DeployGroup(click.Group):
    """A click group whose errors are one line each (see the module docstring)."""

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:  # type: ignore[override]  # noqa: E501
        argv = _hoist_local(list(sys.argv[1:] if args is None else args))
        debug = "--debug" in argv
        try:
            rv = super().main(
                args=argv,
                prog_name="python -m deploy",  # also under CliRunner, which says "cli"
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except click.exceptions.Exit as e:
            rv = e.exit_code
        except click.exceptions.NoArgsIsHelpError as e:  # bare `python -m deploy`: the help, not an error
            click.echo(e.ctx.get_help())
            rv = 0
        except click.ClickException as e:
            hint = (
                f" (see `{e.ctx.command_path} --help`)"
                if getattr(e, "ctx", None) and isinstance(e, click.UsageError)
                else ""
            )
            _fail(e.format_message() + hint, e.exit_code)
        except click.Abort as e:
            interrupted = isinstance(e.__context__, KeyboardInterrupt)
            _fail("interrupted: nothing more was changed" if interrupted else "aborted", 130 if interrupted else 1)
        except Exception as e:
            from hana_templates.errors import ConfigError, HanaError

            if debug:
                traceback.print_exc()
            if isinstance(e, HanaError):
                code = getattr(e, "exit_code", 2 if isinstance(e, ConfigError) else 1)
                _fail(str(e), code)
            from .cfn import error_text

            _fail(f"unexpected {type(e).__name__}: {error_text(e)} (run with --debug for the traceback)", 1)
        if standalone_mode:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv


def _hoist_local(argv: list[str]) -> list[str]:
    """`python -m deploy all --local` reads like the other flags of a command; `--local` is an
    option of the group, so it is moved in front of the command name."""
    end = argv.index("--") if "--" in argv else len(argv)
    if "--local" not in argv[:end]:
        return argv
    return ["--local", *[a for a in argv[:end] if a != "--local"], *argv[end:]]


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {' '.join(str(message).split())}", err=True)
    sys.exit(code)


pass_app = click.make_pass_decorator(App, ensure=True)


@click.group(cls=DeployGroup, context_settings=CONTEXT)
@click.option(
    "--env",
    default="dev",
    show_default=True,
    metavar="|".join(config.ENVIRONMENTS),
    help="Environment (its config in hana_templates/config.py, templates in out/<env>/).",
)
@click.option("--profile", envvar="AWS_PROFILE", help="AWS profile, usually SSO [default: $AWS_PROFILE].")
@click.option("--region", help="AWS region [default: the environment's, us-east-1].")
@click.option(
    "--endpoint-url",
    envvar="AWS_ENDPOINT_URL",
    help="Send AWS calls here, e.g. a local emulator [default: $AWS_ENDPOINT_URL].",
)
@click.option(
    "--local",
    is_flag=True,
    help="Use the local AWS emulator (`python -m deploy local`) at $HANA_EMULATOR_URL or "
    "http://127.0.0.1:4566, with dummy credentials; nothing reaches AWS. Also accepted after the command.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def cli(
    ctx: click.Context,
    env: str,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
    local: bool,
    debug: bool,
) -> None:
    """Deploy HANA's CloudFormation stacks (out/<env>/*.yaml) in dependency order.

    \b
    python -m deploy all                    deploy every stack (only what changed)
    python -m deploy plan                   what a deploy would change
    python -m deploy status                 stacks and key endpoints
    python -m deploy --env prod --profile hana-prod all
    """
    from .errors import BadInput
    from .session import Settings

    if env not in config.ENVIRONMENTS:
        raise BadInput(f"unknown environment {env!r}; allowed: {', '.join(config.ENVIRONMENTS)}")
    if local:
        profile, endpoint_url = _local_mode(ctx)
    app = ctx.ensure_object(App)
    app.settings = Settings(
        env=env,
        profile=profile or None,
        region=region,
        endpoint_url=endpoint_url or None,
        debug=debug,
        emulator=local,
    )
    if debug:
        import logging

        logging.basicConfig(level=logging.INFO)


def _local_mode(ctx: click.Context) -> tuple[None, str]:
    """`--local`: the emulator's endpoint, no profile, and this process's AWS settings pointed at
    the emulator only (see hana_emulator/client.py). An explicit --profile or --endpoint-url
    conflicts; the ones that come from $AWS_PROFILE / $AWS_ENDPOINT_URL are ignored."""
    from click.core import ParameterSource

    from hana_emulator import EmulatorError, client

    from .errors import BadInput

    for option in ("profile", "endpoint_url"):
        if ctx.get_parameter_source(option) == ParameterSource.COMMANDLINE:
            raise BadInput(f"--local cannot be combined with --{option.replace('_', '-')}")
    try:
        endpoint = client.url()
    except EmulatorError as err:
        raise BadInput(str(err)) from None
    client.activate(endpoint)
    return None, endpoint


def _finish(report: Any, project: Any) -> None:
    """Print the summary; a run with failures ends with one error line (exit 1)."""
    from . import views
    from .errors import DeployError

    click.echo(views.summary(report, project.env))
    if not report.ok:
        failed = [k for k, r in report.results.items() if r.outcome.value == "failed"]
        skipped = [k for k, r in report.results.items() if r.outcome.value == "skipped"]
        text = f"{report.action} {project.env}: {', '.join(failed)} failed"
        if skipped:
            text += f"; {', '.join(skipped)} skipped"
        raise DeployError(text)


_concurrency = click.option(
    "--concurrency",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Stacks changing at the same time.",
)
_continue_rollback = click.option(
    "--continue-rollback",
    is_flag=True,
    help="Continue the rollback of a stack stuck in UPDATE_ROLLBACK_FAILED, then deploy it.",
)


@cli.command("all", short_help="Deploy every stack, in dependency order, only what changed.")
@_concurrency
@_continue_rollback
@pass_app
def deploy_all(app: App, concurrency: int, continue_rollback: bool) -> None:
    """Deploy every stack: each starts as soon as the stacks it reads from are done.

    Unchanged stacks are skipped without a change set; outputs pass to downstream stacks as parameters.
    """
    project = app.project()
    project.check()
    deployer = app.deployer(concurrency)
    _finish(deployer.deploy(continue_rollback=continue_rollback), project)


@cli.command("stack", short_help="Deploy one stack.")
@click.argument("name")
@click.option(
    "-p",
    "--parameter",
    "parameters",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a deploy-time parameter (e.g. ImageTag=abc123); others keep their live value.",
)
@_continue_rollback
@pass_app
def deploy_stack(app: App, name: str, parameters: tuple[str, ...], continue_rollback: bool) -> None:
    """Deploy one stack (its upstream stacks must exist: their outputs become its parameters)."""
    from .plan import parse_overrides

    project = app.project()
    key = project.resolve(name)
    overrides = parse_overrides(parameters, project, key)
    project.check([key])
    deployer = app.deployer()
    _finish(deployer.deploy([key], overrides=overrides, continue_rollback=continue_rollback), project)


@cli.command("plan", short_help="Show what a deploy would change (nothing is executed).")
@click.argument("name", required=False)
@_concurrency
@pass_app
def plan(app: App, name: str | None, concurrency: int) -> None:
    """Show what a deploy would change: resources added, modified (replacement first), removed.

    Uses change sets that are never executed and always deleted.
    """
    from . import views

    project = app.project()
    keys = [project.resolve(name)] if name else None
    project.check(keys)
    deployer = app.deployer(concurrency)
    click.echo(views.plan_text(deployer.plan(keys), project.env))


@cli.command("status", short_help="Stacks and key endpoints.")
@pass_app
def status(app: App) -> None:
    """The stacks (status, last update) and the key endpoints (load balancer, health, API, WebSocket)."""
    from . import views

    project = app.project()
    deployer = app.deployer(announce=False)
    click.echo(views.status_text(deployer.status(), project.env))


@cli.command("outputs", short_help="Stack outputs, readable or --json.")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="JSON: {stack: {output: value}}, or {output: value} for NAME.")
@pass_app
def outputs(app: App, name: str | None, as_json: bool) -> None:
    """The stack outputs, all stacks or NAME's."""
    from . import views

    project = app.project()
    keys = [project.resolve(name)] if name else None
    deployer = app.deployer(announce=False)
    values = deployer.outputs(keys)
    if as_json:
        from .errors import DeployError

        if name:
            only = next(iter(values.values()))
            if only is None:
                raise DeployError(f"{project.stack_name(keys[0])} is not deployed")  # type: ignore[index]
            click.echo(json.dumps(only, indent=2, sort_keys=True))
        else:
            click.echo(json.dumps({k: v for k, v in values.items() if v is not None}, indent=2, sort_keys=True))
        return
    click.echo(views.outputs_text(values, {k: project.stack_name(k) for k in values}))


@cli.command("delete", short_help="Delete every stack, in reverse dependency order.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (automation).")
@click.option("--confirm-prod", is_flag=True, help="Required to delete a protected environment (prod).")
@_concurrency
@pass_app
def delete(app: App, yes: bool, confirm_prod: bool, concurrency: int) -> None:
    """Delete every stack, in reverse dependency order, after a confirmation naming the environment
    and what is kept (snapshots, buckets, repositories, secrets, log groups, keys)."""
    from . import views
    from .errors import BadInput, DeployError

    project = app.project()
    protected = project.cfg.termination_protection
    if confirm_prod and not protected:
        raise BadInput(f"--confirm-prod is only for a protected environment (prod); {project.env} is not one")
    if protected and not confirm_prod:
        raise BadInput(f"{project.env} is protected (termination protection): deleting it needs --confirm-prod as well")
    if not yes and not app.interactive():
        raise BadInput("delete needs a confirmation: run it in a terminal, or pass --yes")
    project.check()
    deployer = app.deployer(concurrency)
    order = list(reversed(project.order()))
    live = deployer.live(order)
    present = [k for k in order if live[k] is not None]
    nested = deployer.ops.describe(project.stack_name("main")) is not None
    if not present and not nested:
        click.echo(f"nothing to delete: no stack of {project.env} exists")
        return
    ident = app.aws().identity()
    names = ([project.stack_name("main")] if nested else []) + [project.stack_name(k) for k in present]
    retained = [r for r in project.retained(ident.account, app.aws().region) if r.stack in present or nested]
    click.echo(f"About to delete environment {project.env} in account {ident.account} ({app.aws().region}):")
    click.echo(f"  {len(names)} stack{'s' if len(names) != 1 else ''}, in this order: {', '.join(names)}")
    click.echo(views.retained_text(retained, project.env))
    if not yes:
        typed = click.prompt(f"Type the environment name ({project.env}) to delete it", default="", show_default=False)
        if typed.strip() != project.env:
            raise DeployError("not confirmed: nothing was deleted")
    _finish(deployer.delete(allow_protected=confirm_prod), project)


@cli.command("main", short_help="The nested deployment (hana-<env> from main.yaml).")
@_continue_rollback
@pass_app
def main_stack(app: App, continue_rollback: bool) -> None:
    """The nested deployment: upload the child templates (content-addressed, to a private, encrypted,
    versioned bucket), then deploy `hana-<env>` from out/<env>/main.yaml."""
    from .errors import BadInput
    from .nested import Nested

    project = app.project()
    project.check()
    if not project.has_main():
        raise BadInput(f"{project.env_dir}/main.yaml does not exist: run `make templates`")
    deployer = app.deployer()
    nested = Nested(deployer)
    report = nested.deploy(continue_rollback=continue_rollback)
    up = nested.uploads
    if up is not None:
        created = " (created)" if nested.bucket_created else ""
        click.echo(
            f"templates in s3://{up.bucket}{created}: {len(up.uploaded)} uploaded, {len(up.present)} already there",
            err=True,
        )
    _finish(report, project)


@cli.command("local", short_help="Run the local AWS emulator in the foreground (Ctrl-C stops it).")
@click.option("--port", type=click.IntRange(1, 65535), default=4566, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Load the emulator's state from FILE if it exists, save it there on exit.",
)
def local_emulator(port: int, state: Path | None) -> None:
    """An embedded AWS emulator on 127.0.0.1 (moto, with hana-infra's CloudFormation extensions):
    every deploy command works against it with --local. State is in memory unless --state."""
    from hana_emulator import EmulatorError, local
    from hana_emulator.state import StateError

    from .errors import DeployError

    try:
        local.serve(port=port, state=state, echo=lambda line: click.echo(line, err=True))
    except (EmulatorError, StateError) as err:
        raise DeployError(str(err)) from None


@cli.command("cost", short_help="Monthly cost from the templates (no AWS credentials needed).")
@click.option(
    "--env",
    "cost_env",
    default=None,
    metavar="all|" + "|".join(config.ENVIRONMENTS),
    help="Environment(s) to price [default: the group's --env when given, else all].",
)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of tables.")
@click.option("--compare", "with_compare", is_flag=True, help="What each savings switch in config.Savings saves.")
@click.option("--refresh", is_flag=True, help="Current prices from the AWS Price List API (needs credentials).")
@click.option("--assume", multiple=True, metavar="NAME=VALUE", help="Override a usage assumption (repeatable).")
@click.pass_context
def cost(
    ctx: click.Context, cost_env: str | None, as_json: bool, with_compare: bool, refresh: bool, assume: tuple[str, ...]
) -> None:
    """The monthly AWS cost of an environment, priced from out/<env>/*.yaml and its config: the fixed
    floor, usage lines under stated assumptions, the total at the autoscaling maximum, and the
    spec's own estimate beside ours. Makes no AWS call (except --refresh). See hana_cost/."""
    from click.core import ParameterSource

    from hana_cost.cli import envs_for, run

    settings = ctx.find_object(App).settings
    if cost_env is None:
        given = ctx.parent is not None and ctx.parent.get_parameter_source("env") is not ParameterSource.DEFAULT
        cost_env = settings.env if given else "all"
    run(
        envs_for(cost_env),
        as_json=as_json,
        with_compare=with_compare,
        refresh=refresh,
        assume=assume,
        profile=settings.profile,
    )


# --- day-to-day operations (issue #7): login, push, scale, restart, logs, secrets, exec, health ---
# Defined in ops_cli.py (over login.py, images.py, ecs.py, logs.py, secrets.py, health.py); it
# imports `App` and `pass_app` from here, hence the import at the end.
from . import ops_cli  # noqa: E402

for _command in ops_cli.COMMANDS:
    cli.add_command(_command)
