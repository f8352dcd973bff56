"""The registry: contracts fit together, order is derived, cycles and unknown producers are caught."""

import pytest

from hana_templates import config, registry
from hana_templates.errors import ContractError
from hana_templates.spec import From, StackSpec


def test_the_registered_contracts_are_valid():
    registry.validate()


def test_every_input_comes_from_an_earlier_stack():
    position = {name: i for i, name in enumerate(registry.order())}
    for spec in registry.STACKS.values():
        for i in spec.inputs:
            assert position[i.stack] < position[spec.name], f"{spec.name} reads {i.stack}.{i.output}"


def test_every_declared_output_is_in_the_template_and_every_input_is_a_parameter(env):
    cfg = config.get(env)
    for name, spec in registry.STACKS.items():
        tmpl = registry.BUILDERS[name](cfg).to_dict()
        assert sorted(tmpl.get("Outputs", {})) == sorted(spec.outputs), name
        assert sorted(tmpl.get("Parameters", {})) == sorted(spec.parameter_names), name


def test_every_parameter_is_used(env):
    cfg = config.get(env)
    for name in registry.STACKS:
        tmpl = registry.BUILDERS[name](cfg).to_dict()
        body = str(tmpl["Resources"]) + str(tmpl.get("Outputs", {})) + str(tmpl.get("Conditions", {}))
        for param in tmpl.get("Parameters", {}):
            assert f"'Ref': '{param}'" in body or f"${{{param}}}" in body, f"{name}: parameter {param} is never used"


def _specs(*specs):
    return {s.name: s for s in specs}


def test_waves_group_independent_stacks():
    specs = _specs(
        StackSpec("a", "a", outputs=("X",)),
        StackSpec("b", "b", outputs=("Y",)),
        StackSpec("c", "c", inputs=(From("a", "X"), From("b", "Y"))),
        StackSpec("d", "d", inputs=(From("a", "X"),)),
    )
    assert registry.waves(specs) == [["a", "b"], ["c", "d"]]
    assert registry.order(specs) == ["a", "b", "c", "d"]
    assert registry.downstream("a", specs) == {"c", "d"}
    assert registry.upstream("c", specs) == {"a", "b"}


def test_a_cycle_is_reported_with_its_path():
    specs = _specs(
        StackSpec("a", "a", inputs=(From("b", "Y"),), outputs=("X",)),
        StackSpec("b", "b", inputs=(From("a", "X"),), outputs=("Y",)),
    )
    with pytest.raises(ContractError, match=r"cycle: (a -> b -> a|b -> a -> b)"):
        registry.validate(specs)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        pytest.param((From("nope", "X"),), "unknown stack 'nope'", id="unknown-stack"),
        pytest.param((From("a", "Nope"),), "stack a has no output 'Nope'", id="unknown-output"),
        pytest.param((From("a", "X"), From("a", "X")), "parameter names used twice: X", id="duplicate"),
    ],
)
def test_broken_contracts_fail_with_one_line(inputs, message):
    specs = _specs(StackSpec("a", "a", outputs=("X",)), StackSpec("b", "b", inputs=inputs))
    with pytest.raises(ContractError, match=message):
        registry.validate(specs)
