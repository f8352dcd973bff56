"""The stack engine: creates, updates and deletes a stack's resources (moto's create/execute/
update/delete are replaced by it; moto never failed or rolled back).

- One engine for create_stack, execute_change_set, update_stack and delete_stack: resource by
  resource in dependency order (Ref, Fn::GetAtt, Fn::Sub, DependsOn; moto honoured DependsOn
  only), writing per-resource events (CREATE_/UPDATE_/DELETE_ IN_PROGRESS, COMPLETE, FAILED,
  DELETE_SKIPPED) with the physical id and the reason, as CloudFormation does (moto: stack-level
  events only). Updates add, then modify, then remove in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS.
- A failing resource (any service error, a dynamic reference that does not resolve, an unknown
  GetAtt, even a moto bug) no longer surfaces as an API error or an HTTP 500 with the stack stuck
  in CREATE_IN_PROGRESS: the call succeeds and the stack goes ROLLBACK_IN_PROGRESS ->
  ROLLBACK_COMPLETE (created resources deleted again in reverse order, Retain honoured) or
  UPDATE_ROLLBACK_IN_PROGRESS -> UPDATE_ROLLBACK_COMPLETE (previous template and parameters
  applied again), with StackStatusReason "The following resource(s) failed to create: [X]. ..."
  and a CREATE_FAILED event carrying the service's message and error code. DisableRollback /
  OnFailure=DO_NOTHING leave CREATE_FAILED; a failed rollback ends in ROLLBACK_FAILED /
  UPDATE_ROLLBACK_FAILED; a failed delete ends in DELETE_FAILED with the stack kept (moto dropped
  the stack and orphaned its resources). A DELETE_FAILED event is written once, after retries.
- DeletionPolicy RetainExceptOnCreate keeps a resource like Retain, except when the stack
  operation that created it rolls back: then it is deleted (moto: no such policy). The
  RetainExceptOnCreate API parameter (CreateStack, UpdateStack, ExecuteChangeSet) does the same
  for Retain resources created by the operation. "RetainExceptOnCreate behaves like Retain for
  stack operations, except for the stack operation that initially created the resource. If the
  stack operation that created the resource is rolled back, CloudFormation deletes the resource"
  (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html);
  the parameter: "When set to true, newly created resources are deleted when the operation rolls
  back. This includes newly created resources marked with a deletion policy of Retain"
  (CreateStack / ExecuteChangeSet API reference).
- DeletionPolicy Snapshot takes the final snapshot (RDS instance, ElastiCache replication group)
  before deleting (moto just deleted).
- Outputs and Exports for stacks created or updated through change sets (moto: none), and a
  CREATE change set sees existing exports. Outputs are evaluated once, when the operation
  completes (moto re-evaluated them on every describe_stacks, so one bad output made
  describe_stacks fail for every stack). ExportName is matched by output, not by value.
- A template with a resource type the emulator does not model is refused at CreateStack /
  CreateChangeSet ("Unrecognized resource types: [...]") instead of silently skipped.

`stacks` and `changesets` call it from moto's CloudFormationBackend methods, under `LOCK`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable
from typing import Any

from moto.cloudformation import models, parsing
from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.core.utils import utcnow
from moto.ec2 import models as ec2_models
from moto.ec2.models.core import TaggedEC2Resource

from .dependencies import dependency_order, reference_targets
from .planning import plan_update

LOG = logging.getLogger("hana_emulator")
# moto's backends are plain dicts; the deployer runs stacks in parallel. One lock makes every
# stack operation atomic (they take milliseconds on moto, so nothing is lost).
LOCK = threading.RLock()


FAILED_CREATE = "The following resource(s) failed to create: [{}]. Rollback requested by user."
FAILED_UPDATE = "The following resource(s) failed to update: [{}]. "
FAILED_DELETE = "The following resource(s) failed to delete: [{}]. "
RETAIN_POLICIES = ("Retain", "RetainExceptOnCreate")


def supported_types() -> frozenset[str]:
    """Every resource type the emulator creates for real (after `apply()`)."""

    return frozenset(parsing.get_model_map()) | frozenset(parsing.NULL_MODELS)


def unsupported_types(template: dict[str, Any]) -> list[str]:
    """The resource types of `template` that the emulator would not create."""
    known = supported_types()
    types = {r.get("Type", "") for r in (template.get("Resources") or {}).values() if isinstance(r, dict)}
    return sorted(t for t in types if t not in known and not t.startswith("Custom::"))


def _check_supported(template: dict[str, Any]) -> None:

    missing = unsupported_types(template)
    if missing:
        raise ValidationError(
            message=f"Template format error: Unrecognized resource types: [{', '.join(missing)}] "
            "(the local emulator does not model them; see hana_emulator/models/)"
        )


IAM_NAME_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::UserToGroupAddition": None,
}


class InsufficientCapabilities(CloudFormationError):
    code = "InsufficientCapabilitiesException"


def check_capabilities(template: dict[str, Any], capabilities: Iterable[str] | None) -> None:
    """IAM resources need CAPABILITY_IAM, named ones CAPABILITY_NAMED_IAM (moto never asked).
    `capabilities` None: not an API call (nothing to check)."""
    if capabilities is None:
        return
    given = set(capabilities)
    needed = None
    for body in (template.get("Resources") or {}).values():
        rtype = (body or {}).get("Type")
        if rtype in IAM_NAME_PROPERTIES:
            name = IAM_NAME_PROPERTIES[rtype]
            if name and name in ((body or {}).get("Properties") or {}):
                needed = "CAPABILITY_NAMED_IAM"
            else:
                needed = needed or "CAPABILITY_IAM"
    if needed and needed not in given and not (needed == "CAPABILITY_IAM" and "CAPABILITY_NAMED_IAM" in given):
        raise InsufficientCapabilities(f"Requires capabilities : [{needed}]")


def resource_event(stack: Any, logical: str, rtype: str, status: str, physical: str = "", reason: str = "") -> None:
    """Record a per-resource event and the resource's current status."""
    event = models.Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical,
        physical_resource_id=physical or "",
        resource_type=rtype,
        resource_status=status,
        resource_status_reason=reason or None,
        resource_properties=None,
    )
    stack.events.append(event)
    _statuses(stack)[logical] = {"status": status, "reason": reason or None, "time": event.timestamp, "type": rtype}
    with contextlib.suppress(Exception):  # a notification topic that is gone must not fail the stack
        event.sendToSns(stack.account_id, stack.region_name, stack.notification_arns)


def stack_event(stack: Any, status: str, reason: str | None = None) -> None:
    stack.status = status
    stack._add_stack_event(status, resource_status_reason=reason)


def _statuses(stack: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(stack, "_hana_status"):
        stack._hana_status = {}
    return stack._hana_status


def error_text(err: BaseException) -> str:
    """The reason CloudFormation would show for a resource handler error."""
    if isinstance(err, ResourceFailure):
        return err.reason
    code = getattr(err, "error_type", None) or getattr(err, "code", None)
    message = getattr(err, "message", None) or str(err) or type(err).__name__
    if isinstance(code, str) and code and not code.isdigit():
        return f'Resource handler returned message: "{message}" (HandlerErrorCode: {code.split("#")[-1]})'
    if type(err).__module__.startswith("moto"):
        return f'Resource handler returned message: "{message}"'
    return (
        f"Internal failure in the local emulator ({type(err).__name__}: {message}); see hana_emulator/cfn_extensions.py"
    )


class ResourceFailure(Exception):
    """A resource failed; the stack rolls back."""

    def __init__(self, logical: str, reason: str, physical: str = ""):
        super().__init__(f"{logical}: {reason}")
        self.logical = logical
        self.reason = reason
        self.physical = physical  # what AWS names in the failed event, when it exists (a child stack's ARN)


def _kept(stack: Any, logical: str, policy: str | None) -> bool:
    """Whether DeletionPolicy `policy` keeps `logical` at this delete (see the module docstring:
    RetainExceptOnCreate, and Retain with the API parameter, do not keep what the operation that
    is rolling back created)."""
    if policy not in RETAIN_POLICIES:
        return False
    if getattr(stack, "_hana_rolling_back", False) and logical in getattr(stack, "_hana_created_now", ()):
        return not (policy == "RetainExceptOnCreate" or getattr(stack, "_hana_retain_except_on_create", False))
    return True


def _begin_operation(stack: Any) -> None:
    """A new stack operation: nothing is created by it yet; RetainExceptOnCreate (the API
    parameter) comes with the request."""
    stack._hana_created_now = set()
    stack._hana_rolling_back = False
    stack._hana_retain_except_on_create = bool(getattr(_REQUEST, "retain_except_on_create", False))


def _physical_id(instance: Any) -> str:
    value = getattr(instance, "physical_resource_id", None)
    return value if isinstance(value, str) else ""


def _resources_json(stack: Any) -> dict[str, Any]:
    return (stack.template_dict or {}).get("Resources") or {}


def _condition_false(rm: Any, body: dict[str, Any]) -> bool:
    condition = body.get("Condition")
    return bool(condition) and not rm.lazy_condition_map[condition]


def _create_one(stack: Any, logical: str, body: dict[str, Any]) -> Any:
    """Create one resource with its events; ResourceFailure on error."""

    rm = stack.resource_map
    rtype = body.get("Type", "")
    resource_event(stack, logical, rtype, "CREATE_IN_PROGRESS")
    try:
        instance = rm[logical]
        if isinstance(instance, TaggedEC2Resource):
            tags = dict(rm.tags)
            tags["aws:cloudformation:logical-id"] = logical
            ec2_models.ec2_backends[stack.account_id][stack.region_name].create_tags(
                [instance.physical_resource_id], tags
            )
    except Exception as err:
        reason = error_text(err)
        LOG.debug("%s %s failed", stack.name, logical, exc_info=True)
        rm._parsed_resources.pop(logical, None)
        physical = getattr(err, "physical", "")
        resource_event(stack, logical, rtype, "CREATE_FAILED", physical=physical, reason=reason)
        raise ResourceFailure(logical, reason, physical) from err
    resource_event(stack, logical, rtype, "CREATE_COMPLETE", physical=_physical_id(instance))
    if not hasattr(stack, "_hana_created_now"):
        stack._hana_created_now = set()
    stack._hana_created_now.add(logical)
    return instance


def _delete_one(stack: Any, logical: str, body: dict[str, Any], first_try: bool = True, last_try: bool = True) -> None:
    """Delete one created resource with its events (Retain: skipped; Snapshot: a final
    snapshot first, where the type has snapshots). Raises on failure; the DELETE_FAILED
    event is written on the last try only."""
    from .models import SNAPSHOT_DELETERS, snapshot_name

    rm = stack.resource_map
    rtype = body.get("Type", "")
    instance = rm._parsed_resources.get(logical)
    physical = _physical_id(instance)
    policy = body.get("DeletionPolicy")
    if _kept(stack, logical, policy):
        rm._parsed_resources.pop(logical, None)
        resource_event(stack, logical, rtype, "DELETE_SKIPPED", physical=physical)
        return
    if first_try:
        resource_event(stack, logical, rtype, "DELETE_IN_PROGRESS", physical=physical)
    try:
        if policy == "Snapshot" and rtype in SNAPSHOT_DELETERS:
            SNAPSHOT_DELETERS[rtype](instance, snapshot_name(stack.name, logical))
        else:
            rm._delete_resource(instance, body)
    except Exception as err:
        if last_try:
            resource_event(stack, logical, rtype, "DELETE_FAILED", physical=physical, reason=error_text(err))
        raise
    rm._parsed_resources.pop(logical, None)
    resource_event(stack, logical, rtype, "DELETE_COMPLETE", physical=physical)


def _created(stack: Any, bodies: dict[str, Any]) -> list[str]:
    rm = stack.resource_map
    return [n for n in bodies if n in rm._parsed_resources and rm._parsed_resources[n] is not None]


def _delete_many(stack: Any, bodies: dict[str, Any], names: list[str]) -> list[str]:
    """Delete `names` (already in reverse dependency order), retrying the ones that fail while
    others succeed (a dependency outside the template may go first). Returns the failures."""
    remaining, first_try = list(names), True
    while remaining:
        failed = []
        for logical in remaining:
            try:
                _delete_one(stack, logical, bodies[logical], first_try=first_try, last_try=False)
            except Exception:
                failed.append(logical)
        first_try = False
        if len(failed) == len(remaining):
            for logical in failed:  # one last try, which records why it failed
                with contextlib.suppress(Exception):
                    _delete_one(stack, logical, bodies[logical], first_try=False, last_try=True)
            return [n for n in failed if stack.resource_map._parsed_resources.get(n) is not None]
        remaining = failed
    return []


def _finish_outputs(backend: Any, stack: Any) -> None:
    """Evaluate Outputs and Exports once, when the operation completes."""

    stack.output_map = stack._create_output_map()
    outputs = []
    for key in stack.output_map:
        try:
            output = stack.output_map[key]
        except ResourceFailure:
            raise
        except Exception as err:
            raise ResourceFailure(key, f"Template error: output {key} cannot be resolved: {error_text(err)}") from err
        if output is not None:
            outputs.append(output)
    declared = stack.output_map._output_json_map or {}
    exports, export_of = [], {}
    for output in outputs:
        export = (declared.get(output.key) or {}).get("Export")
        if export:
            name = parsing.clean_json(export.get("Name"), stack.resource_map)
            exports.append(parsing.Export(stack.stack_id, name, output.value))
            export_of[output.key] = name
    mine = {e.name for e in exports}
    for export in exports:
        other = backend.exports.get(export.name)
        if other is not None and other.exporting_stack_id != stack.stack_id:
            raise ResourceFailure(
                export.name, f"Export with name {export.name} is already exported by stack {other.exporting_stack_id}"
            )
    for name in [n for n, e in backend.exports.items() if e.exporting_stack_id == stack.stack_id and n not in mine]:
        del backend.exports[name]
    for export in exports:
        backend.exports[export.name] = export
    stack._hana_outputs = [
        {
            "OutputKey": o.key,
            "OutputValue": _output_text(o.value),
            "Description": o.description,
            "ExportName": export_of.get(o.key),
        }
        for o in outputs
    ]


def _output_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return value if isinstance(value, str) else str(value)


def run_create(backend: Any, stack: Any) -> None:
    """Create every resource of `stack` (template, parameters and resource map already set)."""
    stack.description = stack.template_dict.get("Description")
    stack._hana_outputs = None
    rm = stack.resource_map
    rm._template = stack.template_dict
    rm._resource_json_map = _resources_json(stack)
    rm.tags.update({"aws:cloudformation:stack-name": stack.name, "aws:cloudformation:stack-id": stack.stack_id})
    bodies = _resources_json(stack)
    _begin_operation(stack)
    stack_event(stack, "CREATE_IN_PROGRESS", "User Initiated")
    created: list[str] = []
    try:
        for logical in dependency_order(stack.template_dict):
            if _condition_false(rm, bodies[logical]):
                continue
            _create_one(stack, logical, bodies[logical])
            created.append(logical)
        _finish_outputs(backend, stack)
    except ResourceFailure as failure:
        reason = FAILED_CREATE.format(failure.logical)
        stack.status_reason = reason
        if stack.disable_rollback:
            stack_event(stack, "CREATE_FAILED", reason)
            return
        stack_event(stack, "ROLLBACK_IN_PROGRESS", reason)
        stack._hana_rolling_back = True
        try:
            leftovers = _delete_many(stack, bodies, [n for n in reversed(created) if n in rm._parsed_resources])
        finally:
            stack._hana_rolling_back = False
        stack._hana_outputs = None
        if leftovers:
            stack_event(stack, "ROLLBACK_FAILED", FAILED_DELETE.format(", ".join(leftovers)))
        else:
            stack_event(stack, "ROLLBACK_COMPLETE")
        return
    stack.status_reason = None
    stack_event(stack, "CREATE_COMPLETE")


def _apply_template(
    backend: Any,
    stack: Any,
    template: str,
    parameters: dict[str, Any],
    skip: frozenset[str] = frozenset(),
    force: frozenset[str] = frozenset(),
) -> None:
    """Move `stack` to `template` + `parameters`: add, then modify (dependency order), then
    remove (reverse order, in the cleanup phase). ResourceFailure on the first failure. Resources
    in `skip` (ContinueUpdateRollback's ResourcesToSkip) are marked complete without being touched;
    resources in `force` are applied even when their definition did not change (the one a failed
    rollback could not bring back)."""

    rm = stack.resource_map
    old_bodies = dict(rm._resource_json_map)
    old_order = dependency_order({"Resources": old_bodies})
    new_dict = stack.parse_template(template)
    _check_supported(new_dict)
    plan = plan_update(rm, new_dict, parameters)
    stack.template = template
    stack.template_dict = new_dict
    stack.parameters = dict(parameters)
    stack.description = new_dict.get("Description")
    rm._template = new_dict
    rm.input_parameters = dict(parameters)
    rm.resolved_parameters = {}
    rm.load_mapping()
    rm.load_parameters()
    rm.load_conditions()
    rm._resource_json_map = new_dict.get("Resources") or {}
    bodies = rm._resource_json_map
    adds = set(plan.add)
    read = _referenced_attributes(bodies)
    moved: dict[str, set[str | None]] = {}  # resources updated here: the references of them that changed
    for logical in dependency_order(new_dict):
        body = bodies[logical]
        rtype = body.get("Type", "")
        if _condition_false(rm, body):
            continue
        if logical in adds or logical not in rm._parsed_resources:
            if rm._parsed_resources.get(logical) is None:
                _create_one(stack, logical, body)
            continue
        if logical not in plan.static and logical not in force and not _reads_moved(body, moved):
            continue
        if logical in skip:
            resource_event(
                stack,
                logical,
                rtype,
                "UPDATE_COMPLETE",
                physical=_physical_id(rm._parsed_resources.get(logical)),
                reason="Resource skipped during UPDATE_ROLLBACK",
            )
            continue
        before = _reference_values(rm._parsed_resources.get(logical), read.get(logical, set()))
        old_physical = _physical_id(rm._parsed_resources.get(logical))
        resource_event(stack, logical, rtype, "UPDATE_IN_PROGRESS", physical=old_physical)
        try:
            changed = parsing.parse_and_update_resource(
                logical, body, rm, account_id=stack.account_id, region_name=stack.region_name
            )
        except Exception as err:
            reason = error_text(err)
            resource_event(stack, logical, rtype, "UPDATE_FAILED", physical=old_physical, reason=reason)
            raise ResourceFailure(logical, reason) from err
        if changed is not None:  # None: moto cannot update this type; the old resource stays
            rm._parsed_resources[logical] = changed
        resource_event(stack, logical, rtype, "UPDATE_COMPLETE", physical=_physical_id(rm._parsed_resources[logical]))
        after = _reference_values(rm._parsed_resources[logical], read.get(logical, set()))
        if any(before[key] != after[key] for key in before):
            moved[logical] = {key for key in before if before[key] != after[key]}
    _finish_outputs(backend, stack)
    removed = [n for n in reversed(old_order) if n not in bodies and rm._parsed_resources.get(n) is not None]
    if removed:
        stack_event(stack, f"{_phase(stack)}_COMPLETE_CLEANUP_IN_PROGRESS")
        _delete_many(stack, old_bodies, removed)  # failures in cleanup do not fail the update (as AWS)


def _referenced_attributes(bodies: dict[str, Any]) -> dict[str, set[str | None]]:
    """For each resource, what the template reads of it: its Ref (None) and GetAtt attributes."""
    read: dict[str, set[str | None]] = {}
    for body in bodies.values():
        for name, attribute in reference_targets(body or {}):
            read.setdefault(name, set()).add(attribute)
    return read


def _reference_values(instance: Any, keys: set[str | None]) -> dict[str | None, Any]:
    """The current value of each Ref (None) / attribute of `instance` in `keys`."""
    values: dict[str | None, Any] = {}
    for key in keys:
        if key is None:
            values[key] = getattr(instance, "physical_resource_id", instance)
            continue
        try:
            values[key] = instance.get_cfn_attribute(key)
        except Exception as err:  # unknown before and after: unchanged
            values[key] = f"<{type(err).__name__}>"
    return values


def _reads_moved(body: dict[str, Any], moved: dict[str, set[str | None]]) -> bool:
    """Whether `body` reads a Ref or attribute that this update changed (a dependent of a
    replaced resource, such as an ECS service of a task definition that got a new revision)."""
    return any(name in moved and attribute in moved[name] for name, attribute in reference_targets(body))


def _phase(stack: Any) -> str:
    return "UPDATE_ROLLBACK" if stack.status.startswith("UPDATE_ROLLBACK") else "UPDATE"


def run_update(backend: Any, stack: Any, template: str, parameters: dict[str, Any]) -> None:
    """Update `stack`; on a failure apply the previous template and parameters again."""
    old_template, old_parameters = stack.template, dict(stack.parameters or {})
    stack.last_updated_time = utcnow()
    _begin_operation(stack)
    stack_event(stack, "UPDATE_IN_PROGRESS", "User Initiated")
    try:
        _apply_template(backend, stack, template, parameters)
    except ResourceFailure as failure:
        reason = FAILED_UPDATE.format(failure.logical)
        stack.status_reason = reason
        stack_event(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
        stack._hana_rolling_back = True
        try:
            _apply_template(backend, stack, old_template, old_parameters)
        except ResourceFailure as again:
            stack.rollback_failed_on = again.logical
            stack_event(stack, "UPDATE_ROLLBACK_FAILED", f"{again.logical}: {again.reason}")
            return
        finally:
            stack._hana_rolling_back = False
        stack_event(stack, "UPDATE_ROLLBACK_COMPLETE")
        return
    stack.status_reason = None
    stack_event(stack, "UPDATE_COMPLETE")


def run_continue_rollback(backend: Any, stack: Any, skip: frozenset[str]) -> None:
    """ContinueUpdateRollback: apply the rollback target (the template and parameters the failed
    rollback was moving back to, which `_apply_template` recorded on the stack) again, skipping
    `skip`; UPDATE_ROLLBACK_COMPLETE, or UPDATE_ROLLBACK_FAILED once more."""
    stack_event(stack, "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated")
    failed = getattr(stack, "rollback_failed_on", None)
    force = frozenset({failed} - skip) if failed else frozenset()
    try:
        _apply_template(backend, stack, stack.template, dict(stack.parameters or {}), skip, force)
    except ResourceFailure as again:
        stack.rollback_failed_on = again.logical
        stack_event(stack, "UPDATE_ROLLBACK_FAILED", f"{again.logical}: {again.reason}")
        return
    stack.rollback_failed_on = None
    stack_event(stack, "UPDATE_ROLLBACK_COMPLETE")


def run_delete(backend: Any, stack: Any, retain: Iterable[str] = ()) -> bool:
    """Delete every resource of `stack` in reverse dependency order, keeping the `retain` ones
    (DeleteStack's RetainResources: skipped as if their DeletionPolicy were Retain). True when it is gone."""
    keep = set(retain)
    bodies = {k: ({**v, "DeletionPolicy": "Retain"} if k in keep else v) for k, v in _resources_json(stack).items()}
    stack_event(stack, "DELETE_IN_PROGRESS", "User Initiated")
    order = [n for n in reversed(dependency_order(stack.template_dict or {})) if n in _created(stack, bodies)]
    failed = _delete_many(stack, bodies, order)
    if failed:
        reason = FAILED_DELETE.format(", ".join(failed))
        stack.status_reason = reason
        stack_event(stack, "DELETE_FAILED", reason)
        return False
    stack._hana_outputs = None
    stack.status_reason = None
    stack_event(stack, "DELETE_COMPLETE")
    return True


def _live_stack(backend: Any, name_or_id: str) -> Any | None:
    stack = backend.stacks.get(name_or_id)
    if stack is not None:
        return stack
    return next((s for s in backend.stacks.values() if s.name == name_or_id), None)


_REQUEST = threading.local()
