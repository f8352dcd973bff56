"""Everything hana-infra changes in moto 5.2.5 to make it a faithful CloudFormation stand-in.

moto is pinned exactly (pyproject): these patches replace or wrap moto-private functions, and
tests/emulator/ covers each one, so an upgrade that moves them fails the build loudly.
`apply()` installs all of them once per process; `hana_emulator.start()` calls it. The new
resource models and the fixes to moto's own models live in models/ (summarised below).

Stack engine (replaces moto's create/execute/update/delete; moto never failed or rolled back)
---------------------------------------------------------------------------------------------
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
- DeletionPolicy Snapshot takes the final snapshot (RDS instance, ElastiCache replication group)
  before deleting (moto just deleted).
- Outputs and Exports for stacks created or updated through change sets (moto: none), and a
  CREATE change set sees existing exports. Outputs are evaluated once, when the operation
  completes (moto re-evaluated them on every describe_stacks, so one bad output made
  describe_stacks fail for every stack). ExportName is matched by output, not by value.
- Parameters: a Number (List<Number>, CommaDelimitedList) parameter left at its Default is
  typed like a passed one (moto kept the string; ECS then failed with a TypeError). In
  describe_stacks values are reported as passed (moto: a Python list repr) and NoEcho as ****.
- Change sets and updates: a resource is Modify when its definition changes or when a parameter
  it uses changes value, through Ref, a `${P}` variable of Fn::Sub (string or list form), a value
  of Fn::Sub's map, a condition (Fn::If) or a mapping; defaults count (moto compared `Ref`s only,
  and the passed values with the old ones, so a parameter used inside Fn::Sub, such as compute's
  ImageTag, changed nothing, and a default passed again looked like a change). A resource
  referring to one that is (or may be) replaced is Modify too, Evaluation Dynamic; the execution
  updates it when a Ref or attribute it reads did change (an ECS service follows its task
  definition's new revision). Parameters are validated at CreateChangeSet (missing or unknown
  ones); every Modify carries Replacement and per-property Details (ChangeSource and
  CausingEntity; RequiresRecreation from the createOnlyProperties of the resource
  schemas cfn-lint ships); lookups by name are scoped to the StackName given (moto matched any
  stack's change set of that name, which breaks parallel deploys using one name); executing one
  that is not AVAILABLE raises InvalidChangeSetStatus; after an execution the stack's change sets
  are no longer listed; CREATE for a live stack's name raises AlreadyExistsException (a stack in
  REVIEW_IN_PROGRESS may get another); UPDATE of a stack in ROLLBACK_COMPLETE,
  REVIEW_IN_PROGRESS or a *_IN_PROGRESS state raises ValidationError, as AWS does.
- update_stack with nothing to change raises "No updates are to be performed." (moto accepted).
- Termination protection: UpdateTerminationProtection works (moto: HTTP 500) and delete_stack
  refuses a protected stack (moto deleted it).
- list_stack_resources / describe_stack_resources report each resource's own status, reason
  and time (moto: the stack's status, a fixed date, and blank rows for skipped resources).
- DeletionTime and LastUpdatedTime are set.
- A template with a resource type the emulator does not model is refused at CreateStack /
  CreateChangeSet ("Unrecognized resource types: [...]") instead of silently skipped.

Nested stacks (AWS::CloudFormation::Stack)
------------------------------------------
- `Fn::GetAtt Child.Outputs.X` and `${Child.Outputs.X}` resolve (moto: HTTP 500 / dropped).
- Ref and PhysicalResourceId are the child's stack ARN (moto: its name); ParentId and RootId are
  set; a failing child fails the parent ("Embedded stack <arn> was not successfully created:
  <child's reason>") and is deleted by the parent's rollback.
- A changed TemplateURL or parameter updates the child in place (moto deleted and recreated it).

Template language
-----------------
- Fn::GetAZs answers the region's zones (also for `{Ref: AWS::Region}`, where moto produced junk),
  Fn::Cidr and Fn::Length are evaluated (moto: HTTP 500 / returned unevaluated).
- Dynamic references `{{resolve:secretsmanager:<name-or-arn>:SecretString:<json-key>:<stage>:
  <version>}}`, `{{resolve:ssm:<name>[:<version>]}}` and `{{resolve:ssm-secure:...}}` resolve
  from moto's Secrets Manager and SSM anywhere in a property (moto passed them through as text);
  a missing secret or JSON key fails the resource, as in AWS.

Resource types moto skipped, now created in the real service backends (models/)
------------------------------------------------------------------------------------
SecretsManager::Secret (GenerateSecretString, template + key) and SecretTargetAttachment (adds
engine/host/port/dbInstanceIdentifier); ElastiCache::ReplicationGroup (GetAtt PrimaryEndPoint.*,
ReaderEndPoint.*, ReadEndPoint.*) and SubnetGroup; ApplicationAutoScaling::ScalableTarget and
ScalingPolicy; WAFv2::WebACL (Arn, Id, Capacity; over 1,500 WCU refused), WebACLAssociation (the
load balancer must exist) and LoggingConfiguration (log group must be named aws-waf-logs-*);
CloudWatch::Alarm (single metric and metric math); SNS::Subscription and TopicPolicy;
S3::BucketPolicy; SQS::QueuePolicy; EC2::SecurityGroupEgress;
ECS::ClusterCapacityProviderAssociations; CertificateManager::Certificate;
ElasticLoadBalancingV2::ListenerCertificate; Logs::MetricFilter. Kept on the service backend but
not visible through an API (moto has none): ElastiCache::ParameterGroup, Logs::QueryDefinition.
EC2::SubnetRouteTableAssociation is replaced (moto's was invisible to describe_route_tables and
could not be deleted).

moto's own models, fixed (models/)
----------------------------------------
- GetAtt attributes and Refs they lacked (`attribute_table`, `ref_table`): Subnet
  AvailabilityZone/VpcId/CidrBlock/SubnetId, VPC attributes, SecurityGroup GroupId/VpcId,
  LoadBalancer LoadBalancerFullName/CanonicalHostedZoneID/LoadBalancerArn, TargetGroup
  TargetGroupFullName/Arn/Name, Listener/Rule ARNs, Queue QueueUrl, Topic TopicArn, ECS ServiceArn,
  RDS DBInstanceArn/DbiResourceId, KMS KeyId, ...; Ref of DBSubnetGroup, DBParameterGroup and
  SecurityGroupIngress (moto: '' or an object repr, which crashed DBInstance with HTTP 500).
- Deletes that were silent no-ops in moto: EIP, FlowLog, InternetGateway, NatGateway, Route,
  RouteTable, SecurityGroupIngress, VPCEndpoint, VPCGatewayAttachment, ECS Cluster, Service and
  TaskDefinition, ELBv2 Listener, ListenerRule and TargetGroup (their resources outlived the
  stack, and the VPC could never be deleted).
- SecurityGroup: inline ingress/egress applied with descriptions (moto passed CidrIp as a bare
  string and never applied egress); explicit egress replaces the default allow-all rule.
- RDS DBInstance: DBSubnetGroupName as a name, the engine's default port (moto: 3306 for all),
  DeletionProtection, log exports, monitoring and MaxAllocatedStorage kept, in-place updates;
  DBParameterGroup: DBParameterGroupName honoured, parameter changes applied.
- S3 Bucket: VersioningConfiguration, PublicAccessBlockConfiguration, OwnershipControls,
  LoggingConfiguration and LifecycleConfiguration applied (moto dropped them). ECR Repository:
  ImageScanningConfiguration and LifecyclePolicy applied. ECS TaskDefinition: an update registers
  a complete new revision (moto's lost the containers' `image`). KMS Key: CloudFormation's Tags shape
  (moto failed with KeyError), policy stored as JSON, in-place updates. LogGroup: RetentionInDays
  updates. ElastiCache: NumCacheClusters honoured (moto made one node).

What moto still ignores (accepted, not applied or not reported: assert on the templates, not on
the emulator)
-------------
- Updates of types moto cannot update (EC2 VPC, Subnet, gateways, routes, endpoints, flow logs,
  SecurityGroupIngress; ELBv2 LoadBalancer and TargetGroup; RDS DBSubnetGroup) are reported
  UPDATE_COMPLETE and leave the resource as created. Tags of existing resources are not updated.
- EC2: VPC EnableDnsHostnames/EnableDnsSupport, Subnet MapPublicIpOnLaunch, flow log format.
  RDS and ElastiCache create no network interfaces, so a subnet or security group "in use" by
  them can be deleted (AWS would refuse).
- ECS: TaskDefinition task-level Cpu/Memory, NetworkMode awsvpc, RequiresCompatibilities,
  RuntimePlatform, ExecutionRoleArn; Service LaunchType (FARGATE reads EC2), LoadBalancers,
  NetworkConfiguration, DeploymentConfiguration (circuit breaker), HealthCheckGracePeriodSeconds,
  EnableExecuteCommand, PropagateTags; Cluster containerInsights reads "disabled". No task runs.
- RDS: ManageMasterUserPassword, Performance Insights retention, parameter values not checked.
- ElastiCache (ours): no real nodes; the auth token is stored as "enabled" and never checked.
- ELBv2: LoadBalancerAttributes (invalid headers, idle timeout, access logs, deletion
  protection) and TargetGroupAttributes (stickiness) are accepted and not applied.
- S3: IntelligentTieringConfigurations, NotificationConfiguration. Secrets: KMS not applied.
- WAFv2 (ours): rules stored as given, nothing filtered; Capacity counts only the AWS managed
  rule groups it knows and rate-based rules. CloudWatch alarms never change state. SNS email
  subscriptions stay pending; nothing is sent.
- No policy is enforced: IAM, key, bucket, queue, topic and secret policies (TLS-only denies,
  least privilege) are stored, never evaluated. No IAM capability check (CAPABILITY_NAMED_IAM).
- Deleted secrets are removed at once (no recovery window), so a stack can be re-created.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.cloudformation import models, parsing, responses
from moto.cloudformation.exceptions import (
    AlreadyExistsException,
    CloudFormationError,
    MissingParameterError,
    UnformattedGetAttTemplateException,
    ValidationError,
)
from moto.cloudformation.utils import generate_stack_id, get_stack_from_s3_url
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.ec2 import models as ec2_models
from moto.ec2.models.core import TaggedEC2Resource
from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import ssm_backends
from moto.utilities.utils import get_partition

_APPLIED = False
LOG = logging.getLogger("hana_emulator")
# moto's backends are plain dicts; the deployer runs stacks in parallel. One lock makes every
# stack operation atomic (they take milliseconds on moto, so nothing is lost).
LOCK = threading.RLock()

FAILED_CREATE = "The following resource(s) failed to create: [{}]. Rollback requested by user."
FAILED_UPDATE = "The following resource(s) failed to update: [{}]. "
FAILED_DELETE = "The following resource(s) failed to delete: [{}]. "
RETAIN_POLICIES = ("Retain", "RetainExceptOnCreate")


def apply() -> None:
    """Install every patch (idempotent)."""
    global _APPLIED
    with LOCK:
        if _APPLIED:
            return
        from . import models as cfn_models

        _patch_model_registry(cfn_models.MODELS)
        _patch_backend()
        _patch_stack_model()
        _patch_parameters()
        _patch_change_set()
        _patch_responses()
        _patch_dynamic_references()
        _patch_attributes()
        cfn_models.patch_moto_models()
        _APPLIED = True


# --------------------------------------------------------------------------- model registry


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


# --------------------------------------------------------------------------- dependency order

_SUB_VAR = re.compile(r"\$\{([^!}][^}]*)\}")


def reference_targets(node: Any) -> set[tuple[str, str | None]]:
    """What a template fragment refers to, as (logical name, attribute): Ref X and `${X}` give
    (X, None), Fn::GetAtt X.A and `${X.A}` give (X, "A"). A Fn::Sub variable defined in its own
    map is not a reference (the map's values are walked like any other fragment)."""
    found: set[tuple[str, str | None]] = set()

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            for key, value in n.items():
                if key == "Ref" and isinstance(value, str):
                    found.add((value, None))
                elif key == "Fn::GetAtt":
                    if isinstance(value, list) and value and isinstance(value[0], str):
                        found.add((value[0], str(value[1]) if len(value) > 1 else None))
                    elif isinstance(value, str):
                        name, _, attribute = value.partition(".")
                        found.add((name, attribute or None))
                elif key == "Fn::Sub":
                    text = value[0] if isinstance(value, list) and value else value
                    local = value[1] if isinstance(value, list) and len(value) > 1 else {}
                    if isinstance(text, str):
                        for variable in _SUB_VAR.findall(text):
                            name, _, attribute = variable.partition(".")
                            if not (isinstance(local, dict) and name in local):
                                found.add((name, attribute or None))
                walk(value)
        elif isinstance(n, list):
            for item in n:
                walk(item)

    walk(node)
    return found


def references(node: Any) -> set[str]:
    """Logical names a template fragment refers to (Ref, Fn::GetAtt, Fn::Sub variables)."""
    return {name for name, _ in reference_targets(node)}


def conditions_used(node: Any) -> set[str]:
    """Condition names a fragment evaluates (Fn::If, and {Condition: X} inside condition bodies)."""
    found: set[str] = set()

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            for key, value in n.items():
                if key == "Fn::If" and isinstance(value, list) and value and isinstance(value[0], str):
                    found.add(value[0])
                elif key == "Condition" and isinstance(value, str):
                    found.add(value)
                walk(value)
        elif isinstance(n, list):
            for item in n:
                walk(item)

    walk(node)
    return found


def dependency_order(template: dict[str, Any]) -> list[str]:
    """Resources in an order where each comes after everything it refers to; ties keep
    template order. A cycle is a ValidationError, as in CloudFormation."""

    resources: dict[str, Any] = template.get("Resources") or {}
    names = list(resources)
    deps: dict[str, set[str]] = {}
    for name, body in resources.items():
        body = body or {}
        needs = references({k: v for k, v in body.items() if k != "DependsOn"})
        depends_on = body.get("DependsOn") or []
        needs.update([depends_on] if isinstance(depends_on, str) else depends_on)
        deps[name] = {d for d in needs if d in resources and d != name}
    done: list[str] = []
    placed: set[str] = set()
    while len(done) < len(names):
        ready = [n for n in names if n not in placed and deps[n] <= placed]
        if not ready:
            stuck = sorted(n for n in names if n not in placed)
            raise ValidationError(message=f"Circular dependency between resources: [{', '.join(stuck)}]")
        done.append(ready[0])
        placed.add(ready[0])
    return done


# --------------------------------------------------------------------------- events and status


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

    def __init__(self, logical: str, reason: str):
        super().__init__(f"{logical}: {reason}")
        self.logical = logical
        self.reason = reason


# --------------------------------------------------------------------------- the engine


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
        resource_event(stack, logical, rtype, "CREATE_FAILED", reason=reason)
        raise ResourceFailure(logical, reason) from err
    resource_event(stack, logical, rtype, "CREATE_COMPLETE", physical=_physical_id(instance))
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
    if policy in RETAIN_POLICIES:
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
        leftovers = _delete_many(stack, bodies, [n for n in reversed(created) if n in rm._parsed_resources])
        stack._hana_outputs = None
        if leftovers:
            stack_event(stack, "ROLLBACK_FAILED", FAILED_DELETE.format(", ".join(leftovers)))
        else:
            stack_event(stack, "ROLLBACK_COMPLETE")
        return
    stack.status_reason = None
    stack_event(stack, "CREATE_COMPLETE")


def _apply_template(backend: Any, stack: Any, template: str, parameters: dict[str, Any]) -> None:
    """Move `stack` to `template` + `parameters`: add, then modify (dependency order), then
    remove (reverse order, in the cleanup phase). ResourceFailure on the first failure."""

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
        if logical not in plan.static and not _reads_moved(body, moved):
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
    stack_event(stack, "UPDATE_IN_PROGRESS", "User Initiated")
    try:
        _apply_template(backend, stack, template, parameters)
    except ResourceFailure as failure:
        reason = FAILED_UPDATE.format(failure.logical)
        stack.status_reason = reason
        stack_event(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
        try:
            _apply_template(backend, stack, old_template, old_parameters)
        except ResourceFailure as again:
            stack_event(stack, "UPDATE_ROLLBACK_FAILED", f"{again.logical}: {again.reason}")
            return
        stack_event(stack, "UPDATE_ROLLBACK_COMPLETE")
        return
    stack.status_reason = None
    stack_event(stack, "UPDATE_COMPLETE")


def run_delete(backend: Any, stack: Any) -> bool:
    """Delete every resource of `stack` in reverse dependency order. True when it is gone."""
    bodies = _resources_json(stack)
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


# --------------------------------------------------------------------------- backend methods


def _live_stack(backend: Any, name_or_id: str) -> Any | None:
    stack = backend.stacks.get(name_or_id)
    if stack is not None:
        return stack
    return next((s for s in backend.stacks.values() if s.name == name_or_id), None)


def _patch_backend() -> None:

    backend_cls = models.CloudFormationBackend
    original_create_change_set = backend_cls.create_change_set

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
            resolved = self._resolve_update_parameters(instance=stack, incoming_params=parameters)
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
            if stack.status == "REVIEW_IN_PROGRESS":  # nothing was created
                stack_event(stack, "DELETE_COMPLETE")
            elif not run_delete(self, stack):
                return
            stack.deletion_time = utcnow()
            del self.stacks[stack.stack_id]
            self.deleted_stacks[stack.stack_id] = stack
            for export_name in [n for n, e in self.exports.items() if e.exporting_stack_id == stack.stack_id]:
                del self.exports[export_name]
            for cs_id in [i for i, cs in self.change_sets.items() if cs.stack_id == stack.stack_id]:
                del self.change_sets[cs_id]

    def update_termination_protection(self: Any, name_or_stack_id: str, enable: bool) -> Any:
        with LOCK:
            stack = _live_stack(self, name_or_stack_id)
            if stack is None:
                raise ValidationError(name_or_stack_id)
            stack.enable_termination_protection = bool(enable)
            return stack

    def list_change_sets(self: Any, stack_name: str | None = None) -> Iterable[Any]:
        return [
            cs
            for cs in self.change_sets.values()
            if (not stack_name or stack_name in (cs.stack_name, cs.stack_id))
            and not getattr(cs, "hana_executed", False)
        ]

    backend_cls.create_stack = create_stack
    backend_cls.create_change_set = create_change_set
    backend_cls.describe_change_set = describe_change_set
    backend_cls.delete_change_set = delete_change_set
    backend_cls.execute_change_set = execute_change_set
    backend_cls.update_stack = update_stack
    backend_cls.delete_stack = delete_stack
    backend_cls.update_termination_protection = update_termination_protection
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


# --------------------------------------------------------------------------- Stack model


def parameter_strings(stack: Any) -> dict[str, str]:
    """Parameter values as CloudFormation reports them: as passed, defaults filled in."""
    return parameter_values(stack.template_dict or {}, stack.parameters or {})


def parameter_values(template: dict[str, Any], given: dict[str, Any]) -> dict[str, str]:
    """The value of every parameter `template` declares, from `given` or its Default, as text."""
    declared = template.get("Parameters") or {}
    values: dict[str, str] = {}
    for name, slot in declared.items():
        value = given.get(name, (slot or {}).get("Default"))
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        values[name] = "" if value is None else str(value)
    return values


def _number(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return int(value)
    except ValueError:
        return float(value)


def _patch_parameters() -> None:
    """A Number parameter left at its Default is a number too (moto converted only the values
    passed in, so `DesiredCount: {Ref: Count}` with the default crashed ECS with a TypeError)."""
    original = parsing.ResourceMap.load_parameters

    def load_parameters(self: Any) -> None:
        original(self)
        for name, slot in (self._template.get("Parameters") or {}).items():
            kind = (slot or {}).get("Type", "String")
            value = self.resolved_parameters.get(name)
            if kind == "Number":
                value = _number(value)
            elif kind == "List<Number>" and isinstance(value, str):
                value = [_number(v) for v in value.split(",")]
            elif kind == "CommaDelimitedList" and isinstance(value, str):
                value = value.split(",")
            self.resolved_parameters[name] = value
            self._parsed_resources[name] = value

    parsing.ResourceMap.load_parameters = load_parameters


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
            raise ResourceFailure(kwargs.get("LogicalId", resource_name), reason)
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
    stack_cls.get_cfn_attribute = get_cfn_attribute
    stack_cls.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    stack_cls.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)
    stack_cls.status_reason = None
    stack_cls.parent_id = None
    stack_cls.root_id = None


# --------------------------------------------------------------------------- change sets


@dataclasses.dataclass
class UpdatePlan:
    """What moving a stack to a new template and parameters does to its resources."""

    add: list[str]
    modify: list[str]  # template order
    remove: list[str]
    # Modified for certain (template, a parameter, condition or mapping they use); the others in
    # `modify` only refer to a resource that may be replaced: updated if what they read changes.
    static: set[str]
    changes: dict[str, tuple[str, list[dict[str, Any]]]]  # Modify: (Replacement, Details)


def plan_update(rm: Any, new_template: dict[str, Any], parameters: dict[str, Any] | None) -> UpdatePlan:
    """The change set of moving `rm`'s stack to `new_template` + `parameters`, as CloudFormation
    computes it: a resource is modified when its definition changes or when a parameter it uses
    changes value (through Ref, a `${P}` variable of Fn::Sub or a value of its map, a condition or
    a mapping), and, dynamically, when it refers to a resource that is (or may be) replaced.
    moto compared definitions and `Ref`s only, so a parameter used inside Fn::Sub changed nothing."""

    old = rm._resource_json_map or {}
    new = new_template.get("Resources") or {}
    old_template = rm._template or {}
    old_values = parameter_values(old_template, rm.input_parameters or {})
    new_values = parameter_values(new_template, parameters or {})
    changed: set[tuple[str, str]] = {
        ("Ref", k) for k in set(old_values) | set(new_values) if old_values.get(k) != new_values.get(k)
    }
    for section, kind in (("Conditions", "Condition"), ("Mappings", "Mapping")):
        before, after = old_template.get(section) or {}, new_template.get(section) or {}
        changed |= {(kind, k) for k in set(before) | set(after) if before.get(k) != after.get(k)}
    conditions = new_template.get("Conditions") or {}
    static: set[str] = set()
    replaced: set[str] = set()
    changes: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for logical in dependency_order(new_template) if old else []:
        if logical not in old:
            continue
        body = new[logical] or {}
        replacement, details = change_details(
            body.get("Type", ""), old[logical] or {}, body, changed, conditions, replaced
        )
        is_static = body != old[logical] or any(d["Evaluation"] == "Static" for d in details)
        if not is_static and not details:
            continue
        if is_static:
            static.add(logical)
        changes[logical] = (replacement, details)
        if replacement in ("True", "Conditional"):
            replaced.add(logical)
    return UpdatePlan(
        add=[n for n in new if n not in old],
        modify=[n for n in new if n in changes],
        remove=[n for n in old if n not in new],
        static=static,
        changes=changes,
    )


def _inputs(node: Any, conditions: dict[str, Any]) -> set[tuple[str, str]]:
    """What a fragment's value depends on besides resources: ("Ref", parameter or resource),
    ("Condition", name) for every condition it evaluates (and theirs, with their Refs), and
    ("Mapping", name)."""
    found = {("Ref", name) for name in references(node)} | {("Mapping", m) for m in _mappings_used(node)}
    todo = list(conditions_used(node))
    while todo:
        name = todo.pop()
        if ("Condition", name) in found:
            continue
        found.add(("Condition", name))
        body = conditions.get(name)
        found |= {("Ref", ref) for ref in references(body)} | {("Mapping", m) for m in _mappings_used(body)}
        todo.extend(conditions_used(body))
    return found


def _mappings_used(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = set().union(*(_mappings_used(v) for v in node.values())) if node else set()
        value = node.get("Fn::FindInMap")
        if isinstance(value, list) and value and isinstance(value[0], str):
            found.add(value[0])
        return found
    if isinstance(node, list):
        return set().union(*(_mappings_used(v) for v in node)) if node else set()
    return set()


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


def change_details(
    rtype: str,
    old: dict[str, Any],
    new: dict[str, Any],
    changed: set[tuple[str, str]],
    conditions: dict[str, Any] | None = None,
    replaced: set[str] | frozenset[str] = frozenset(),
) -> tuple[str, list[dict[str, Any]]]:
    """Replacement ('True' / 'False' / 'Conditional') and the per-property Details of a Modify, as
    CloudFormation reports them. `changed`: the inputs whose value changes, as `_inputs` names them
    (("Ref", parameter), ("Condition", name), ("Mapping", name)); `replaced`: resources this update
    replaces or may replace, whose Ref and attributes the properties referring to them read again
    (Evaluation Dynamic). Create-only properties come from the resource schemas cfn-lint ships (the
    CloudFormation registry's); a type without a schema is 'Conditional'."""
    old_props, new_props = old.get("Properties") or {}, new.get("Properties") or {}
    create_only = _create_only_properties(rtype)
    details: list[dict[str, Any]] = []

    def detail(name: str, evaluation: str, source: str, causing: str | None = None) -> None:
        recreation = "Conditionally" if create_only is None else ("Always" if name in create_only else "Never")
        row: dict[str, Any] = {
            "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": recreation},
            "Evaluation": evaluation,
            "ChangeSource": source,
        }
        if causing:
            row["CausingEntity"] = causing
        details.append(row)

    for name in sorted(set(old_props) | set(new_props)):
        value = new_props.get(name)
        if old_props.get(name) != value:
            detail(name, "Static", "DirectModification")
            continue
        inputs = _inputs(value, conditions or {}) & changed
        parameters = sorted(n for kind, n in inputs if kind == "Ref")
        for parameter in parameters:
            detail(name, "Static", "ParameterReference", parameter)
        if inputs and not parameters:  # a condition or mapping whose definition changed
            detail(name, "Static", "DirectModification")
        for target, attribute in sorted(reference_targets(value), key=lambda t: (t[0], t[1] or "")):
            if target in replaced:
                if attribute is None:
                    detail(name, "Dynamic", "ResourceReference", target)
                else:
                    detail(name, "Dynamic", "ResourceAttribute", f"{target}.{attribute}")
    impact = "False"
    for d in details:
        recreation = d["Target"]["RequiresRecreation"]
        if recreation == "Always" and d["Evaluation"] == "Static":
            return "True", details
        if recreation != "Never":
            impact = "Conditional"
    return impact, details


_CREATE_ONLY: dict[str, frozenset[str] | None] = {}


def _create_only_properties(rtype: str) -> frozenset[str] | None:
    if rtype not in _CREATE_ONLY:
        try:
            from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

            schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", rtype).schema
            paths = schema.get("createOnlyProperties") or []
            _CREATE_ONLY[rtype] = frozenset(p.split("/")[2] for p in paths if p.startswith("/properties/"))
        except Exception:
            _CREATE_ONLY[rtype] = None
    return _CREATE_ONLY[rtype]


# --------------------------------------------------------------------------- responses


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

    def with_request_options(handler: Any) -> Any:
        """moto's handlers drop Capabilities, DisableRollback and OnFailure: hand them to the
        backend through a thread-local for the duration of the request."""

        def wrapped(self: Any) -> Any:
            _REQUEST.capabilities = self._get_param("Capabilities", []) or []
            on_failure = self._get_param("OnFailure")
            _REQUEST.disable_rollback = self._get_bool_param("DisableRollback", False) or on_failure == "DO_NOTHING"
            try:
                return handler(self)
            finally:
                _REQUEST.capabilities = None
                _REQUEST.disable_rollback = False

        return wrapped

    original_execute = execute_change_set

    def execute_change_set_request(self: Any) -> Any:
        try:
            return original_execute(self)
        finally:
            _REQUEST.capabilities = None

    def list_stack_resources(self: Any) -> Any:
        stack, resources = self.cloudformation_backend.list_stack_resources(self._get_param("StackName"))
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

    response_cls.describe_change_set = describe_change_set
    response_cls.delete_change_set = delete_change_set
    response_cls.list_change_sets = list_change_sets
    response_cls.update_termination_protection = update_termination_protection
    response_cls.create_stack = with_request_options(response_cls.create_stack)
    response_cls.create_change_set = with_request_options(response_cls.create_change_set)
    response_cls.update_stack = with_request_options(response_cls.update_stack)
    response_cls.execute_change_set = execute_change_set_request
    response_cls.list_stack_resources = list_stack_resources
    response_cls.describe_stack_resources = describe_stack_resources


_REQUEST = threading.local()


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


# --------------------------------------------------------------------------- dynamic references

_DYNAMIC = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure|ssm):([^}]+)\}\}")


def resolve_dynamic_references(text: str, account_id: str, region_name: str) -> str:
    """Replace every `{{resolve:...}}` in `text` with its value from moto's backends."""

    def one(match: re.Match[str]) -> str:
        service, key = match.group(1), match.group(2)
        if service == "secretsmanager":
            return _secret_value(key, account_id, region_name)
        return _ssm_value(key, account_id, region_name)

    return _DYNAMIC.sub(one, text)


def _secret_value(key: str, account_id: str, region_name: str) -> str:

    parts = key.split(":")
    if parts[0] == "arn":
        secret_id, rest = ":".join(parts[:7]), parts[7:]
    else:
        secret_id, rest = parts[0], parts[1:]
    rest += [""] * (4 - len(rest))
    _, json_key, stage, version = rest[:4]
    backend = secretsmanager_backends[account_id][region_name]
    value = backend.get_secret_value(secret_id=secret_id, version_id=version or None, version_stage=stage or None)
    text = value.get("SecretString") if isinstance(value, dict) else getattr(value, "secret_string", None)
    if text is None:
        raise ResolveError(f"secret {secret_id} has no SecretString")
    if not json_key:
        return text
    try:
        document = json.loads(text)
    except ValueError:
        raise ResolveError(f"secret {secret_id} is not JSON; cannot read key {json_key}") from None
    if json_key not in document:
        raise ResolveError(f"Could not find SecretString key {json_key} in secret {secret_id}")
    return str(document[json_key])


def _ssm_value(key: str, account_id: str, region_name: str) -> str:

    name, _, version = key.partition(":")
    backend = ssm_backends[account_id][region_name]
    parameter = backend.get_parameter(f"{name}:{version}" if version else name)
    if parameter is None:
        raise ResolveError(f"SSM parameter {name} not found")
    return parameter.value


class ResolveError(Exception):
    """A dynamic reference that cannot be resolved (fails the resource, as in AWS)."""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _get_azs(args: list[Any], resources_map: Any) -> list[str]:
    """Fn::GetAZs: the region's zones from moto's EC2 (moto: a fixed a-d list, and junk such as
    "{'Ref': 'AWS::Region'}a" for `!GetAZs {Ref: AWS::Region}`)."""
    region = args[0] or resources_map._region_name
    zones = ec2_models.ec2_backends[resources_map._account_id][region].describe_availability_zones()
    return sorted(z.name for z in zones)


def _cidr(args: list[Any], resources_map: Any) -> list[str]:
    """Fn::Cidr [block, count, bits] (moto: not implemented, HTTP 500 under Fn::Select)."""
    import ipaddress
    from itertools import islice

    block, count, bits = args
    network = ipaddress.ip_network(str(block), strict=False)
    subnets = network.subnets(new_prefix=network.max_prefixlen - int(bits))
    return [str(n) for n in islice(subnets, int(count))]


def _length(args: list[Any], resources_map: Any) -> int:
    """Fn::Length (moto: returned unevaluated)."""
    value = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    return len(value)


_INTRINSICS: dict[str, Callable[[list[Any], Any], Any]] = {
    "Fn::GetAZs": _get_azs,
    "Fn::Cidr": _cidr,
    "Fn::Length": _length,
}


def _patch_dynamic_references() -> None:

    original = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        if isinstance(resource_json, dict) and len(resource_json) == 1:
            key, value = next(iter(resource_json.items()))
            if key in _INTRINSICS:
                return _INTRINSICS[key]([clean_json(v, resources_map) for v in _as_list(value)], resources_map)
        result = original(resource_json, resources_map)
        if isinstance(result, str) and "{{resolve:" in result:
            return resolve_dynamic_references(result, resources_map._account_id, resources_map._region_name)
        return result

    parsing.clean_json = clean_json


# --------------------------------------------------------------------------- attributes of moto's models


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
