"""`python -m deploy cost`: the monthly cost from the templates (a front end to hana_cost).

Exported: COMMANDS.
"""

from __future__ import annotations

import click

from deploy.commands.group import App
from hana_templates import config


@click.command("cost", short_help="Monthly cost from the templates (no AWS credentials needed).")
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
    spec's own estimate beside ours. Makes no AWS call (except --refresh). See hana_cost/.

    \b
    Examples:
    python -m deploy cost                           every environment, a one-screen summary first
    python -m deploy --env prod cost --compare      what each savings switch saves in prod
    python -m deploy cost --env dev --assume nat_gb=120
    python -m deploy cost --json
    """
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


COMMANDS = (cost,)
