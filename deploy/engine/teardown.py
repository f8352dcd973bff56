"""Teardown: what would stop a delete halfway, found before anything is deleted, and the protections
lifted through the stacks themselves (`delete --lift-protection`).

AWS refuses to delete, and so a stack's delete ends DELETE_FAILED halfway through the environment, on:

- an RDS DB instance with `DeletionProtection` (RDS DeleteDBInstance: "You can't delete a DB instance
  when deletion protection is enabled"; InvalidParameterCombination, "Cannot delete protected DB
  Instance, please disable deletion protection and try again.");
- a load balancer with the attribute `deletion_protection.enabled=true` (ELBv2 DeleteLoadBalancer:
  "You can't delete a load balancer if deletion protection is enabled"; OperationNotPermitted);
- a stack with termination protection (DeleteStack: ValidationError "Stack [...] cannot be deleted
  while TerminationProtection is enabled"). `delete --confirm-prod` turns it off stack by stack.

`blockers()` reads them from the live resources (not the templates: a protection switched on by hand
stops a delete too). `lift()` turns them off by a stack update: the stack's *live* template with only
the protections off (`teardown_variant`), every parameter kept (UsePreviousValue), so CloudFormation
stays the owner of every property and the update changes nothing else, even when out/ has moved on
since the last deploy. A nested environment is lifted through its master stack: the children's
variants are uploaded next to the originals under `teardown/` and the master is updated with
`TemplatePrefix` pointing there, so no child is ever updated behind its parent's back. A deploy-time
parameter was the alternative; it was not chosen because deploy-time parameters keep their live value
on the next deploy, so a teardown that stopped after the lift would leave prod unprotected silently,
while with a variant the next `all`/`main` puts the templates' protections back.

Exported: Blocker, blockers, teardown_variant, lift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from deploy.engine.cfn import CAPABILITIES, error_text, is_aws_error
from deploy.engine.project import MAIN, parse_template
from deploy.errors import DeployError

RDS_TYPES = ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")
ALB_TYPE = "AWS::ElasticLoadBalancingV2::LoadBalancer"
ALB_PROTECTION = "deletion_protection.enabled"
TEARDOWN_PREFIX = "teardown/"
MAX_INLINE_BODY_BYTES = 51_200


@dataclass(frozen=True)
class Blocker:
    key: str  # registry key of the stack holding it (`database`)
    stack: str  # the stack's name
    logical_id: str  # the resource, or "" for the stack itself
    what: str  # `RDS deletion protection on hana-prod-db`

    def line(self) -> str:
        where = f"{self.stack}/{self.logical_id}" if self.logical_id else self.stack
        return f"{where}: {self.what}"


def _resources(cfn: Any, stack: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"StackName": stack}
    while True:
        page = cfn.list_stack_resources(**kwargs)
        found += [r for r in page.get("StackResourceSummaries") or [] if r.get("LogicalResourceId")]
        if not page.get("NextToken"):
            return found
        kwargs["NextToken"] = page["NextToken"]


def _rds_protected(aws: Any, rtype: str, physical: str) -> bool:
    rds = aws.client("rds")
    if rtype == "AWS::RDS::DBCluster":
        rows = rds.describe_db_clusters(DBClusterIdentifier=physical)["DBClusters"]
    else:
        rows = rds.describe_db_instances(DBInstanceIdentifier=physical)["DBInstances"]
    return any(r.get("DeletionProtection") for r in rows)


def _alb_protected(aws: Any, arn: str) -> bool:
    attrs = aws.client("elbv2").describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    return any(a["Key"] == ALB_PROTECTION and str(a.get("Value")).lower() == "true" for a in attrs)


def blockers(
    aws: Any, stacks: dict[str, str], *, termination: dict[str, bool] | None = None, retain: tuple[str, ...] = ()
) -> list[Blocker]:
    """What would refuse to be deleted in `stacks` (key -> live stack name), read from the live resources.
    `termination`: key -> the stack has termination protection that the delete will not turn off;
    `retain`: logical ids the delete keeps (`delete --retain`), so they block nothing."""
    found = [
        Blocker(key, stacks.get(key, key), "", "termination protection")
        for key, on in (termination or {}).items()
        if on
    ]
    cfn = aws.client("cloudformation")
    for key, name in stacks.items():
        for res in _resources(cfn, name):
            rtype, physical = res.get("ResourceType"), res.get("PhysicalResourceId")
            if not physical or res["LogicalResourceId"] in retain or res.get("ResourceStatus") == "DELETE_COMPLETE":
                continue
            try:
                if rtype in RDS_TYPES and _rds_protected(aws, rtype, physical):
                    found.append(Blocker(key, name, res["LogicalResourceId"], f"RDS deletion protection on {physical}"))
                elif rtype == ALB_TYPE and _alb_protected(aws, physical):
                    label = physical.split("loadbalancer/", 1)[-1]
                    found.append(Blocker(key, name, res["LogicalResourceId"], f"ALB deletion protection on {label}"))
            except Exception as err:
                if not is_aws_error(err):
                    raise
                if "NotFound" in error_text(err):
                    continue  # already gone: nothing to block
                raise
    return found


def teardown_variant(template: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`template` with every deletion protection off; returns it and the logical ids changed."""
    variant = json.loads(json.dumps(template))
    changed = []
    for logical, res in (variant.get("Resources") or {}).items():
        props = res.get("Properties") or {}
        if res.get("Type") in RDS_TYPES and props.get("DeletionProtection") not in (None, False, "false"):
            props["DeletionProtection"] = False
            changed.append(logical)
        elif res.get("Type") == ALB_TYPE:
            for attr in props.get("LoadBalancerAttributes") or []:
                if attr.get("Key") == ALB_PROTECTION and str(attr.get("Value")).lower() != "false":
                    attr["Value"] = "false"
                    changed.append(logical)
    return variant, changed


def _live_template(cfn: Any, stack: str) -> dict[str, Any]:
    body = cfn.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    return body if isinstance(body, dict) else parse_template(body)


def _keep_parameters(live: dict[str, Any], **changed: str) -> list[dict[str, Any]]:
    params = []
    for p in live.get("Parameters") or []:
        key = p["ParameterKey"]
        if key in changed:
            params.append({"ParameterKey": key, "ParameterValue": changed[key]})
        else:
            params.append({"ParameterKey": key, "UsePreviousValue": True})
    return params


def _wait_update(deployer: Any, stack_id: str) -> str:
    pacer_delays = deployer.timing.delays()
    start = deployer.timing.clock()
    while True:
        live = deployer.ops.describe(stack_id)
        status = live["StackStatus"] if live else "DELETE_COMPLETE"
        if not status.endswith("_IN_PROGRESS") or status.endswith("CLEANUP_IN_PROGRESS"):
            return status
        if deployer.timing.clock() - start > deployer.timing.timeout:
            raise DeployError(f"{stack_id}: still {status} after {deployer.timing.timeout:.0f} s")
        delay = next(pacer_delays)
        if deployer.timing.sleep is not None:
            deployer.timing.sleep(delay)
        elif deployer.cancel.wait(delay):
            raise KeyboardInterrupt


def _update(deployer: Any, stack: str, **kwargs: Any) -> None:
    from botocore.exceptions import ClientError

    cfn = deployer.aws.client("cloudformation")
    live = deployer.ops.describe(stack)
    if live is None:
        return
    try:
        cfn.update_stack(StackName=live["StackId"], Capabilities=CAPABILITIES, **kwargs)
    except ClientError as err:
        if "No updates are to be performed" in error_text(err):
            return
        raise DeployError(f"lifting the protections of {stack} failed: {error_text(err)}; nothing was deleted") from err
    status = _wait_update(deployer, live["StackId"])
    if status not in ("UPDATE_COMPLETE", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"):
        raise DeployError(
            f"lifting the protections of {stack} ended {status}; nothing was deleted: see "
            f"`{deployer.project.command()} events {stack}`"
        )


def lift(deployer: Any, found: list[Blocker]) -> list[str]:
    """Turn off the resource protections in `found` by stack updates; returns notes (one per stack)."""
    keys = sorted({b.key for b in found if b.logical_id})
    if not keys:
        return []
    cfn = deployer.aws.client("cloudformation")
    project = deployer.project
    if project.children:  # a nested deployment: through its master stack
        master = deployer.ops.describe(project.stack_name(MAIN))
        if master is not None:
            return [_lift_nested(deployer, master)]
    notes = []
    for key in keys:
        name = next(b.stack for b in found if b.key == key)
        variant, changed = teardown_variant(_live_template(cfn, name))
        body = json.dumps(variant, separators=(",", ":"))
        if len(body.encode()) > MAX_INLINE_BODY_BYTES:
            raise DeployError(
                f"the teardown template of {name} is over {MAX_INLINE_BODY_BYTES} bytes; nothing was deleted"
            )
        live = deployer.ops.describe(name)
        _update(deployer, name, TemplateBody=body, Parameters=_keep_parameters(live or {}))
        notes.append(f"{name}: deletion protection off ({', '.join(changed)}) by a stack update")
    return notes


def _lift_nested(deployer: Any, master: dict[str, Any]) -> str:
    """Upload every child's live template (the protected ones as their teardown variant) under
    `teardown/<prefix>`, then update the master with TemplatePrefix pointing there."""
    project = deployer.project
    cfn = deployer.aws.client("cloudformation")
    params = {p["ParameterKey"]: p.get("ParameterValue") or "" for p in master.get("Parameters") or []}
    if "TemplateBucket" not in params or "TemplatePrefix" not in params:
        raise DeployError(
            f"{master['StackName']} has no TemplateBucket/TemplatePrefix parameters: its protections cannot be "
            f"lifted through it; nothing was deleted (redeploy it with `{project.command()} main` first)"
        )
    bucket, prefix = params["TemplateBucket"], params["TemplatePrefix"]
    new_prefix = prefix if prefix.startswith(TEARDOWN_PREFIX) else TEARDOWN_PREFIX + prefix
    template = _live_template(cfn, master["StackId"])
    children = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in _resources(cfn, master["StackId"])}
    s3 = deployer.aws.client("s3")
    changed_all = []
    for logical, res in (template.get("Resources") or {}).items():
        if res.get("Type") != "AWS::CloudFormation::Stack" or logical not in children:
            continue
        url = (res.get("Properties") or {}).get("TemplateURL")
        text = url.get("Fn::Sub") if isinstance(url, dict) else url
        if not isinstance(text, str) or "${TemplatePrefix}" not in text:
            raise DeployError(f"{master['StackName']}'s {logical} does not use TemplatePrefix; nothing was deleted")
        filename = text.split("${TemplatePrefix}", 1)[1]
        variant, changed = teardown_variant(_live_template(cfn, children[logical]))
        changed_all += [f"{logical}/{c}" for c in changed]
        s3.put_object(
            Bucket=bucket,
            Key=new_prefix + filename,
            Body=json.dumps(variant, separators=(",", ":")).encode(),
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )
    _update(
        deployer,
        master["StackName"],
        UsePreviousTemplate=True,
        Parameters=_keep_parameters(master, TemplatePrefix=new_prefix),
    )
    return (
        f"{master['StackName']}: deletion protection off ({', '.join(changed_all) or 'nothing to change'}) "
        f"by a stack update (children from s3://{bucket}/{new_prefix})"
    )
