"""`cost --compare`: what each savings switch in the config would save, priced from the templates
the switched config generates (rendered in memory; out/ is not touched).

A switch is a change to an EnvConfig. Pricing the generated templates (not the config) means a
switch saves money only if the stack modules really act on it: a switch the templates ignore
shows a saving of 0.

Exported: Switch, SWITCHES, SwitchResult, Comparison, compare(cfg, overrides).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hana_templates.config import EnvConfig, Schedule
from hana_templates.errors import ConfigError

from . import usage as usage_mod
from .estimate import estimate
from .inventory import Inventory
from .prices import PriceTable


@dataclass(frozen=True)
class Switch:
    name: str
    change: str
    apply: Callable[[EnvConfig], EnvConfig | str]  # the switched config, or why it does not apply
    note: str


def _savings(cfg: EnvConfig, **changes) -> EnvConfig | str:
    current = cfg.savings
    if all(getattr(current, k) == v for k, v in changes.items()):
        return "already on"
    return dataclasses.replace(cfg, savings=dataclasses.replace(current, **changes))


def _single_nat(cfg: EnvConfig) -> EnvConfig | str:
    if cfg.network.nat_gateways == 1:
        return "already one NAT"
    return dataclasses.replace(cfg, network=dataclasses.replace(cfg.network, nat_gateways=1))


def _schedule(cfg: EnvConfig) -> EnvConfig | str:
    if cfg.name == "prod":
        return "not for prod"
    if cfg.savings.schedule is not None:
        return "already on"
    return _savings(cfg, schedule=Schedule())


SHORT_RETENTION_DAYS = 3


def _retention(cfg: EnvConfig) -> EnvConfig | str:
    """Service and PostgreSQL logs (`log_retention_days`) kept SHORT_RETENTION_DAYS. VPC flow logs and
    WAF logs are security evidence (a year in prod, AWS Control Tower CT.CLOUDWATCH.PR.2): this
    switch never shortens them, so its saving is what a shorter operational retention buys."""
    if cfg.log_retention_days <= SHORT_RETENTION_DAYS:
        return "already short"
    return dataclasses.replace(cfg, log_retention_days=SHORT_RETENTION_DAYS)


SWITCHES: tuple[Switch, ...] = (
    Switch(
        "graviton",
        "savings.graviton=True",
        lambda c: _savings(c, graviton=True),
        "ARM64 tasks, -20% per vCPU and GB; `push` builds linux/arm64 images",
    ),
    Switch(
        "workers_spot",
        "savings.workers_spot=True",
        lambda c: _savings(c, workers_spot=True),
        "workers on FARGATE_SPOT; an interrupted agent run is redelivered by SQS",
    ),
    Switch(
        "single_nat",
        "network.nat_gateways=1",
        _single_nat,
        "one NAT for both AZs: an AZ outage cuts the other AZ's egress",
    ),
    Switch(
        "schedule",
        "savings.schedule=Schedule()",
        _schedule,
        "services at zero outside Mon-Fri 08:00-20:00 (ECS scheduled scaling); not for prod",
    ),
    Switch(
        "log_retention",
        f"log_retention_days={SHORT_RETENTION_DAYS}",
        _retention,
        f"service and PostgreSQL logs kept {SHORT_RETENTION_DAYS} days (prod should keep 30 for incident review); "
        "VPC flow and WAF logs keep theirs (security evidence, a year in prod)",
    ),
    Switch(
        "log_class",
        "savings.log_class='INFREQUENT_ACCESS'",
        lambda c: _savings(c, log_class="INFREQUENT_ACCESS"),
        "half-price ingestion; no Live Tail or metric filters on service logs",
    ),
)


@dataclass(frozen=True)
class SwitchResult:
    name: str
    change: str
    note: str
    total: float
    saving: float
    not_applicable: str = ""  # why the switch does not apply here ("already on", "not for prod")

    @property
    def applicable(self) -> bool:
        return not self.not_applicable


@dataclass(frozen=True)
class Comparison:
    env: str
    baseline: float
    switches: tuple[SwitchResult, ...]
    all_on: float  # the combined config priced as a whole: savings are never added up
    not_combined: tuple[str, ...] = ()  # switches the config refuses on top of the others (ConfigError)


def compare(
    cfg: EnvConfig, overrides: Mapping[str, float] | None = None, prices: PriceTable | None = None
) -> Comparison:
    usage = usage_mod.for_env(cfg.name, overrides)

    def total(variant: EnvConfig) -> float:
        return estimate(variant, Inventory.from_config(variant), prices, usage).total

    baseline = total(cfg)
    results = []
    combined = cfg
    refused: list[str] = []
    for switch in SWITCHES:
        variant = switch.apply(cfg)
        if isinstance(variant, str):
            results.append(SwitchResult(switch.name, switch.change, switch.note, baseline, 0.0, variant))
            continue
        cost = total(variant)
        results.append(SwitchResult(switch.name, switch.change, switch.note, cost, baseline - cost))
        try:
            both = switch.apply(combined)
        except ConfigError:  # valid alone, refused with the switches before it: never counted together
            refused.append(switch.name)
            continue
        combined = combined if isinstance(both, str) else both
    return Comparison(cfg.name, baseline, tuple(results), total(combined), tuple(refused))
