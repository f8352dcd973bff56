"""`cost --compare`: each savings switch priced from the templates the switched config generates."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from hana_cost.cli import cost
from hana_cost.compare import SWITCHES, compare
from hana_templates import config


def _results(env):
    return {s.name: s for s in compare(config.get(env)).switches}


def test_single_nat_saves_one_gateway_and_its_address_in_prod():
    single = _results("prod")["single_nat"]
    assert single.saving == pytest.approx(730 * 0.045 + 730 * 0.005)  # 32.85 + 3.65 = 36.50


def test_switches_that_do_not_apply_say_why():
    dev, prod, lean = _results("dev"), _results("prod"), _results("lean-dev")
    assert dev["single_nat"].not_applicable == "already one NAT"
    assert prod["schedule"].not_applicable == "not for prod"
    assert lean["graviton"].not_applicable == "already on"
    assert lean["schedule"].not_applicable == "already on"


def test_every_switch_is_documented():
    for switch in SWITCHES:
        assert switch.note and switch.change, switch.name


def test_compare_prints_the_table_and_leaves_out_alone():
    out = Path(__file__).resolve().parents[2] / "out"
    before = {p: p.read_bytes() for p in out.glob("*/*.yaml")}
    result = CliRunner().invoke(cost, ["--env", "prod", "--compare"])
    assert result.exit_code == 0, result.output
    assert "Savings switches for prod" in result.output and "single_nat" in result.output
    assert before == {p: p.read_bytes() for p in out.glob("*/*.yaml")}


def test_all_applicable_prices_the_combined_config_never_the_sum_of_savings():
    """graviton and workers_spot both cut the workers' price: together they save less than the sum
    (Spot's discount applies to the ARM64 price, already 20% lower)."""
    cmp = compare(config.get("dev"))
    by_name = {s.name: s for s in cmp.switches}
    alone = by_name["graviton"].saving + by_name["workers_spot"].saving
    both = compare(
        config.get("dev").__class__(**{**config.get("dev").__dict__, "savings": config.Savings(graviton=True)})
    )
    spot_on_arm = {s.name: s for s in both.switches}["workers_spot"].saving
    assert spot_on_arm < by_name["workers_spot"].saving < alone
    assert cmp.baseline - cmp.all_on < sum(s.saving for s in cmp.switches if s.applicable)


def test_switches_the_config_refuses_together_are_never_combined(monkeypatch):
    import dataclasses

    from hana_cost import compare as compare_mod
    from hana_templates.errors import ConfigError

    def exclusive(cfg):  # valid alone, refused on top of graviton
        if cfg.savings.graviton:
            raise ConfigError("refused together")
        return dataclasses.replace(cfg, log_retention_days=3)

    switches = (*SWITCHES[:1], compare_mod.Switch("exclusive", "x", exclusive, "refused with graviton"))
    monkeypatch.setattr(compare_mod, "SWITCHES", switches)
    cmp = compare_mod.compare(config.get("dev"))
    assert cmp.not_combined == ("exclusive",)
    assert cmp.all_on == pytest.approx(cmp.switches[0].total)  # graviton alone


@pytest.mark.parametrize("env", ["dev", "prod", "lean-dev"])
def test_log_retention_switch_never_shortens_the_security_logs(env):
    """prod keeps VPC flow logs and WAF logs a year (CT.CLOUDWATCH.PR.2): the switch's saving and
    note are about service and PostgreSQL logs only."""
    cfg = config.get(env)
    (switch,) = [s for s in SWITCHES if s.name == "log_retention"]
    variant = switch.apply(cfg)
    assert variant.log_retention_days == 3
    assert variant.network.flow_log_retention_days == cfg.network.flow_log_retention_days
    assert variant.waf_log_retention_days == cfg.waf_log_retention_days
    assert "flow" in switch.note and "keep theirs" in switch.note
