"""moto's resource-type registry, CloudFormation responses and model attributes, patched.

- The registry: moto looks types up in `parsing.get_model_map()`; the models of
  `hana_emulator.models` are merged in and win over moto's for the same type.
- list_stack_resources / describe_stack_resources report each resource's own status, reason
  and time (moto: the stack's status, a fixed date, and blank rows for skipped resources).
- Responses: DescribeChangeSet, DeleteChangeSet, ExecuteChangeSet and ListChangeSets pass the
  StackName on (see `changesets`); UpdateTerminationProtection is answered; Capabilities,
  DisableRollback, OnFailure and RetainExceptOnCreate reach the backend (moto's handlers dropped
  them).
- GetAtt attributes and Refs moto's own models lack are added (`models.attribute_table`,
  `models.ref_table`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation import parsing, responses
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.responses import ActionResult, EmptyResult

from .engine import _REQUEST, _physical_id, _statuses


def _patch_model_registry(ours: dict[str, type]) -> None:
    """moto looks types up in `get_model_map()` (direct CloudFormationModel subclasses, cached);
    ours are merged in and win over moto's for the same type."""

    original_list = parsing.get_model_list

    def get_model_list() -> list[type]:
        theirs = [m for m in original_list() if _type_of(m) and _type_of(m) not in ours]
        return [*theirs, *ours.values()]

    def get_model_map() -> dict[str, type]:
        return {_type_of(m): m for m in get_model_list()}

    parsing.get_model_list = get_model_list
    parsing.get_model_map = get_model_map
    parsing.get_name_type_map.cache_clear()


def _type_of(model: type) -> str:
    try:
        return model.cloudformation_type()
    except Exception:  # an abstract helper base
        return ""


def _patch_responses() -> None:

    response_cls = responses.CloudFormationResponse

    def describe_change_set(self: Any) -> Any:
        change_set = self.cloudformation_backend.describe_change_set(
            change_set_name=self._get_param("ChangeSetName"), stack_name=self._get_param("StackName")
        )
        return ActionResult(change_set)

    def delete_change_set(self: Any) -> Any:
        self.cloudformation_backend.delete_change_set(
            change_set_name=self._get_param("ChangeSetName"), stack_name=self._get_param("StackName")
        )
        return EmptyResult()

    def execute_change_set(self: Any) -> Any:
        _REQUEST.retain_except_on_create = self._get_bool_param("RetainExceptOnCreate", False)
        self.cloudformation_backend.execute_change_set(
            change_set_name=self._get_param("ChangeSetName"),
            stack_name=self._get_param("StackName"),
            disable_rollback=self._get_bool_param("DisableRollback", False),
        )
        return EmptyResult()

    def list_change_sets(self: Any) -> Any:
        return ActionResult({"Summaries": self.cloudformation_backend.list_change_sets(self._get_param("StackName"))})

    def update_termination_protection(self: Any) -> Any:
        stack = self.cloudformation_backend.update_termination_protection(
            self._get_param("StackName"), self._get_bool_param("EnableTerminationProtection", False)
        )
        return ActionResult({"StackId": stack.stack_id})

    def continue_update_rollback(self: Any) -> Any:
        self.cloudformation_backend.continue_update_rollback(
            self._get_param("StackName"), self._get_param("ResourcesToSkip", []) or []
        )
        return EmptyResult()

    def with_request_options(handler: Any) -> Any:
        """moto's handlers drop Capabilities, DisableRollback, OnFailure and RetainExceptOnCreate:
        hand them to the backend through a thread-local for the duration of the request."""

        def wrapped(self: Any) -> Any:
            _REQUEST.capabilities = self._get_param("Capabilities", []) or []
            on_failure = self._get_param("OnFailure")
            _REQUEST.disable_rollback = self._get_bool_param("DisableRollback", False) or on_failure == "DO_NOTHING"
            _REQUEST.retain_except_on_create = self._get_bool_param("RetainExceptOnCreate", False)
            _REQUEST.resources_to_import = self._get_param("ResourcesToImport", []) or []
            try:
                return handler(self)
            finally:
                _REQUEST.capabilities = None
                _REQUEST.disable_rollback = False
                _REQUEST.retain_except_on_create = False
                _REQUEST.resources_to_import = None

        return wrapped

    original_execute = execute_change_set

    def execute_change_set_request(self: Any) -> Any:
        try:
            return original_execute(self)
        finally:
            _REQUEST.capabilities = None
            _REQUEST.retain_except_on_create = False

    def list_stack_resources(self: Any) -> Any:
        stack, _ = self.cloudformation_backend.list_stack_resources(self._get_param("StackName"))
        # only the resources the stack holds: moto's resource map creates any other one when read
        # (on a DELETE_FAILED or rolled-back stack that re-created what was deleted, or failed)
        rm = stack.resource_map
        resources = [r for k, r in rm._parsed_resources.items() if k in (rm._resource_json_map or {})]
        return ActionResult({"StackResourceSummaries": [_summary(stack, r) for r in resources if r is not None]})

    def describe_stack_resources(self: Any) -> Any:
        stack, resources = self.cloudformation_backend.describe_stack_resources(
            self._get_param("StackName"), self._get_param("LogicalResourceId")
        )
        rows = []
        for resource in resources:
            if resource is None:
                continue
            row = _summary(stack, resource)
            row.update(StackId=stack.stack_id, StackName=stack.name, Timestamp=row.pop("LastUpdatedTimestamp"))
            rows.append(row)
        return ActionResult({"StackResources": rows})

    def delete_stack(self: Any) -> Any:
        _REQUEST.retain = self._get_param("RetainResources", []) or []
        try:
            self.cloudformation_backend.delete_stack(self._get_param("StackName"))
        finally:
            _REQUEST.retain = None
        return EmptyResult()

    response_cls.delete_stack = delete_stack
    response_cls.describe_change_set = describe_change_set
    response_cls.delete_change_set = delete_change_set
    response_cls.list_change_sets = list_change_sets
    response_cls.update_termination_protection = update_termination_protection
    response_cls.continue_update_rollback = continue_update_rollback
    response_cls.create_stack = with_request_options(response_cls.create_stack)
    response_cls.create_change_set = with_request_options(response_cls.create_change_set)
    response_cls.update_stack = with_request_options(response_cls.update_stack)
    response_cls.execute_change_set = execute_change_set_request
    response_cls.list_stack_resources = list_stack_resources
    response_cls.describe_stack_resources = describe_stack_resources


def _summary(stack: Any, resource: Any) -> dict[str, Any]:
    logical = getattr(resource, "logical_resource_id", "")
    state = _statuses(stack).get(logical, {})
    row = {
        "LogicalResourceId": logical,
        "PhysicalResourceId": _physical_id(resource),
        "ResourceType": getattr(resource, "cf_resource_type", "") or state.get("type", ""),
        "ResourceStatus": state.get("status", "CREATE_COMPLETE"),
        "LastUpdatedTimestamp": state.get("time", stack.creation_time),
    }
    if state.get("reason"):
        row["ResourceStatusReason"] = state["reason"]
    return row


def _patch_attributes() -> None:
    """GetAtt attributes and Refs that moto's own models lack (see `attribute_table`)."""

    from .models import attribute_table, ref_table

    for cls, extra in attribute_table().items():
        _add_attributes(cls, extra, UnformattedGetAttTemplateException)
    for cls, ref in ref_table().items():
        cls.physical_resource_id = property(ref)


def _add_attributes(cls: type, extra: dict[str, Callable[[Any], Any]], unformatted: type[Exception]) -> None:
    original_get = cls.__dict__.get("get_cfn_attribute") or getattr(cls, "get_cfn_attribute", None)
    original_has = cls.has_cfn_attr

    def get_cfn_attribute(self: Any, attribute: str) -> Any:
        if attribute in extra:
            return extra[attribute](self)
        if original_get is None:
            raise unformatted()
        return original_get(self, attribute)

    def has_cfn_attr(klass: type, attribute: str) -> bool:
        return attribute in extra or original_has(attribute)

    cls.get_cfn_attribute = get_cfn_attribute
    cls.has_cfn_attr = classmethod(has_cfn_attr)
