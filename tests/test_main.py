"""main.yaml: the nested master is derived from the registry and serves the very child templates in out/."""

import functools
import hashlib
import re
from pathlib import Path

import pytest
import yaml

from hana_templates import config, main, registry, render
from hana_templates.errors import ContractError
from hana_templates.spec import DeployParameter, From, StackSpec

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(
    r"^https://\$\{TemplateBucket\}\.s3\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}/\$\{TemplatePrefix\}(?P<key>[^/$]+)$"
)


@functools.cache
def _files(env):
    return render.render_environment(config.get(env))


def _master(env):
    return yaml.safe_load(_files(env)["main.yaml"])


def _nested(master):
    return {k: v for k, v in master["Resources"].items() if v["Type"] == "AWS::CloudFormation::Stack"}


def _key(resource):
    match = URL.match(resource["Properties"]["TemplateURL"]["Fn::Sub"])
    assert match, resource["Properties"]["TemplateURL"]
    return match["key"]


def _children(env):
    return {name[: -len(".yaml")]: yaml.safe_load(body) for name, body in _files(env).items() if name != "main.yaml"}


# --- over the registry ----------------------------------------------------------------------------


def test_one_nested_stack_per_registered_stack_and_nothing_else(env):
    nested = _nested(_master(env))
    assert sorted(nested) == sorted(main.logical_id(name) for name in registry.STACKS)
    assert set(_master(env)["Resources"]) == set(nested)


def test_main_passes_every_required_parameter_of_every_child_and_nothing_else(env):
    """The contract test: against the rendered child templates, not against the SPECs main is built from."""
    nested, children = _nested(_master(env)), _children(env)
    for name, child in children.items():
        declared = child.get("Parameters", {})
        passed = nested[main.logical_id(name)]["Properties"].get("Parameters", {})
        required = {p for p, d in declared.items() if "Default" not in d}
        assert required <= set(passed), f"{name}: missing {sorted(required - set(passed))}"
        assert set(passed) <= set(declared), f"{name}: unknown {sorted(set(passed) - set(declared))}"


def test_inputs_come_from_the_producers_outputs_and_deploy_parameters_pass_through(env):
    master, children = _master(env), _children(env)
    nested = _nested(master)
    for name, spec in registry.STACKS.items():
        passed = nested[main.logical_id(name)]["Properties"].get("Parameters", {})
        for i in spec.inputs:
            producer = main.logical_id(i.stack)
            assert passed[i.parameter] == {"Fn::GetAtt": [producer, f"Outputs.{i.output}"]}
            assert i.output in children[i.stack]["Outputs"]
        for p in spec.deploy_parameters:
            assert passed[p.name] == {"Ref": p.name}
            child_param = children[name]["Parameters"][p.name]
            master_param = master["Parameters"][p.name]
            assert (master_param["Type"], master_param["Default"]) == (child_param["Type"], child_param["Default"])


def test_main_references_exactly_the_child_bodies_written_to_out(env):
    """The nine-stack deploy and the nested deploy use the same files: out/<env>/<stack>.yaml."""
    out = ROOT / "out" / env
    master = yaml.safe_load((out / "main.yaml").read_text())
    on_disk = {p.stem: p.read_text() for p in out.glob("*.yaml") if p.name != "main.yaml"}
    assert {main.logical_id(s): main.object_key(s, body) for s, body in on_disk.items()} == {
        logical_id: _key(resource) for logical_id, resource in _nested(master).items()
    }


def test_object_key_is_the_stack_and_16_hex_of_the_sha256_of_the_body():
    body = "Resources: {}\n"
    digest = hashlib.sha256(body.encode()).hexdigest()
    assert main.object_key("network", body) == f"network-{digest[:16]}.yaml"
    assert main.object_key("network", body, "hana-dev/templates/") == f"hana-dev/templates/network-{digest[:16]}.yaml"
    assert main.object_keys({"network": body}, "p/") == {"network": f"p/network-{digest[:16]}.yaml"}


def test_urls_are_built_from_the_bucket_and_prefix_parameters(env):
    master = _master(env)
    assert master["Parameters"]["TemplateBucket"]["Type"] == "String"
    assert "Default" not in master["Parameters"]["TemplateBucket"]
    assert master["Parameters"]["TemplatePrefix"]["Default"] == ""  # what `deploy main` uploads to
    assert re.fullmatch(master["Parameters"]["TemplatePrefix"]["AllowedPattern"], "")
    assert re.fullmatch(master["Parameters"]["TemplatePrefix"]["AllowedPattern"], "hana/templates/")
    assert not re.fullmatch(master["Parameters"]["TemplatePrefix"]["AllowedPattern"], "no-trailing-slash")
    for resource in _nested(master).values():
        _key(resource)


def test_deleting_the_master_deletes_its_children_whose_stateful_resources_are_kept(env):
    """Nested stacks go with the master (no orphaned child stacks); the data stays because every
    stateful resource inside the children is Retain/Snapshot (tests/test_lifecycle.py)."""
    for logical_id, resource in _nested(_master(env)).items():
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Delete", logical_id


def test_master_parameters_are_the_template_location_and_the_deploy_parameters(env):
    deploy = {p.name for spec in registry.STACKS.values() for p in spec.deploy_parameters}
    assert set(_master(env)["Parameters"]) == {"TemplateBucket", "TemplatePrefix"} | deploy


def test_render_environment_writes_main_after_every_child(env):
    names = list(_files(env))
    assert names[-1] == "main.yaml"
    assert names[:-1] == [f"{s}.yaml" for s in registry.order()]


# --- with purpose-built contracts -----------------------------------------------------------------

COUNT = DeployParameter("Count", "Number", "0", "how many")
SPECS = {
    s.name: s
    for s in (
        StackSpec("base", "base", outputs=("Vpc", "Subnets")),
        StackSpec("data", "data", inputs=(From("base", "Subnets", "CommaDelimitedList"),), outputs=("Db",)),
        StackSpec("app-tier", "app", inputs=(From("base", "Vpc"), From("data", "Db")), deploy_parameters=(COUNT,)),
    )
}
BODIES = {"base": "base v1\n", "data": "data v1\n", "app-tier": "app v1\n"}


def _build(bodies=BODIES, specs=SPECS):
    return main.build(config.get("dev"), bodies, specs).to_dict()


def test_a_small_graph_is_wired_through_getatt_and_ordered_by_it():
    t = _build()
    assert sorted(t["Resources"]) == ["AppTier", "Base", "Data"]
    assert "Parameters" not in t["Resources"]["Base"]["Properties"]
    assert t["Resources"]["Data"]["Properties"]["Parameters"] == {
        "Subnets": {"Fn::GetAtt": ["Base", "Outputs.Subnets"]}
    }
    assert t["Resources"]["AppTier"]["Properties"]["Parameters"] == {
        "Vpc": {"Fn::GetAtt": ["Base", "Outputs.Vpc"]},
        "Db": {"Fn::GetAtt": ["Data", "Outputs.Db"]},
        "Count": {"Ref": "Count"},
    }
    assert t["Parameters"]["Count"] == {"Type": "Number", "Default": "0", "Description": "how many"}


def test_a_changed_child_gets_a_new_url_and_the_others_keep_theirs():
    before = {k: _key(v) for k, v in _build()["Resources"].items()}
    after = {k: _key(v) for k, v in _build({**BODIES, "data": "data v2\n"})["Resources"].items()}
    assert {k for k in before if before[k] != after[k]} == {"Data"}
    assert _build() == _build()  # and the same bodies give the same master


def test_a_missing_body_or_a_broken_contract_fails_in_one_line():
    with pytest.raises(ContractError, match="no rendered template for stack.*data"):
        _build({k: v for k, v in BODIES.items() if k != "data"})
    broken = {**SPECS, "data": StackSpec("data", "data", inputs=(From("base", "Nope"),), outputs=("Db",))}
    with pytest.raises(ContractError, match="has no output 'Nope'"):
        _build(specs=broken)


def test_a_deploy_parameter_shared_by_two_children_must_agree():
    other = StackSpec("other", "o", deploy_parameters=(DeployParameter("Count", "Number", "2", "x"),))
    with pytest.raises(ContractError, match="Count is declared twice"):
        _build({**BODIES, "other": "o\n"}, {**SPECS, "other": other})
    same = StackSpec("other", "o", deploy_parameters=(COUNT,))
    t = _build({**BODIES, "other": "o\n"}, {**SPECS, "other": same})
    assert t["Resources"]["Other"]["Properties"]["Parameters"] == {"Count": {"Ref": "Count"}}


@pytest.mark.parametrize(("stack", "logical_id"), [("network", "Network"), ("app-tier", "AppTier"), ("waf", "Waf")])
def test_logical_ids(stack, logical_id):
    assert main.logical_id(stack) == logical_id


def test_the_deployer_uploads_to_exactly_the_urls_main_yaml_points_at(env):
    """`python -m deploy main` passes TemplateBucket only (so TemplatePrefix takes its default) and
    uploads each child under its own key function: the URLs must be the ones main.yaml resolves to."""
    from deploy.engine import nested

    master, files = _master(env), _files(env)
    bucket, region = "hana-cfn-templates-123456789012-us-east-1", config.get(env).region
    prefix = master["Parameters"]["TemplatePrefix"]["Default"]
    key_fn = nested.key_function()
    for name in registry.STACKS:
        sub = _nested(master)[main.logical_id(name)]["Properties"]["TemplateURL"]["Fn::Sub"]
        resolved = (
            sub.replace("${TemplateBucket}", bucket)
            .replace("${AWS::Region}", region)
            .replace("${AWS::URLSuffix}", "amazonaws.com")
            .replace("${TemplatePrefix}", prefix)
        )
        assert resolved == nested.template_url(bucket, region, key_fn(name, files[f"{name}.yaml"])), name
