"""The `cost` command: `python -m deploy cost` (and `python -m hana_cost`, `make cost`).

    cost                       dev, prod and lean-dev: table, assumptions, spec reconciliation
    cost --env dev             one environment
    cost --json                the same as JSON
    cost --compare             what each savings switch in the config would save
    cost --assume nat_gb=120   change a usage assumption (repeatable)
    cost --refresh             current prices from the AWS Price List API (needs credentials)

Needs no AWS credentials except with --refresh. Reads the committed templates in out/<env>/.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from hana_templates import config
from hana_templates.errors import HanaError

from . import report
from .compare import compare
from .estimate import DEFAULT_OUT, for_env
from .prices import PriceTable
from .usage import parse_overrides


def _envs(name: str) -> list[str]:
    return list(config.ENVIRONMENTS) if name == "all" else [config.get(name).name]


def envs_for(name: str) -> list[str]:
    """`all` -> every environment in config; otherwise the one named (ConfigError if unknown)."""
    return list(config.ENVIRONMENTS) if name == "all" else [config.get(name).name]


def run(
    envs: list[str],
    *,
    as_json: bool = False,
    with_compare: bool = False,
    refresh: bool = False,
    assume: tuple[str, ...] = (),
    profile: str | None = None,
    out_dir: Path = DEFAULT_OUT,
    width: int | None = None,
) -> None:
    """Print the estimates of `envs` (the body of both `python -m hana_cost` and `python -m deploy
    cost`): with more than one, a one-screen summary first. Tables fit `width` columns (default: the
    terminal's, $COLUMNS; unlimited when the output is no terminal). Expected failures raise
    HanaError (CostError, ConfigError) with a one-line message."""
    overrides = parse_overrides(assume)
    prices = PriceTable()
    notes: list[str] = []
    if refresh:
        from .refresh import refresh as read_prices

        fresh = read_prices(profile=profile)
        prices = PriceTable(fresh.prices)
        notes = fresh.changes() or ["every refreshed price equals the stored table"]
        if fresh.kept:
            notes.append(f"kept the stored price (no single Price List match) for: {', '.join(fresh.kept)}")
    estimates = [for_env(env, out_dir, prices, overrides) for env in envs]
    comparisons = [compare(config.get(env), overrides, prices) for env in envs] if with_compare else []

    if as_json:
        data = report.to_json(estimates, comparisons)
        if notes:
            data["refresh"] = notes
        click.echo(json.dumps(data, indent=2))
        return
    for note in notes:
        click.echo(f"refresh: {note}", err=True)
    width = terminal_width() if width is None else width
    if len(estimates) > 1:
        click.echo(report.summary_table(estimates, width) + "\n")
    cmp_by_env = {c.env: c for c in comparisons}
    for est in estimates:
        click.echo(report.table(est, width) + "\n")
        reconciliation = report.reconciliation_table(est, width)
        if reconciliation:
            click.echo(reconciliation + "\n")
        if est.env in cmp_by_env:
            click.echo(report.compare_table(cmp_by_env[est.env], width) + "\n")
    click.echo(report.assumptions_table(estimates, width))


def terminal_width() -> int | None:
    """The columns to fit: $COLUMNS, else the terminal's; None (no limit) when there is neither,
    so a file or pipe gets whole Markdown rows."""
    import shutil

    return shutil.get_terminal_size((0, 0)).columns or None


ENV_HELP = f"all, {', '.join(config.ENVIRONMENTS)}"
JSON_HELP = "print JSON instead of tables"
COMPARE_HELP = "price each savings switch in config.Savings (templates rendered in memory)"
REFRESH_HELP = "read current prices from the AWS Price List API (needs AWS credentials)"
ASSUME_HELP = "override a usage assumption, e.g. nat_gb=120 (repeatable)"


@click.command("cost", help=__doc__.split("\n\n")[0])
@click.option("--env", "env_name", default="all", show_default=True, help=ENV_HELP)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.option("--compare", "with_compare", is_flag=True, help=COMPARE_HELP)
@click.option("--refresh", is_flag=True, help=REFRESH_HELP)
@click.option("--assume", multiple=True, metavar="NAME=VALUE", help=ASSUME_HELP)
@click.option("--profile", default=None, help="AWS profile for --refresh")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=DEFAULT_OUT, help="templates directory")
def cost(
    env_name: str,
    as_json: bool,
    with_compare: bool,
    refresh: bool,
    assume: tuple[str, ...],
    profile: str | None,
    out_dir: Path,
) -> None:
    try:
        run(
            envs_for(env_name),
            as_json=as_json,
            with_compare=with_compare,
            refresh=refresh,
            assume=assume,
            profile=profile,
            out_dir=out_dir,
        )
    except HanaError as err:
        failure = click.ClickException(str(err))
        failure.exit_code = getattr(err, "exit_code", 1)  # bad input (CostInputError) exits 2
        raise failure from None


def main() -> None:
    cost(prog_name="python -m hana_cost")
