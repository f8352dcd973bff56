"""Change sets: moto's CloudFormationBackend change-set methods and ChangeSet model.

The plan (what each resource does, Replacement, Details) is `planning`'s; executing runs the
engine. Outputs and Exports are written for stacks created or updated through change sets (moto:
none), and a CREATE change set sees existing exports (see `engine`).

- Change sets: parameters are validated at CreateChangeSet (missing or unknown ones); lookups by
  name are scoped to the StackName given (moto matched any stack's change set of that name, which
  breaks parallel deploys using one name); executing one that is not AVAILABLE raises
  InvalidChangeSetStatus; after an execution the stack's change sets are no longer listed; CREATE
  for a live stack's name raises AlreadyExistsException (a stack in REVIEW_IN_PROGRESS may get
  another); UPDATE of a stack in ROLLBACK_COMPLETE, REVIEW_IN_PROGRESS or a *_IN_PROGRESS state
  raises ValidationError, as AWS does.

Resource import (ChangeSetType IMPORT with ResourcesToImport; moto: none). A new stack is created
from existing resources, validated as CloudFormation does ("Bringing existing resources into
CloudFormation management", User Guide): each resource to import "must have a DeletionPolicy
attribute"; the resource exists; it "does not belong to another stack"; its type supports import
(`models.IMPORTABLE`, with the type's identifier property); the template's name property matches
the identifier; and an import creates nothing: every resource of the template is imported, and
the template has no Outputs. The change set lists Action "Import"; executing it goes
IMPORT_IN_PROGRESS -> IMPORT_COMPLETE with IMPORT_ events per resource. The emulator imports into
new stacks only (the deployer's use: re-create after delete); an import into a live stack is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from moto.cloudformation import models
from moto.cloudformation.exceptions import (
    AlreadyExistsException,
    CloudFormationError,
    MissingParameterError,
    ValidationError,
)

from .engine import (
    _REQUEST,
    LOCK,
    _check_supported,
    _live_stack,
    _physical_id,
    check_capabilities,
    run_create,
    run_update,
)
from .imports import run_import
from .planning import plan_update


def _patch_change_set_methods() -> None:

    backend_cls = models.CloudFormationBackend
    original_create_change_set = backend_cls.create_change_set

    def create_change_set(self: Any, stack_name: str, change_set_name: str, template: str, **kwargs: Any) -> Any:
        with LOCK:
            template_dict = models.Stack.parse_template(template)
            _check_supported(template_dict)
            capabilities = getattr(_REQUEST, "capabilities", None)
            check_capabilities(template_dict, capabilities)
            existing = _live_stack(self, stack_name)
            change_set_type = kwargs.get("change_set_type")
            if change_set_type == "IMPORT":
                _validate_import(self, stack_name, existing, template_dict, kwargs.get("parameters") or {})
            if change_set_type == "UPDATE":
                if existing is None:
                    raise ValidationError(stack_name)
                if existing.status in ("ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS", "ROLLBACK_FAILED", "DELETE_FAILED"):
                    raise ValidationError(
                        message=f"Stack:{existing.stack_id} is in {existing.status} state and can not be updated."
                    )
                if existing.status.endswith("_IN_PROGRESS"):
                    raise ValidationError(
                        message=f"Stack:{existing.stack_id} is in {existing.status} state and can not be updated."
                    )
            elif existing is not None:
                if existing.status != "REVIEW_IN_PROGRESS":
                    raise AlreadyExistsException(f"Stack [{stack_name}] already exists")
                # AWS lets a stack under review get another CREATE change set: reuse it.
                del self.stacks[existing.stack_id]
            _validate_parameters(self, template_dict, kwargs.get("parameters") or {}, stack_name)
            change_set_id, stack_id = original_create_change_set(self, stack_name, change_set_name, template, **kwargs)
            self.change_sets[change_set_id].capabilities = capabilities
            self.change_sets[change_set_id].hana_imports = list(getattr(_REQUEST, "resources_to_import", None) or [])
            if change_set_type != "UPDATE" and existing is not None:
                new = self.stacks.pop(stack_id)
                existing.events.extend(new.events[-1:])
                self.stacks[existing.stack_id] = existing
                self.change_sets[change_set_id].stack = existing
                self.change_sets[change_set_id].stack_id = existing.stack_id
                stack_id = existing.stack_id
            return change_set_id, stack_id

    def find_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> Any:
        change_set = self.change_sets.get(change_set_name)
        if change_set is None:
            for cs in self.change_sets.values():
                if cs.change_set_name == change_set_name and (
                    not stack_name or stack_name in (cs.stack_name, cs.stack_id)
                ):
                    change_set = cs
        if change_set is None:
            raise ValidationError(message=f"ChangeSet [{change_set_name}] does not exist")
        return change_set

    def describe_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> Any:
        return find_change_set(self, change_set_name, stack_name)

    def delete_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        with LOCK:
            change_set = find_change_set(self, change_set_name, stack_name)
            del self.change_sets[change_set.change_set_id]

    def execute_change_set(
        self: Any, change_set_name: str, stack_name: str | None = None, disable_rollback: bool = False
    ) -> None:
        with LOCK:
            change_set = find_change_set(self, change_set_name, stack_name)
            if change_set.execution_status != "AVAILABLE":
                raise InvalidChangeSetStatus(change_set.change_set_id, change_set.status)
            stack = self.stacks[change_set.stack_id]
            change_set.execution_status = "EXECUTE_IN_PROGRESS"
            _REQUEST.capabilities = getattr(change_set, "capabilities", None)
            if change_set.change_set_type == "UPDATE":
                run_update(self, stack, change_set.template, change_set.parameters)
            elif change_set.change_set_type == "IMPORT":
                _prepare(self, stack, change_set, disable_rollback)
                run_import(self, stack, change_set.hana_imports)
            else:
                _prepare(self, stack, change_set, disable_rollback)
                run_create(self, stack)
            change_set.execution_status = "EXECUTE_COMPLETE"
            # AWS removes the stack's change sets once one has been executed: the others are
            # gone; the executed one stays describable by its ARN but is no longer listed.
            change_set.hana_executed = True
            for cs_id, cs in list(self.change_sets.items()):
                if cs.stack_id == stack.stack_id and cs is not change_set:
                    del self.change_sets[cs_id]

    def list_change_sets(self: Any, stack_name: str | None = None) -> Iterable[Any]:
        return [
            cs
            for cs in self.change_sets.values()
            if (not stack_name or stack_name in (cs.stack_name, cs.stack_id))
            and not getattr(cs, "hana_executed", False)
        ]

    backend_cls.create_change_set = create_change_set
    backend_cls.describe_change_set = describe_change_set
    backend_cls.delete_change_set = delete_change_set
    backend_cls.execute_change_set = execute_change_set
    backend_cls.list_change_sets = list_change_sets


def _validate_parameters(backend: Any, template: dict[str, Any], parameters: dict[str, Any], stack_name: str) -> None:
    """CreateChangeSet fails on a missing parameter (moto failed later, at execution)."""

    declared = template.get("Parameters") or {}
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ValidationError(message=f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    for name, slot in declared.items():
        if name not in parameters and (slot or {}).get("Default") is None:
            raise MissingParameterError(name)


def _prepare(backend: Any, stack: Any, change_set: Any, disable_rollback: bool) -> None:
    """The stack of a CREATE or IMPORT change set gets its template, parameters and resource map."""
    stack.template = change_set.template
    stack._parse_template()
    stack.parameters = dict(change_set.parameters or {})
    if change_set.tags:
        stack.tags = dict(change_set.tags)
    stack.cross_stack_resources = backend.exports
    stack.resource_map = stack._create_resource_map()
    stack.output_map = stack._create_output_map()
    stack.disable_rollback = bool(disable_rollback)


def _validate_import(
    backend: Any, stack_name: str, existing: Any, template: dict[str, Any], parameters: dict[str, Any]
) -> None:
    """Refuse an import CloudFormation would refuse (see the module docstring)."""
    from .models import IMPORTABLE

    if existing is not None and existing.status != "REVIEW_IN_PROGRESS":
        raise ValidationError(
            message=f"Stack [{stack_name}] already exists; the local emulator imports resources into new stacks only"
        )
    wanted = list(getattr(_REQUEST, "resources_to_import", None) or [])
    if not wanted:
        raise ValidationError(message="ResourcesToImport is required for a change set of type IMPORT")
    if template.get("Outputs"):
        raise ValidationError(message="As part of the import operation, you cannot modify or add [Outputs]")
    resources = template.get("Resources") or {}
    named = {w.get("LogicalResourceId") for w in wanted}
    created = sorted(set(resources) - named)
    if created:
        raise ValidationError(
            message=f"You have modified resources [{', '.join(created)}] in your template that are not being "
            "imported. Update, create or delete operations cannot be executed during import operations."
        )
    for want in wanted:
        logical, rtype = want.get("LogicalResourceId", ""), want.get("ResourceType", "")
        identifier = dict(want.get("ResourceIdentifier") or {})
        body = resources.get(logical)
        if body is None:
            raise ValidationError(message=f"Resource [{logical}] to import does not exist in the template")
        if body.get("Type") != rtype:
            raise ValidationError(
                message=f"Resource type of [{logical}] in the template ({body.get('Type')}) does not match {rtype}"
            )
        if rtype not in IMPORTABLE:
            raise ValidationError(message=f"ResourceType [{rtype}] is not supported for import")
        key, prop, name_of, lookup = IMPORTABLE[rtype]
        if set(identifier) != {key}:
            raise ValidationError(
                message=f"Invalid ResourceIdentifier for [{logical}]: {rtype} is identified by [{key}], "
                f"not [{', '.join(sorted(identifier))}]"
            )
        if not body.get("DeletionPolicy"):
            raise ValidationError(
                message=f"The following resources to import [{logical}] must have DeletionPolicy attribute "
                "specified in the template."
            )
        value = identifier[key]
        declared = (body.get("Properties") or {}).get(prop) if prop else None
        if isinstance(declared, str) and name_of is not None and declared != name_of(value):
            raise ValidationError(
                message=f"The identifier value [{value}] for [{logical}] does not match the template's {prop} "
                f"[{declared}]"
            )
        found = lookup(value, {}, backend.account_id, backend.region_name)
        if found is None:
            raise ValidationError(message=f"Resource of type '{rtype}' with identifier '{value}' was not found.")
        owner = _owner(backend, found)
        if owner is not None:
            raise ValidationError(
                message=f"Resource of type '{rtype}' with identifier '{value}' already exists in stack {owner}."
            )


def _owner(backend: Any, found: Any) -> str | None:
    """The stack that has `found` among its resources, if any."""
    physical = _physical_id(found)
    for stack in backend.stacks.values():
        for instance in (getattr(stack.resource_map, "_parsed_resources", None) or {}).values():
            if instance is found or (physical and _physical_id(instance) == physical):
                return stack.stack_id
    return None


class InvalidChangeSetStatus(CloudFormationError):
    code = "InvalidChangeSetStatus"

    def __init__(self, change_set_id: str, status: str):
        super().__init__(f"ChangeSet [{change_set_id}] cannot be executed in its current status of [{status}]")


def _patch_change_set() -> None:

    def diff(self: Any) -> list[Any]:
        if self.change_set_type == "IMPORT":  # everything in the template is imported (validated)
            resources = self.template_dict.get("Resources") or {}
            return [
                models.Change(action="Import", logical_resource_id=n, resource_type=r.get("Type", ""))
                for n, r in resources.items()
            ]
        rm = self.stack.resource_map
        plan = plan_update(rm, self.template_dict, self.parameters)
        old = rm._resource_json_map
        new = self.template_dict.get("Resources") or {}
        changes = []
        for action, names in (("Add", plan.add), ("Modify", plan.modify), ("Remove", plan.remove)):
            for logical in names:
                rtype = (new.get(logical) or old.get(logical) or {}).get("Type", "")
                change = models.Change(action=action, logical_resource_id=logical, resource_type=rtype)
                instance = rm._parsed_resources.get(logical) if action != "Add" else None
                change.physical_resource_id = _physical_id(instance) or None
                if action == "Modify":
                    change.replacement, change.details = plan.changes[logical]
                    change.scope = ["Properties"]
                changes.append(change)
        return changes

    models.ChangeSet.diff = diff
