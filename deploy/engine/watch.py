"""Following one stack operation: the poll loop, its events, the first failure and its cause.

Polling is driven by DescribeStackEvents: one call per poll (one page while the stack is
followed closely). DescribeStacks, the second call every poll used to make, is called only
when a stack-level event arrives (the stack's own status changed: its events carry the new
status), on the first poll, and every `Timing.status_every`-th poll as a safety net against an
event not yet listed. The delays between polls come from `Pacer` (cfn.py): `poll_min`, growing
by `backoff` up to `poll_max`, up to `poll_long` once nothing has happened for `long_after`
seconds, each with +-`jitter`; any new event brings the delay back to `poll_min`.

Why: CloudFormation's API rate quota is per account and region and shared by every caller
(aws-cli #2948 and stacker #337: `Throttling: Rate exceeded` from parallel stacks polling
DescribeStacks / DescribeStackEvents; aws-cli #5286 moved its waiters back to slower polls for
this reason). Jitter keeps parallel stacks from polling in lockstep.

A failed nested stack (`AWS::CloudFormation::Stack`) only says "Embedded stack <arn> was not
successfully created/updated"; the cause is in the child's own events (the failed resource's
PhysicalResourceId is the child's stack id; see aws-cdk #5974, and the CloudFormation console's
advice to open the nested stack's events). `cause_in_child` reads them: the child's first failed
resource and its reason (one level down).

Exported: Watch, new_events, follow, cause_in_child.
"""

from __future__ import annotations

import re
from typing import Any

from deploy.engine.cfn import SETTLED_EARLY, Api, Pacer, error_code, error_text

NESTED = "AWS::CloudFormation::Stack"
_STARTS = {"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "IMPORT_IN_PROGRESS"}
_EMBEDDED = re.compile(r"Embedded stack (arn:[^ ]+:stack/[^ ]+) was not")


class Failed(Exception):
    """This stack failed; the message is the one line the summary shows."""


class Watch:
    """Follows one stack operation through its events: progress and the first failure."""

    def __init__(self, stack_id: str, stack_name: str, marker: str | None, total: int | None):
        self.stack_id = stack_id
        self.stack_name = stack_name
        self.marker = marker
        self.total = total
        self.seen: set[str] = set()
        self.done: set[str] = set()
        self.running: dict[str, str] = {}  # logical id -> type, in start order
        self.failures: list[dict[str, Any]] = []
        self.stack_reasons: list[str] = []

    def is_stack_event(self, e: dict[str, Any]) -> bool:
        return e.get("PhysicalResourceId") == self.stack_id or (
            e.get("LogicalResourceId") == self.stack_name and e.get("ResourceType") == NESTED
        )

    def add(self, e: dict[str, Any]) -> None:
        self.seen.add(e["EventId"])
        status = e.get("ResourceStatus", "")
        if self.is_stack_event(e):
            if e.get("ResourceStatusReason") and ("ROLLBACK" in status or status.endswith("FAILED")):
                self.stack_reasons.append(e["ResourceStatusReason"])
            return
        logical = e.get("LogicalResourceId", "")
        if status.endswith("_IN_PROGRESS"):
            self.running.pop(logical, None)
            self.running[logical] = e.get("ResourceType", "")
        elif status.endswith("_COMPLETE") or status.endswith("_SKIPPED"):
            self.running.pop(logical, None)
            self.done.add(logical)
        elif status.endswith("_FAILED"):
            self.running.pop(logical, None)
            self.failures.append(e)

    @property
    def current(self) -> str | None:
        if not self.running:
            return None
        logical, rtype = next(reversed(self.running.items()))
        return f"{logical} ({rtype})" if rtype else logical

    def failed_event(self) -> dict[str, Any] | None:
        """The first failed resource, preferring a real cause over "Resource update cancelled"."""
        real = [e for e in self.failures if "cancel" not in (e.get("ResourceStatusReason") or "").lower()]
        return (real or self.failures or [None])[0]

    def first_failure(self, api: Api | None = None) -> str | None:
        """`Logical (Type): reason`; with `api`, a failed nested stack also names its own first failure."""
        e = self.failed_event()
        if e is None:
            return self.stack_reasons[0] if self.stack_reasons else None
        reason = " ".join((e.get("ResourceStatusReason") or "no reason given").split())
        text = f"{e.get('LogicalResourceId')} ({e.get('ResourceType')}): {reason}"
        if api is not None and e.get("ResourceType") == NESTED:
            inner = cause_in_child(api, e)
            if inner:
                text = f"{e.get('LogicalResourceId')} ({NESTED}) failed at {inner}"
        return text


def new_events(api: Api, watch: Watch) -> list[dict[str, Any]]:
    """Events since the last poll, oldest first (the API lists newest first, paginated)."""
    fresh: list[dict[str, Any]] = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"StackName": watch.stack_id}
        if token:
            kwargs["NextToken"] = token
        page = api("describe_stack_events", **kwargs)
        for e in page.get("StackEvents") or []:
            if e["EventId"] == watch.marker or e["EventId"] in watch.seen:
                return list(reversed(fresh))
            fresh.append(e)
        token = page.get("NextToken")
        if not token:
            return list(reversed(fresh))


def cause_in_child(api: Api, failed: dict[str, Any]) -> str | None:
    """The first failed resource of a nested stack's latest operation, from the child's events
    (`Logical (Type): reason`), or None when the child cannot be read or shows no failure."""
    from deploy.engine.cfn import is_aws_error

    child = failed.get("PhysicalResourceId") or ""
    if ":stack/" not in child:  # the id is in the reason too ("Embedded stack <arn> was not ...")
        found = _EMBEDDED.search(failed.get("ResourceStatusReason") or "")
        if found is None:
            return None
        child = found.group(1)
    try:
        events = api("describe_stack_events", StackName=child).get("StackEvents") or []
    except Exception as err:
        if is_aws_error(err):
            return None
        raise
    name = child.split(":stack/", 1)[1].split("/", 1)[0]
    watch = Watch(child, name, None, None)
    recent = []
    failed_seen = False
    for e in events:  # newest first: back to the start of the child's latest failed operation
        recent.append(e)
        status = e.get("ResourceStatus", "")
        if not watch.is_stack_event(e):
            failed_seen = failed_seen or status.endswith("_FAILED")
        elif status in _STARTS or (status == "DELETE_IN_PROGRESS" and failed_seen):
            break  # (a child that failed is then deleted by its parent's rollback: look past that)
    for e in reversed(recent):
        watch.add(e)
    found = watch.failed_event()
    if found is None:
        return None
    reason = " ".join((found.get("ResourceStatusReason") or "no reason given").split())
    return f"{found.get('LogicalResourceId')} ({found.get('ResourceType')}) in {name}: {reason}"


def follow(ops: Any, key: str, watch: Watch, *, deleting: bool = False, early: bool = True) -> str:
    """Poll until the stack settles; returns its final status (DELETE_COMPLETE if it is gone).
    `early`: stop at *_CLEANUP_IN_PROGRESS (the outcome is known and dependents may start);
    otherwise wait until the stack accepts the next operation. `ops` is the StackOps (describe,
    reporter, timing, cancel, in-flight bookkeeping)."""
    from botocore.exceptions import ClientError

    timing = ops.timing
    api: Api = ops._api()
    pacer = Pacer(timing, ops.cancel)
    deadline = timing.clock() + timing.timeout
    name = watch.stack_name
    status: str | None = None
    polls = 0
    while True:
        gone = False
        try:
            fresh = new_events(api, watch)
        except ClientError as err:  # a deleted stack asked for by name; by id AWS keeps its events
            if not (error_code(err) == "ValidationError" and "does not exist" in error_text(err)):
                raise
            fresh, gone = [], True
        for e in fresh:
            watch.add(e)
            ops.reporter.event(key, e)
        moved = any(watch.is_stack_event(e) for e in fresh)
        if status is None or moved or gone or polls % timing.status_every == 0:
            stack = ops.describe(watch.stack_id)
            status = stack["StackStatus"] if stack else ("DELETE_COMPLETE" if deleting else "GONE")
        polls += 1
        ops._flying(key, name, status)
        ops.reporter.update(key, state=status, done=len(watch.done), total=watch.total, current=watch.current or "")
        if not status.endswith("_IN_PROGRESS") or (early and status in SETTLED_EARLY):
            if not moved and not gone and status not in ("DELETE_COMPLETE", "GONE"):
                for e in new_events(api, watch):  # settled by the safety-net read: the last events too
                    watch.add(e)
                    ops.reporter.event(key, e)
            ops._flying(key, name, None)
            return status
        if timing.clock() > deadline:
            raise Failed(f"gave up waiting after {timing.timeout / 60:.0f} min; {name} is still {status} in AWS")
        pacer.wait(changed=bool(fresh))
