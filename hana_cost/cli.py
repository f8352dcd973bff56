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


@click.command("cost", help=__doc__.split("\n\n")[0])
@click.option("--env", "env_name", default="all", show_default=True, help=f"all, {', '.join(config.ENVIRONMENTS)}")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of tables")
@click.option("--compare", "with_compare", is_flag=True, help="price each savings switch")
@click.option("--refresh", is_flag=True, help="read current prices from the AWS Price List API (needs credentials)")
@click.option("--assume", multiple=True, metavar="NAME=VALUE", help="override a usage assumption (repeatable)")
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
        envs = _envs(env_name)
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
    except HanaError as err:
        raise click.ClickException(str(err)) from None

    if as_json:
        data = report.to_json(estimates, comparisons)
        if notes:
            data["refresh"] = notes
        click.echo(json.dumps(data, indent=2))
        return
    for note in notes:
        click.echo(f"refresh: {note}")
    cmp_by_env = {c.env: c for c in comparisons}
    for est in estimates:
        click.echo(report.table(est) + "\n")
        reconciliation = report.reconciliation_table(est)
        if reconciliation:
            click.echo(reconciliation + "\n")
        if est.env in cmp_by_env:
            click.echo(report.compare_table(cmp_by_env[est.env]) + "\n")
    click.echo(report.assumptions_table(estimates))


def main() -> None:
    cost(prog_name="python -m hana_cost")
