"""The root click group of `python -m deploy`: global options, per-invocation state, error boundary.

The one error boundary is `DeployGroup.main`: an expected failure (HanaError, incl. DeployError,
and click's usage errors) prints one line `error: ...` on stderr and exits non-zero (2 for bad
input, 1 for a failed operation, 130 for Ctrl-C); `--debug` adds the traceback. Progress and
notes go to stderr, results (summaries, tables, JSON) to stdout.

Nothing heavy is imported at start-up (no boto3, no troposphere): `--help` stays fast.

Exported: cli (the group, without its commands: deploy.commands adds them), App, pass_app.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import click

from deploy.commands.surface import mode_prefix, show_global_options, spec_name_text, version_option
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
    lock_poll: float | None = None  # seconds between tries of `--wait` (tests: small)
    verbose: bool = False  # --verbose: every CloudFormation event, not only transitions and failures
    reporter: Any = None  # the progress display of the last deployer (the summary leaves out what it showed)
    _project: Any = None
    _aws: Any = None
    _identity_pending: bool | None = None  # deployer(identity_later=True): announce once checked

    def project(self) -> Any:
        if self._project is None:
            from deploy.engine.project import Project

            factory = self.project_factory or Project.default
            self._project = factory(self.settings.env)
            if self.settings.emulator:
                self._project.mode = "--local"
            else:  # hints carry what chose the endpoint, and the opt-in a pasted command needs again
                words = [f"--endpoint-url {self.settings.endpoint_url}"] if self.settings.endpoint_url else []
                if self.settings.trust_endpoint and not self.settings.local:
                    words.append("--trust-endpoint")
                if words:
                    self._project.mode = " ".join(words)
        return self._project

    def aws(self) -> Any:
        if self._aws is None:
            from deploy.aws.session import Aws

            region = self.settings.region or self.project().cfg.region
            factory = self.aws_factory or (lambda settings, region: Aws(settings, region))
            self._aws = factory(self.settings, region)
        return self._aws

    @contextlib.contextmanager
    def locked(self, wait: bool = False) -> Iterator[None]:
        """Hold the environment's deploy lock (deploy/engine/lock.py) for the block: every writing
        command runs inside one; read-only commands never take it."""
        from deploy.engine.lock import Lock
        from hana_templates import naming

        project = self.project()
        self.aws().preflight(project.cfg)
        lock = Lock(
            self.aws().client("ssm"),
            naming.deploy_lock(project.cfg),
            project.env,
            project.command(),
            emit=lambda text: click.echo(text, err=True),
            **({"poll": self.lock_poll} if self.lock_poll is not None else {}),
        )
        ctx = click.get_current_context(silent=True)
        lock.acquire(f"{ctx.command_path if ctx else 'python -m deploy'} (env {project.env})", wait=wait)
        try:
            yield
        finally:
            try:
                lock.release()
            except Exception as err:  # never hide the run's own outcome (a lost endpoint, Ctrl-C)
                click.echo(
                    f"warning: could not release the deploy lock of {project.env} ({type(err).__name__}); "
                    f"once no run is active: `{project.command()} lock break`",
                    err=True,
                )

    def deployer(self, concurrency: int = 4, announce: bool = True, identity_later: bool = False) -> Any:
        """The deployer, after the preflight identity check (and, when `announce`, the line saying where).
        With `identity_later` the check is only started (it overlaps the caller's first reads) and
        `check_identity()` must run before anything is written or reported."""
        from deploy.engine.plan import Deployer, ThreadExecutor
        from deploy.ui.progress import make_reporter

        aws = self.aws()
        project = self.project()
        if identity_later and hasattr(aws, "ask_identity_now"):
            aws.ask_identity_now()
            self._identity_pending = announce
        else:
            self._identity_pending = None
            self._check(aws, project, announce)
        reporter = self.reporter_factory() if self.reporter_factory else make_reporter(sys.stderr, verbose=self.verbose)
        self.reporter = reporter
        return Deployer(
            project,
            aws,
            reporter=reporter,
            timing=self.timing,
            concurrency=concurrency,
            executor_factory=self.executor_factory or ThreadExecutor,
        )

    def check_identity(self) -> None:
        """The identity check `deployer(identity_later=True)` started: wait for it, refuse the wrong
        account, print where we are. Does nothing the second time."""
        announce, self._identity_pending = self._identity_pending, None
        if announce is not None:
            self._check(self.aws(), self.project(), announce)

    @staticmethod
    def _check(aws: Any, project: Any, announce: bool) -> None:
        aws.preflight(project.cfg)
        if announce:
            click.echo(aws.describe(project.cfg), err=True)


class DeployGroup(click.Group):
    """A click group whose errors are one line each (see the module docstring). Every command added
    shows the group's options in its help ("Global options", from the group's own parameters), and
    a spec command name (`deploy`, `aws:status`) is answered with ours."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(cmd, name)
        show_global_options(cmd, self)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        if args and args[0] not in self.commands:
            text = spec_name_text(args[0], args[1] if len(args) > 1 else None, self.commands, mode_prefix(ctx))
            if text is not None:
                raise click.UsageError(text, ctx)
        return super().resolve_command(ctx, args)

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:  # type: ignore[override]  # noqa: E501
        argv = hoist_global_options(list(sys.argv[1:] if args is None else args), self.commands)
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
            from deploy.aws.session import is_unreachable, unreachable_text

            if is_unreachable(e):  # a lost endpoint reads the same in every command
                _fail(unreachable_text(e), 1)
            from deploy.engine.cfn import error_text

            _fail(f"unexpected {type(e).__name__}: {error_text(e)} (run with --debug for the traceback)", 1)
        if standalone_mode:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv


# The group's own options, accepted after the command name too (`login --profile X`, `status
# --env prod`, `all --local`): each value-taking one with its value, each flag alone.
GLOBAL_VALUE_OPTIONS = ("--env", "--profile", "--region", "--endpoint-url")
GLOBAL_FLAGS = ("--local", "--debug", "--verbose", "--trust-endpoint", "--version")


def hoist_global_options(argv: list[str], commands: dict[str, click.Command] | None = None) -> list[str]:
    """Move the group's options that follow the command name in front of it, so `python -m deploy
    login --profile X` means `python -m deploy --profile X login`. An option the command defines
    itself (`cost --env`) stays where it is; nothing after `--` moves."""
    end = argv.index("--") if "--" in argv else len(argv)
    head, tail = argv[:end], argv[end:]
    i = 0
    while i < len(head) and head[i].startswith("-"):  # the options before the command name
        i += 2 if head[i] in GLOBAL_VALUE_OPTIONS else 1
    own = _own_options(head[i:], commands or {})
    hoisted: list[str] = []
    rest: list[str] = head[:i]
    j = i
    while j < len(head):
        token = head[j]
        name = token.split("=", 1)[0]
        if name in own:
            rest.append(token)
            if name in GLOBAL_VALUE_OPTIONS and "=" not in token and j + 1 < len(head):
                rest.append(head[j + 1])
                j += 1
        elif name in GLOBAL_FLAGS:
            hoisted.append(token)
        elif name in GLOBAL_VALUE_OPTIONS and ("=" in token or j + 1 < len(head)):
            hoisted.append(token)
            if "=" not in token:
                hoisted.append(head[j + 1])
                j += 1
        else:
            rest.append(token)
        j += 1
    return [*hoisted, *rest, *tail]


def _own_options(words: list[str], commands: dict[str, click.Command]) -> set[str]:
    """The option names the command (and its subcommand, for a group like `secrets`) defines."""
    names: set[str] = set()
    command = commands.get(words[0]) if words else None
    rest = words[1:]
    while command is not None:
        for param in command.params:
            names.update(o for o in getattr(param, "opts", ()) if o.startswith("--"))
        sub = getattr(command, "commands", None)
        first = next((w for w in rest if not w.startswith("-")), None)
        command = sub.get(first) if sub and first else None
        rest = rest[rest.index(first) + 1 :] if command is not None else []
    return names


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {' '.join(str(message).split())}", err=True)
    sys.exit(code)


pass_app = click.make_pass_decorator(App, ensure=True)

# The option of every writing command (they all take the environment's deploy lock).
wait_for_lock = click.option(
    "--wait",
    "wait_lock",
    is_flag=True,
    help="If another run holds the environment's deploy lock, wait for it instead of refusing.",
)


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
    "http://127.0.0.1:4566, with dummy credentials; nothing reaches AWS.",
)
@click.option(
    "--trust-endpoint",
    is_flag=True,
    help="Allow an --endpoint-url ($AWS_ENDPOINT_URL, $AWS_ENDPOINT_URL_<SERVICE>) that is not on this machine: "
    "your credentials sign every call sent there, and it answers the account check itself.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("--verbose", is_flag=True, help="Print every CloudFormation event while stacks change.")
@click.pass_context
def cli(
    ctx: click.Context,
    env: str,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
    local: bool,
    trust_endpoint: bool,
    debug: bool,
    verbose: bool,
) -> None:
    """Deploy HANA's CloudFormation stacks (out/<env>/*.yaml) in dependency order.

    \b
    Examples:
    python -m deploy all                    deploy every stack (only what changed)
    python -m deploy plan                   what a deploy would change
    python -m deploy status                 stacks and key endpoints
    python -m deploy --env prod --profile hana-prod all

    The options above are accepted after the command name too (`all --env prod --local`).
    """
    from deploy.aws.session import Settings
    from deploy.errors import BadInput

    if env not in config.ENVIRONMENTS:
        raise BadInput(f"unknown environment {env!r}; allowed: {', '.join(config.ENVIRONMENTS)}")
    from click.core import ParameterSource

    if local:
        profile, endpoint_url = _local_mode(ctx)
    from_env = not local and ctx.get_parameter_source("endpoint_url") == ParameterSource.ENVIRONMENT
    app = ctx.ensure_object(App)
    app.verbose = verbose
    app.settings = Settings(
        env=env,
        profile=profile or None,
        region=region,
        endpoint_url=endpoint_url or None,
        debug=debug,
        emulator=local,
        trust_endpoint=trust_endpoint,
        endpoint_from_env=from_env,
    )
    if debug:
        import logging

        logging.basicConfig(level=logging.INFO)


def _local_mode(ctx: click.Context) -> tuple[None, str]:
    """`--local`: the emulator's endpoint, no profile, and this process's AWS settings pointed at
    the emulator only (see hana_emulator/client.py). An explicit --profile or --endpoint-url
    conflicts; the ones that come from $AWS_PROFILE / $AWS_ENDPOINT_URL are ignored."""
    from click.core import ParameterSource

    from deploy.errors import BadInput
    from hana_emulator import EmulatorError, client

    for option in ("profile", "endpoint_url"):
        if ctx.get_parameter_source(option) == ParameterSource.COMMANDLINE:
            raise BadInput(f"--local cannot be combined with --{option.replace('_', '-')}")
    try:
        endpoint = client.url()
    except EmulatorError as err:
        raise BadInput(str(err)) from None
    client.activate(endpoint)
    return None, endpoint


cli.params.append(version_option())  # after the options above, before --help
