"""One environment's monthly estimate: the priced lines, the fixed floor, the usage lines and totals.

Exported: Estimate, estimate(cfg, inventory, prices=None, usage=None), for_env(name, out_dir, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hana_templates import config
from hana_templates.config import EnvConfig

from . import usage as usage_mod
from .inventory import Inventory
from .prices import PriceTable
from .rules import Context, Line, price
from .usage import Usage

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "out"


@dataclass(frozen=True)
class Estimate:
    env: str
    lines: tuple[Line, ...]
    prices: PriceTable
    usage: Usage

    @property
    def floor(self) -> float:
        """What the environment costs idle: everything that is not usage-priced."""
        return sum(ln.monthly for ln in self.lines if not ln.usage)

    @property
    def usage_total(self) -> float:
        return sum(ln.monthly for ln in self.lines if ln.usage)

    @property
    def total(self) -> float:
        return self.floor + self.usage_total

    @property
    def total_at_max(self) -> float:
        """The total with every autoscaled service at its maximum task count."""
        return sum(ln.monthly_at_max for ln in self.lines)

    def by_service(self) -> dict[str, float]:
        result: dict[str, float] = {}
        for ln in self.lines:
            result[ln.service] = result.get(ln.service, 0.0) + ln.monthly
        return result


def estimate(
    cfg: EnvConfig, inventory: Inventory, prices: PriceTable | None = None, usage: Usage | None = None
) -> Estimate:
    prices = prices or PriceTable()
    usage = usage or usage_mod.for_env(cfg.name)
    return Estimate(cfg.name, tuple(price(Context(cfg, prices, usage, inventory))), prices, usage)


def for_env(
    env: str,
    out_dir: Path = DEFAULT_OUT,
    prices: PriceTable | None = None,
    overrides: Mapping[str, float] | None = None,
) -> Estimate:
    """The estimate of environment `env` from its committed templates in `out_dir/<env>/`."""
    cfg = config.get(env)
    return estimate(cfg, Inventory.from_dir(out_dir / env), prices, usage_mod.for_env(env, overrides))
