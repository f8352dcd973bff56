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
            else:
                stack.template = change_set.template
                stack._parse_template()
                stack.parameters = dict(change_set.parameters or {})
                if change_set.tags:
                    stack.tags = dict(change_set.tags)
                stack.cross_stack_resources = self.exports
                stack.resource_map = stack._create_resource_map()
                stack.output_map = stack._create_output_map()
                stack.disable_rollback = bool(disable_rollback)
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


class InvalidChangeSetStatus(CloudFormationError):
    code = "InvalidChangeSetStatus"

    def __init__(self, change_set_id: str, status: str):
        super().__init__(f"ChangeSet [{change_set_id}] cannot be executed in its current status of [{status}]")


def _patch_change_set() -> None:

    def diff(self: Any) -> list[Any]:
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
