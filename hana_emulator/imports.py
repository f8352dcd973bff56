"""Resource import: what an IMPORT change set does when it is executed (CloudFormation's resource
import). Each identified resource becomes the stack's resource as it is: nothing is created or
changed; a resource that is not found rolls the import back and is released again, never deleted.

The change set is validated when it is created (changesets.py); the per-type lookups are in
models (IMPORTABLE).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import parsing

from .engine import (
    ResourceFailure,
    _begin_operation,
    _finish_outputs,
    _physical_id,
    _resources_json,
    resource_event,
    stack_event,
)


def run_import(backend: Any, stack: Any, wanted: list[dict[str, Any]]) -> None:
    """Import existing resources into `stack` (an IMPORT change set, validated at creation): each
    becomes the stack's resource as it is, nothing is created or changed (as CloudFormation)."""
    from .models import IMPORTABLE

    rm = stack.resource_map
    rm._template = stack.template_dict
    rm._resource_json_map = _resources_json(stack)
    bodies = _resources_json(stack)
    _begin_operation(stack)
    stack_event(stack, "IMPORT_IN_PROGRESS", "User Initiated")
    try:
        for want in wanted:
            logical = want["LogicalResourceId"]
            rtype = bodies[logical]["Type"]
            key, _prop, _name_of, lookup = IMPORTABLE[rtype]
            value = dict(want["ResourceIdentifier"])[key]
            resource_event(stack, logical, rtype, "IMPORT_IN_PROGRESS", physical=value)
            properties = parsing.clean_json(bodies[logical].get("Properties") or {}, rm)
            found = lookup(value, properties, stack.account_id, stack.region_name)
            if found is None:
                reason = f"Resource of type '{rtype}' with identifier '{value}' was not found."
                resource_event(stack, logical, rtype, "IMPORT_FAILED", physical=value, reason=reason)
                raise ResourceFailure(logical, reason)
            rm._parsed_resources[logical] = found
            resource_event(stack, logical, rtype, "IMPORT_COMPLETE", physical=_physical_id(found) or value)
        _finish_outputs(backend, stack)
    except ResourceFailure as failure:
        stack.status_reason = f"The following resource(s) failed to import: [{failure.logical}]. "
        stack_event(stack, "IMPORT_ROLLBACK_IN_PROGRESS", stack.status_reason)
        for logical in [w["LogicalResourceId"] for w in wanted]:
            rm._parsed_resources.pop(logical, None)  # released again, never deleted
        stack_event(stack, "IMPORT_ROLLBACK_COMPLETE")
        return
    stack.status_reason = None
    stack_event(stack, "IMPORT_COMPLETE")
