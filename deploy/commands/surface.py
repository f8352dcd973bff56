"""The command line's shared surface (issue #17), used by the root group (group.py) and the command
modules: the spec's command names answered with ours, the "Global options" section of every
command's help (generated from the root group's own options, so it cannot drift), `--version`,
and the services as a click type with a one-line error.

Nothing heavy is imported (click only): `--help` stays fast.

Exported: SPEC_NAMES, OTHER_NAMES, spec_name_text, mode_prefix, global_options_help,
show_global_options, package_version, version_option, ServiceChoice.
"""

from __future__ import annotations

from typing import Any

import click

# The spec's `pnpm aws:*` scripts (README, "The spec's commands and ours") with no command of the
# same name here, and the names other deploy tools use: each is answered with ours, one line.
SPEC_NAMES = {
    "deploy": "all",
    "deploy:stack": "stack {arg}",
    "logs:ws": "logs ws",
    "logs:workers": "logs workers",
}
OTHER_NAMES = {
    "up": "all",
    "apply": "all",
    "deploy-all": "all",
    "deploy-stack": "stack {arg}",
    "destroy": "delete",
    "down": "delete",
    "teardown": "delete",
    "diff": "plan",
    "version": "--version",
}


def spec_name_text(name: str, arg: str | None, known: Any, prefix: str = "python -m deploy") -> str | None:
    """The one line answering a spec command name (`deploy`, `aws:deploy:stack network`, ...), or
    None; `known` holds our command names, `prefix` the mode's `python -m deploy --env ... --local`."""
    bare = name.removeprefix("aws:")
    ours = SPEC_NAMES.get(bare) or OTHER_NAMES.get(bare)
    if ours is None and bare != name and bare in known:
        ours = bare  # `aws:status`, `aws:login`: ours has the same name
    if ours is None:
        return None
    ours = ours.format(arg=arg if arg and not arg.startswith("-") else "NAME")
    typed = f"{bare} {arg}" if "{arg}" in (SPEC_NAMES.get(bare) or "") and arg and not arg.startswith("-") else bare
    spec = f"the spec's `pnpm aws:{typed}` is" if bare in SPEC_NAMES or bare != name else "here it is"
    return f"no command {name!r}: {spec} `{prefix} {ours}`"


def mode_prefix(ctx: click.Context) -> str:
    """`python -m deploy` with the global options that choose where it runs (like Project.command())."""
    from click.core import ParameterSource

    words = ["python -m deploy"]
    if ctx.params.get("env") and ctx.params["env"] != "dev":
        words.append(f"--env {ctx.params['env']}")
    if ctx.params.get("local"):
        words.append("--local")
    elif ctx.get_parameter_source("endpoint_url") == ParameterSource.COMMANDLINE:
        words.append(f"--endpoint-url {ctx.params['endpoint_url']}")
    if ctx.params.get("trust_endpoint") and not ctx.params.get("local"):
        words.append("--trust-endpoint")
    return " ".join(words)


def global_options_help(
    group: click.Command, ctx: click.Context, own: frozenset[str] | set[str] = frozenset()
) -> list[tuple[str, str]]:
    """(option, help) of the root group's options (not --help/--version, nor one the command
    defines itself, such as `cost --env`): the "Global options" of every command's help,
    generated so it cannot drift from the group."""
    rows = []
    for param in group.params:
        if not isinstance(param, click.Option) or param.name in ("version",) or own & set(param.opts):
            continue
        record = param.get_help_record(ctx)
        if record is not None:
            rows.append(record)
    return rows


def show_global_options(cmd: click.Command, group: click.Command) -> None:
    """Add the "Global options" section after `cmd`'s own help (and its subcommands', for a group);
    once, however often the command is added."""
    for sub in getattr(cmd, "commands", {}).values():
        show_global_options(sub, group)
    if getattr(cmd, "_shows_global_options", False):
        return
    cmd._shows_global_options = True  # type: ignore[attr-defined]
    original = cmd.format_epilog

    def format_epilog(ctx: click.Context, formatter: click.HelpFormatter) -> None:
        original(ctx, formatter)
        own = {o for p in cmd.params for o in getattr(p, "opts", ())}
        rows = global_options_help(group, ctx, own)
        if rows:
            with formatter.section("Global options (before or after the command name)"):
                formatter.write_dl(rows)

    cmd.format_epilog = format_epilog  # type: ignore[method-assign]


def package_version() -> str:
    """`hana-infra 0.1.0 (troposphere 4.11.1, awacs 2.6.1, cfn-lint 1.58.0, moto 5.2.5, boto3 ..., Python ...)`."""
    import importlib.metadata as metadata
    import platform

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    pinned = ", ".join(f"{d} {version(d)}" for d in ("troposphere", "awacs", "cfn-lint", "moto", "boto3", "click"))
    return f"hana-infra {version('hana-infra')} ({pinned}; Python {platform.python_version()})"


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(package_version())
        ctx.exit(0)


def version_option() -> click.Option:
    """`--version`: prints `package_version()` and exits 0 (eager: before anything else runs)."""
    return click.Option(
        ["--version"],
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_print_version,
        help="The version of hana-infra and of its pinned tools (troposphere, awacs, cfn-lint, moto), then exit.",
    )


class ServiceChoice(click.Choice):
    """The services (api, ws, workers) as an argument or option: a wrong one is `unknown service
    'foo'; allowed: api, ws, workers`, not click's "Invalid value for '[SERVICE]...'"."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value in self.choices:
            return value
        raise click.UsageError(f"unknown service {value!r}; allowed: {', '.join(map(str, self.choices))}", ctx)
