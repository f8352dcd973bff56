"""lean-dev: every capability of dev for at most $150/month.

Its templates must equal dev's (names aside) except for the documented savings: the same stacks,
resources, routes, security groups, secrets, queues, alarms and dashboard. Any other difference
fails here, so a saving cannot quietly remove a capability."""

import json

import pytest

from hana_cost.estimate import for_env
from hana_templates import config, registry

BUDGET = 150.0

# The documented differences (config.LEAN_DEV): resources dev has and lean-dev does not ...
ONLY_IN_DEV = {
    ("network", "EcrApiEndpoint"),
    ("network", "EcrDkrEndpoint"),
    ("network", "LogsEndpoint"),
    ("network", "SecretsmanagerEndpoint"),
}
# ... resources only lean-dev has (scheduled scaling) ...
ONLY_IN_LEAN = {("compute", f"{s}ScalableTarget") for s in ("Api", "Ws", "Workers")}
# ... and the properties that may differ on resources both have.
DIFFERENT_PROPERTIES = {
    "AWS::RDS::DBInstance": {"DBInstanceClass"},
    "AWS::ElastiCache::ReplicationGroup": {"CacheNodeType"},
    "AWS::ECS::TaskDefinition": {"RuntimePlatform"},
    "AWS::ECS::Service": {"CapacityProviderStrategy"},
}


def _normalized(env: str, stack: str) -> dict:
    """The template with the environment's name replaced by dev's."""
    text = json.dumps(registry.BUILDERS[stack](config.get(env)).to_dict(), sort_keys=True)
    return json.loads(text.replace("lean-dev", "dev"))


def _without(resource: dict, names: set[str]) -> dict:
    return {k: v for k, v in resource.get("Properties", {}).items() if k not in names}


@pytest.mark.parametrize("stack", list(registry.STACKS))
def test_lean_dev_is_dev_but_for_the_documented_savings(stack):
    dev, lean = _normalized("dev", stack), _normalized("lean-dev", stack)
    assert dev.get("Outputs", {}).keys() == lean.get("Outputs", {}).keys()
    assert dev.get("Parameters", {}) == lean.get("Parameters", {})
    assert {lid for st, lid in ONLY_IN_DEV if st == stack} <= dev["Resources"].keys()  # the saving is real
    assert {lid for st, lid in ONLY_IN_LEAN if st == stack} <= lean["Resources"].keys()
    dev_ids = {lid for lid in dev["Resources"] if (stack, lid) not in ONLY_IN_DEV}
    lean_ids = {lid for lid in lean["Resources"] if (stack, lid) not in ONLY_IN_LEAN}
    assert dev_ids == lean_ids
    for lid in sorted(dev_ids):
        a, b = dev["Resources"][lid], lean["Resources"][lid]
        allowed = DIFFERENT_PROPERTIES.get(a["Type"], set())
        assert _without(a, allowed) == _without(b, allowed), f"{stack}/{lid} differs from dev beyond {sorted(allowed)}"
        assert {k: v for k, v in a.items() if k != "Properties"} == {k: v for k, v in b.items() if k != "Properties"}


def test_lean_dev_is_a_variant_of_dev():
    assert config.get("lean-dev").variant_of == "dev"
    assert config.get("dev").variant_of is None and config.get("prod").variant_of is None


def test_lean_dev_costs_at_most_150_a_month():
    est = for_env("lean-dev")
    assert est.total <= BUDGET, f"lean-dev costs ${est.total:.2f}/month, over ${BUDGET:.0f}"
