"""Every resource type and GetAtt attribute in the generated templates is one the emulator
really creates and answers. Adding a type to a template without teaching the emulator
(hana_emulator/models/) breaks the build here, not silently in a rehearsal."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml

from hana_emulator import cfn_extensions, dependencies, engine

OUT = Path(__file__).resolve().parents[2] / "out"


@functools.cache
def _templates() -> dict[str, dict]:
    return {str(p.relative_to(OUT)): yaml.safe_load(p.read_text()) for p in sorted(OUT.glob("*/*.yaml"))}


def _model_map() -> dict[str, type]:
    cfn_extensions.apply()
    from moto.cloudformation import parsing

    return parsing.get_model_map()


def _types() -> list[str]:
    return sorted({r["Type"] for t in _templates().values() for r in t["Resources"].values()})


def _getatts() -> list[tuple[str, str]]:
    found = set()

    def walk(node, resources):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Fn::GetAtt":
                    found.add((resources[value[0]]["Type"], value[1]))
                elif key == "Fn::Sub":
                    text = value[0] if isinstance(value, list) else value
                    for var in dependencies._SUB_VAR.findall(text):
                        name, _, attr = var.partition(".")
                        if attr and name in resources:
                            found.add((resources[name]["Type"], attr))
                walk(value, resources)
        elif isinstance(node, list):
            for item in node:
                walk(item, resources)

    for template in _templates().values():
        walk(template, template["Resources"])
    return sorted(found)


def test_the_generated_templates_are_there():
    assert _templates(), f"no templates under {OUT}: run `make templates`"


@pytest.mark.parametrize("rtype", _types())
def test_the_emulator_creates_every_resource_type_we_use(rtype):
    models = _model_map()
    assert rtype in models, f"{rtype} is used in out/ but moto would skip it: model it in hana_emulator/models/"
    assert engine.unsupported_types({"Resources": {"X": {"Type": rtype}}}) == []


@pytest.mark.parametrize(("rtype", "attribute"), _getatts(), ids=lambda v: str(v))
def test_the_emulator_answers_every_getatt_we_use(rtype, attribute):
    model = _model_map()[rtype]
    if rtype == "AWS::CloudFormation::Stack":
        assert attribute.startswith("Outputs.")
        return
    assert model.has_cfn_attr(attribute), (
        f"GetAtt {rtype}.{attribute} is used in out/ but the emulator cannot answer it"
    )


def test_the_check_notices_a_type_the_emulator_does_not_model():
    template = {"Resources": {"X": {"Type": "AWS::Nope::Thing"}, "Q": {"Type": "AWS::SQS::Queue"}}}
    assert engine.unsupported_types(template) == ["AWS::Nope::Thing"]
