"""Stack updates that change only parameters: every resource whose properties resolve differently is
listed as Modify in the change set and updated by the execution, whether it uses the parameter through
Ref, a `${P}` variable of Fn::Sub (string or list form) or a value of Fn::Sub's variable map, and
resources referring to one that is replaced follow it (the compute stack's ImageTag reaches the
ECS services only this way)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.emulator.helpers import apply_stack, events, stack

NAME = "/hana/test/p"

FORMS = {
    "ref": {"Fn::Join": ["", ["x-", {"Ref": "P"}]]},
    "sub string": {"Fn::Sub": "x-${P}"},
    "sub list, parameter in the string": {"Fn::Sub": ["${Prefix}${P}", {"Prefix": "x-"}]},
    "sub list, parameter in the map": {"Fn::Sub": ["x-${Value}", {"Value": {"Ref": "P"}}]},
}


def ssm_template(value: Any, default: str = "one") -> dict[str, Any]:
    return {
        "Parameters": {"P": {"Type": "String", "Default": default}},
        "Resources": {
            "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": NAME, "Type": "String", "Value": value}},
            "Unrelated": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/hana/test/other", "Type": "String", "Value": "fixed"},
            },
        },
    }


def change_set(cfn: Any, template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    cfn.create_change_set(
        StackName="s",
        ChangeSetName="cs",
        TemplateBody=json.dumps(template),
        ChangeSetType="UPDATE",
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    return cfn.describe_change_set(StackName="s", ChangeSetName="cs")


def modified(described: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]
        for c in described.get("Changes") or []
        if c["ResourceChange"]["Action"] == "Modify"
    }


def updated_resources(cfn: Any) -> list[str]:
    return [logical for logical, status, _ in events(cfn, "s") if status == "UPDATE_COMPLETE" and logical != "s"]


def value(emu: Any) -> str:
    return emu.client("ssm").get_parameter(Name=NAME)["Parameter"]["Value"]


@pytest.mark.parametrize("form", FORMS.values(), ids=list(FORMS))
def test_a_parameter_change_modifies_and_updates_the_resource_using_it(cfn, emu, form):
    template = ssm_template(form)
    apply_stack(cfn, "s", template, {"P": "one"})
    assert value(emu) == "x-one"

    described = change_set(cfn, template, {"P": "two"})
    assert described["Status"] == "CREATE_COMPLETE"
    changes = modified(described)
    assert list(changes) == ["Param"]
    assert changes["Param"]["Replacement"] == "False"
    assert [
        (d["Target"]["Name"], d["Evaluation"], d["ChangeSource"], d.get("CausingEntity"))
        for d in changes["Param"]["Details"]
    ] == [("Value", "Static", "ParameterReference", "P")]

    cfn.execute_change_set(StackName="s", ChangeSetName="cs")
    assert stack(cfn, "s")["StackStatus"] == "UPDATE_COMPLETE"
    assert value(emu) == "x-two"
    assert updated_resources(cfn) == ["Param"]


def test_a_sub_variable_shadowed_by_its_map_is_not_the_parameter(cfn, emu):
    template = ssm_template({"Fn::Sub": ["x-${P}", {"P": "local"}]})
    apply_stack(cfn, "s", template, {"P": "one"})
    described = change_set(cfn, template, {"P": "two"})
    assert modified(described) == {}
    assert value(emu) == "x-local"


def test_a_changed_default_modifies_the_resource_using_it(cfn, emu):
    apply_stack(cfn, "s", ssm_template({"Fn::Sub": "x-${P}"}))
    assert value(emu) == "x-one"
    assert list(modified(change_set(cfn, ssm_template({"Fn::Sub": "x-${P}"}, default="two"), {}))) == ["Param"]
    cfn.execute_change_set(StackName="s", ChangeSetName="cs")
    assert value(emu) == "x-two"


def test_a_parameter_used_through_a_condition_modifies_the_resource(cfn, emu):
    template = ssm_template({"Fn::If": ["IsProd", "x-prod", "x-other"]})
    template["Conditions"] = {"IsProd": {"Fn::Equals": [{"Ref": "P"}, "prod"]}}
    apply_stack(cfn, "s", template, {"P": "dev"})
    assert value(emu) == "x-other"
    assert list(modified(change_set(cfn, template, {"P": "prod"}))) == ["Param"]
    cfn.execute_change_set(StackName="s", ChangeSetName="cs")
    assert value(emu) == "x-prod"


def test_a_changed_mapping_modifies_the_resource_reading_it(cfn, emu):
    def template(value: str) -> dict[str, Any]:
        body = ssm_template({"Fn::FindInMap": ["Values", {"Ref": "P"}, "Text"]})
        body["Mappings"] = {"Values": {"one": {"Text": value}}}
        return body

    apply_stack(cfn, "s", template("x-first"))
    changes = modified(change_set(cfn, template("x-second"), {}))
    assert [(d["Target"]["Name"], d["ChangeSource"]) for d in changes["Param"]["Details"]] == [
        ("Value", "DirectModification")
    ]
    assert list(changes) == ["Param"]
    cfn.execute_change_set(StackName="s", ChangeSetName="cs")
    assert value(emu) == "x-second"


def test_update_stack_applies_a_sub_only_parameter_change(cfn, emu):
    template = json.dumps(ssm_template({"Fn::Sub": "x-${P}"}))
    cfn.create_stack(StackName="s", TemplateBody=template, Parameters=[{"ParameterKey": "P", "ParameterValue": "a"}])
    cfn.update_stack(StackName="s", TemplateBody=template, Parameters=[{"ParameterKey": "P", "ParameterValue": "b"}])
    assert stack(cfn, "s")["StackStatus"] == "UPDATE_COMPLETE"
    assert value(emu) == "x-b"


def ecs_template() -> dict[str, Any]:
    return {
        "Parameters": {"ImageTag": {"Type": "String"}},
        "Resources": {
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "hana-test"}},
            "Task": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Family": "hana-test-api",
                    "ContainerDefinitions": [
                        {"Name": "api", "Image": {"Fn::Sub": "registry/api:${ImageTag}"}, "Memory": 512}
                    ],
                },
            },
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "ServiceName": "hana-test-api",
                    "Cluster": {"Ref": "Cluster"},
                    "TaskDefinition": {"Ref": "Task"},
                    "DesiredCount": 0,
                },
            },
        },
    }


def service_image(emu: Any) -> tuple[str, str]:
    ecs = emu.client("ecs")
    service = ecs.describe_services(cluster="hana-test", services=["hana-test-api"])["services"][0]
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    return service["taskDefinition"].rsplit("/", 1)[-1], task["containerDefinitions"][0]["image"]


def test_a_new_image_tag_registers_a_revision_and_the_service_follows_it(cfn, emu):
    apply_stack(cfn, "s", ecs_template(), {"ImageTag": "v1"})
    assert service_image(emu) == ("hana-test-api:1", "registry/api:v1")

    changes = modified(change_set(cfn, ecs_template(), {"ImageTag": "v2"}))
    assert list(changes) == ["Task", "Service"]
    assert changes["Task"]["Replacement"] == "True"  # ContainerDefinitions is create-only
    assert [(d["Target"]["Name"], d["ChangeSource"], d.get("CausingEntity")) for d in changes["Task"]["Details"]] == [
        ("ContainerDefinitions", "ParameterReference", "ImageTag")
    ]
    # the service refers to a resource that is replaced: a dynamic change, known only at execution
    assert [
        (d["Target"]["Name"], d["Evaluation"], d["ChangeSource"], d.get("CausingEntity"))
        for d in changes["Service"]["Details"]
    ] == [("TaskDefinition", "Dynamic", "ResourceReference", "Task")]
    assert changes["Service"]["Replacement"] == "False"

    cfn.execute_change_set(StackName="s", ChangeSetName="cs")
    assert stack(cfn, "s")["StackStatus"] == "UPDATE_COMPLETE"
    assert service_image(emu) == ("hana-test-api:2", "registry/api:v2")
    assert updated_resources(cfn) == ["Task", "Service"]


def test_a_failed_update_rolls_the_service_back_to_the_old_image(cfn, emu):
    template = ecs_template()
    apply_stack(cfn, "s", template, {"ImageTag": "v1"})
    template["Resources"]["Broken"] = {
        "Type": "AWS::SSM::Parameter",
        "DependsOn": "Service",
        "Properties": {"Type": "String", "Value": "{{resolve:ssm:/does/not/exist}}"},
    }
    apply_stack(cfn, "s", template, {"ImageTag": "v2"})
    assert stack(cfn, "s")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    # AWS puts the service back on revision 1; the emulator rolls back by applying the previous
    # template again, which registers the old image as a new revision
    assert service_image(emu)[1] == "registry/api:v1"
