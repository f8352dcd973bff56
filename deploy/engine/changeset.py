"""Change sets: waiting for one to be created, whether it may run, idempotency tokens, names,
and the Change rows `plan` shows. StackOps (stackops.py) drives them.

Idempotency: botocore retries a call that timed out or got a 5xx with the same parameters, but
fills in no token for CloudFormation (ClientToken / ClientRequestToken are not modelled as
idempotency tokens there). CreateChangeSet's ClientToken: "Specify this token if you plan to
retry requests so that CloudFormation knows that you're not attempting to create another change
set with the same name. You might retry CreateChangeSet requests to ensure that CloudFormation
successfully received them" (API reference); ExecuteChangeSet, DeleteStack and
ContinueUpdateRollback take ClientRequestToken with the same wording. `token()` makes one per
operation; the retries of that call resend it.

Exported: token, name, wait, went_through, drop, to_change, not_executable,
CHANGE_SET_NOT_FOUND_RETRIES.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from deploy.aws.session import is_unreachable
from deploy.engine.cfn import Api, Change, Pacer, Timing, error_code, is_aws_error
from deploy.engine.watch import Failed

CHANGE_SET_NOT_FOUND_RETRIES = 4  # DescribeChangeSet right after CreateChangeSet: 0.5 + 1 + 2 + 4 s at most


def token(purpose: str) -> str:
    """A ClientToken / ClientRequestToken for one operation; pattern [a-zA-Z0-9][-a-zA-Z0-9]*, at
    most 128 characters (API reference)."""
    return f"hana-{purpose}-{uuid.uuid4().hex}"


def name(purpose: str) -> str:
    return f"hana-{purpose}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{random.randrange(16**6):06x}"  # noqa: S311


def wait(
    api: Api, pacer: Pacer, timing: Timing, cs_id: str, execute: bool = False
) -> tuple[str, str, list[dict[str, Any]]]:
    """Status, reason and changes of a change set once it is created. `execute`: it is about to be
    executed, so it must be AVAILABLE (a clear failure for OBSOLETE, UNAVAILABLE, EXECUTE_FAILED)."""
    from botocore.exceptions import ClientError

    deadline = timing.clock() + timing.timeout
    missing = 0
    while True:
        try:
            reply = api("describe_change_set", ChangeSetName=cs_id)
        except ClientError as err:
            # Right after CreateChangeSet, DescribeChangeSet may answer ChangeSetNotFound for a
            # moment (eventual consistency: Kotaimen/awscfncli #109, aws/aws-cdk #6674): ask again.
            if error_code(err) != "ChangeSetNotFound" or missing >= CHANGE_SET_NOT_FOUND_RETRIES:
                raise
            pacer.pause(0.5 * 2**missing)
            missing += 1
            continue
        status = reply.get("Status", "")
        if status not in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
            changes = list(reply.get("Changes") or [])
            page_token = reply.get("NextToken")
            while page_token:
                page = api("describe_change_set", ChangeSetName=cs_id, NextToken=page_token)
                changes += page.get("Changes") or []
                page_token = page.get("NextToken")
            ready = reply.get("ExecutionStatus", "AVAILABLE")
            if execute and status == "CREATE_COMPLETE" and ready != "AVAILABLE":
                raise Failed(not_executable(ready, reply.get("StatusReason") or ""))
            return status, reply.get("StatusReason") or "", changes
        if timing.clock() > deadline:
            raise Failed(f"change set still {status} after {timing.timeout / 60:.0f} min")
        pacer.wait()


def went_through(api: Api, describe: Callable[[str], dict[str, Any] | None], cs_id: str, stack_id: str) -> bool:
    """After InvalidChangeSetStatus from an execute: did an earlier attempt of it go through (a
    retry of a call whose answer was lost)? Yes when the change set is executing or executed, or
    the stack is changing."""
    try:
        state = api("describe_change_set", ChangeSetName=cs_id).get("ExecutionStatus")
    except Exception as err:
        if not is_aws_error(err) or is_unreachable(err):
            raise
        state = None
    if state in ("EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE"):
        return True
    status = (describe(stack_id) or {}).get("StackStatus", "")
    return status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS"


def drop(api: Api, cs_id: str, quiet: bool = False) -> None:
    try:
        api("delete_change_set", ChangeSetName=cs_id)
    except Exception as err:
        if not (quiet and is_aws_error(err)):
            raise


def not_executable(state: str, reason: str) -> str:
    """One line for a change set CloudFormation will not execute: DescribeChangeSet ExecutionStatus
    must be AVAILABLE ("If the change set execution status is AVAILABLE, you can execute the change
    set"; OBSOLETE: the stack was updated since, so the change set no longer applies)."""
    why = {
        "OBSOLETE": "the stack changed after the change set was made (another run or a console change)",
        "UNAVAILABLE": "CloudFormation cannot execute it yet (the stack is busy, or the change set is still settling)",
        "EXECUTE_FAILED": "an earlier execution of it failed",
        "EXECUTE_IN_PROGRESS": "it is being executed already (by another run?)",
        "EXECUTE_COMPLETE": "it was executed already (by another run?)",
    }.get(state, "unexpected state")
    extra = f" ({reason})" if reason else ""
    return f"change set is {state}, not AVAILABLE: {why}{extra}; nothing was executed, run the deploy again"


def to_change(raw: dict[str, Any]) -> Change:
    rc = raw.get("ResourceChange") or {}
    props = []
    for d in rc.get("Details") or []:
        target = d.get("Target") or {}
        label = target.get("Name") or target.get("Attribute")
        if label and label not in props:
            props.append(label)
    return Change(
        action=rc.get("Action", "?"),
        logical_id=rc.get("LogicalResourceId", "?"),
        type=rc.get("ResourceType", "?"),
        replacement=rc.get("Replacement"),
        properties=tuple(props),
    )
