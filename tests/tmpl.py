"""Helpers for intent assertions on built templates (plain dicts, as CloudFormation sees them)."""

from __future__ import annotations

import functools

from hana_templates import config, registry

# The spec's environments (dev, prod): the intent tests assert the spec on them. Cost variants
# such as lean-dev are tested against their base environment in tests/cost/test_lean_dev.py.
ENVS = tuple(name for name, cfg in config.ENVIRONMENTS.items() if cfg.variant_of is None)


@functools.cache
def template(env: str, stack: str) -> dict:
    """The template of `stack` for environment `env`, as a dict."""
    return registry.BUILDERS[stack](config.get(env)).to_dict()


def resources(tmpl: dict, rtype: str) -> dict[str, dict]:
    """Logical ID -> resource for every resource of type `rtype`."""
    return {k: v for k, v in tmpl["Resources"].items() if v["Type"] == rtype}


def one(tmpl: dict, rtype: str) -> dict:
    found = resources(tmpl, rtype)
    assert len(found) == 1, f"expected one {rtype}, found {sorted(found)}"
    return next(iter(found.values()))


def props(resource: dict) -> dict:
    return resource.get("Properties", {})
