"""moto's CloudFormationBackend stack methods and Stack model, running on the engine.

- update_stack with nothing to change raises "No updates are to be performed." (moto accepted);
  UsePreviousValue of a parameter left at its default keeps that value (moto: HTTP 500).
- Termination protection: UpdateTerminationProtection works (moto: HTTP 500) and delete_stack
  refuses a protected stack (moto deleted it).
- DeleteStack's RetainResources keeps the named resources of a DELETE_FAILED stack (moto ignored
  it); on a stack in any other state it is refused, as AWS refuses it.
- DeletionTime and LastUpdatedTime are set.
- ListStackResources / DescribeStackResources list the resources the stack has, and never create
  one: moto's `stack_resources` read every template resource through the resource map, which
  creates a resource that is not there, so listing a ROLLBACK_COMPLETE stack re-created what the
  rollback had deleted (QueueAlreadyExists, RepositoryAlreadyExistsException; issue #12 item 5).

Nested stacks (AWS::CloudFormation::Stack)
------------------------------------------
- `Fn::GetAtt Child.Outputs.X` and `${Child.Outputs.X}` resolve (moto: HTTP 500 / dropped).
- Ref and PhysicalResourceId are the child's stack ARN (moto: its name); ParentId and RootId are
  set; a failing child fails the parent ("Embedded stack <arn> was not successfully created:
  <child's reason>") and is deleted by the parent's rollback.
- A changed TemplateURL or parameter updates the child in place (moto deleted and recreated it).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import models
from moto.cloudformation.exceptions import AlreadyExistsException, UnformattedGetAttTemplateException, ValidationError
from moto.cloudformation.utils import generate_stack_id, get_stack_from_s3_url
from moto.core.utils import utcnow
from moto.utilities.utils import get_partition

from .engine import (
    _REQUEST,
    LOCK,
    ResourceFailure,
    _check_supported,
    _live_stack,
    _output_text,
    check_capabilities,
    run_continue_rollback,
    run_create,
    run_delete,
    run_update,
    stack_event,
)
from .parameters import parameter_strings


def _patch_stack_methods() -> None:

    backend_cls = models.CloudFormationBackend

    def create_stack(
        self: Any,
        name: str,
        template: str,
        parameters: dict[str, Any],
        notification_arns: list[str] | None = None,
        tags: dict[str, str] | None = None,
        role_arn: str | None = None,
        enable_termination_protection: bool | None = False,
        timeout_in_mins: int | None = None,
        stack_policy_body: str | None = None,
        disable_rollback: bool | None = None,
        parent: Any = None,
    ) -> Any:
        if disable_rollback is None:  # from the CreateStack request (moto's handler drops it)
            disable_rollback = getattr(_REQUEST, "disable_rollback", False)
        with LOCK:
            if _live_stack(self, name) is not None:
                raise AlreadyExistsException(f"Stack [{name}] already exists")
            parsed = models.Stack.parse_template(template) if isinstance(template, str) else template
            _check_supported(parsed)
            check_capabilities(parsed, getattr(_REQUEST, "capabilities", None))
            stack = models.Stack(
                stack_id=generate_stack_id(name, self.region_name, self.account_id),
                name=name,
                template=template,
                parameters=parameters,
                account_id=self.account_id,
                region_name=self.region_name,
                notification_arns=notification_arns,
                tags=tags,
                role_arn=role_arn,
                cross_stack_resources=self.exports,
                enable_termination_protection=enable_termination_protection,
                timeout_in_mins=timeout_in_mins,
                stack_policy_body=stack_policy_body,
            )
            stack.disable_rollback = bool(disable_rollback)
            if parent is not None:
                stack.parent_id = parent.stack_id
                stack.root_id = getattr(parent, "root_id", None) or parent.stack_id
            self.stacks[stack.stack_id] = stack
            run_create(self, stack)
            return stack

    def update_stack(
        self: Any,
        name: str,
        template: str,
        role_arn: str | None,
        parameters: list[dict[str, Any]],
        tags: dict[str, str] | None,
    ) -> Any:
        with LOCK:
            stack = self.get_stack(name)
            if stack.status.endswith("_IN_PROGRESS") or stack.status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED"):
                raise ValidationError(
                    message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
                )
            check_capabilities(stack.parse_template(template), getattr(_REQUEST, "capabilities", None))
            previous = parameter_strings(stack)  # UsePreviousValue of a defaulted parameter: its value (moto: KeyError)
            resolved = {
                p["ParameterKey"]: (
                    previous.get(p["ParameterKey"], "") if p.get("UsePreviousValue") else p["ParameterValue"]
                )
                for p in parameters
                if p.get("UsePreviousValue") or "ParameterValue" in p
            }
            same_template = stack.parse_template(template) == stack.template_dict
            if same_template and resolved == dict(stack.parameters or {}) and (tags is None or tags == stack.tags):
                raise ValidationError(message="No updates are to be performed.")
            if role_arn:
                stack.role_arn = role_arn
            if tags is not None:
                stack.tags = tags
            run_update(self, stack, template, resolved)
            return stack

    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        with LOCK:
            stack = _live_stack(self, name_or_stack_id)
            if stack is None:
                return  # as AWS: deleting a stack that does not exist is not an error
            if stack.enable_termination_protection:
                raise ValidationError(
                    message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
                )
            retain = list(getattr(_REQUEST, "retain", None) or [])
            if retain and stack.status != "DELETE_FAILED":
                raise ValidationError(
                    message=f"Invalid operation on stack [{stack.stack_id}]: RetainResources can only be "
                    "specified when the stack is in the DELETE_FAILED state"
                )
            if stack.status == "REVIEW_IN_PROGRESS":  # nothing was created
                stack_event(stack, "DELETE_COMPLETE")
            elif not run_delete(self, stack, retain):
                return
            stack.deletion_time = utcnow()
            del self.stacks[stack.stack_id]
            self.deleted_stacks[stack.stack_id] = stack
            for export_name in [n for n, e in self.exports.items() if e.exporting_stack_id == stack.stack_id]:
                del self.exports[export_name]
            for cs_id in [i for i, cs in self.change_sets.items() if cs.stack_id == stack.stack_id]:
                del self.change_sets[cs_id]

    def continue_update_rollback(self: Any, name_or_stack_id: str, skip: list[str]) -> None:
        """As AWS: only for a stack in UPDATE_ROLLBACK_FAILED (moto: HTTP 500, not implemented)."""
        with LOCK:
            stack = _live_stack(self, name_or_stack_id)
            if stack is None:
                raise ValidationError(name_or_stack_id)
            if stack.status != "UPDATE_ROLLBACK_FAILED":
                raise ValidationError(
                    message=f"Stack {stack.stack_id} is in {stack.status} state and can not continue an update rollback."
                )
            unknown = [n for n in skip if n not in (stack.template_dict or {}).get("Resources", {})]
            if unknown:
                raise ValidationError(message=f"ResourcesToSkip: no such resources in the stack: {', '.join(unknown)}")
            run_continue_rollback(self, stack, frozenset(skip))

    def update_termination_protection(self: Any, name_or_stack_id: str, enable: bool) -> Any:
        with LOCK:
            stack = _live_stack(self, name_or_stack_id)
            if stack is None:
                raise ValidationError(name_or_stack_id)
            stack.enable_termination_protection = bool(enable)
            return stack

    backend_cls.create_stack = create_stack
    backend_cls.update_stack = update_stack
    backend_cls.delete_stack = delete_stack
    backend_cls.update_termination_protection = update_termination_protection
    backend_cls.continue_update_rollback = continue_update_rollback


def _patch_stack_model() -> None:

    stack_cls = models.Stack

    def outputs(self: Any) -> list[dict[str, Any]] | None:
        return getattr(self, "_hana_outputs", None) or None

    def parameter_list(self: Any) -> list[dict[str, Any]]:
        declared = (self.template_dict or {}).get("Parameters") or {}
        return [
            {"ParameterKey": k, "ParameterValue": "****" if (declared.get(k) or {}).get("NoEcho") else v}
            for k, v in parameter_strings(self).items()
        ]

    def stack_parameters(self: Any) -> dict[str, str]:
        return parameter_strings(self)

    def physical_resource_id(self: Any) -> str:
        return self.stack_id

    def stack_resources(self: Any) -> list[Any]:
        rm = self.resource_map
        parsed = rm._parsed_resources
        return [parsed[n] for n in rm.resources if parsed.get(n) is not None]

    def get_cfn_attribute(self: Any, attribute: str) -> Any:
        if attribute.startswith("Outputs."):
            key = attribute.split(".", 1)[1]
            for output in self.outputs or []:
                if output["OutputKey"] == key:
                    return output["OutputValue"]
            raise ValidationError(message=f"Template error: stack {self.name} has no output {key}")
        raise UnformattedGetAttTemplateException()

    def _child(cloudformation_json: dict[str, Any], account_id: str, region_name: str) -> tuple[str, dict[str, Any]]:
        properties = cloudformation_json["Properties"]
        body = get_stack_from_s3_url(
            properties["TemplateURL"], account_id=account_id, partition=get_partition(region_name)
        )
        parameters = {k: _output_text(v) for k, v in (properties.get("Parameters") or {}).items()}
        return body, parameters

    def create_from_cloudformation_json(
        cls: Any,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        backend = models.cloudformation_backends[account_id][region_name]
        body, parameters = _child(cloudformation_json, account_id, region_name)
        parent = _live_stack(backend, kwargs.get("StackId", "")) if kwargs.get("StackId") else None
        child = backend.create_stack(name=resource_name, template=body, parameters=parameters, parent=parent)
        if child.status != "CREATE_COMPLETE":
            reason = f"Embedded stack {child.stack_id} was not successfully created: {child.status_reason}"
            backend.delete_stack(child.stack_id)  # the parent's rollback removes the failed child
            # The CREATE_FAILED event names the child by its ARN (PhysicalResourceId), as AWS's does.
            raise ResourceFailure(kwargs.get("LogicalId", resource_name), reason, child.stack_id)
        return child

    def update_from_cloudformation_json(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        backend = models.cloudformation_backends[account_id][region_name]
        body, parameters = _child(cloudformation_json, account_id, region_name)
        child = original_resource
        if child.parse_template(body) == child.template_dict and parameters == dict(child.parameters or {}):
            return child
        run_update(backend, child, body, parameters)
        if child.status != "UPDATE_COMPLETE":
            raise ResourceFailure(
                child.name, f"Embedded stack {child.stack_id} was not successfully updated: {child.status_reason}"
            )
        return child

    stack_cls.outputs = property(outputs)
    stack_cls.parameter_list = property(parameter_list)
    stack_cls.stack_parameters = property(stack_parameters)
    stack_cls.physical_resource_id = property(physical_resource_id)
    stack_cls.stack_resources = property(stack_resources)
    stack_cls.get_cfn_attribute = get_cfn_attribute
    stack_cls.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    stack_cls.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)
    stack_cls.status_reason = None
    stack_cls.parent_id = None
    stack_cls.root_id = None
