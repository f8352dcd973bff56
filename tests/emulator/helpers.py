"""Small CloudFormation helpers for the emulator tests (the deployer has its own)."""

from __future__ import annotations

import json
from typing import Any


def apply_stack(cfn: Any, name: str, template: dict | str, parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """Create or update `name` through a change set, as the deployer does; return the stack."""
    body = template if isinstance(template, str) else json.dumps(template)
    exists = any(
        s["StackName"] == name and s["StackStatus"] != "REVIEW_IN_PROGRESS" for s in cfn.describe_stacks()["Stacks"]
    )
    params = [{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()]
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="cs",
        TemplateBody=body,
        Parameters=params,
        ChangeSetType="UPDATE" if exists else "CREATE",
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    change_set = cfn.describe_change_set(StackName=name, ChangeSetName="cs")
    if change_set["Status"] == "CREATE_COMPLETE":
        cfn.execute_change_set(StackName=name, ChangeSetName="cs")
    else:
        cfn.delete_change_set(StackName=name, ChangeSetName="cs")
    return stack(cfn, name)


def stack(cfn: Any, name: str) -> dict[str, Any]:
    return cfn.describe_stacks(StackName=name)["Stacks"][0]


def outputs(cfn: Any, name: str) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack(cfn, name).get("Outputs") or []}


def events(cfn: Any, name: str) -> list[tuple[str, str, str]]:
    """(logical id, status, reason) oldest first."""
    rows = cfn.describe_stack_events(StackName=name)["StackEvents"][::-1]
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason") or "") for e in rows]
