"""Every resource type the generator emits is priced or listed as free, so adding a resource to a
stack without pricing it breaks the build (not the next invoice)."""

from pathlib import Path

import pytest
import yaml

from hana_cost.rules import FREE, RULES

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "out").glob("*/*.yaml"))


def _types(path: Path) -> set[str]:
    return {r["Type"] for r in (yaml.safe_load(path.read_text()).get("Resources") or {}).values()}


def test_there_are_templates_to_check():
    assert TEMPLATES, "no out/*/*.yaml: run `make templates`"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_resource_type_has_a_pricing_rule_or_is_listed_free(path):
    unpriced = sorted(_types(path) - set(RULES) - set(FREE))
    assert not unpriced, (
        f"{path.name} has resource types with no pricing rule: {unpriced}. "
        "Add a rule to hana_cost/rules.py RULES, or list the type in FREE with the reason it costs nothing."
    )


def test_no_type_is_both_priced_and_free():
    assert not set(RULES) & set(FREE)


def test_every_free_type_says_why():
    assert all(reason.strip() for reason in FREE.values())
