"""One stack: change sets, polling, events, no-op detection and stuck states.

`StackOps.deploy(request)` brings one stack to its template and parameters:

1. settle a stack an earlier run left behind: REVIEW_IN_PROGRESS (an interrupted create) is
   deleted; ROLLBACK_COMPLETE / CREATE_FAILED (a failed create) is deleted and created again;
   any *_IN_PROGRESS is waited for; UPDATE_ROLLBACK_FAILED gets the exact command, or is
   continued with `continue_rollback`;
2. no-op: when the live template body, parameters and tags already match, nothing is created
   (no change set); this is what makes a re-run take seconds;
3. otherwise a change set (CREATE or UPDATE), waited for with fast polling; CloudFormation's
   two "no changes" answers (CreateChangeSet's ValidationError "No updates are to be performed",
   and the empty change set: FAILED, "didn't contain changes") count as success, and the empty
   change set is deleted. An executable change set without resource changes (only parameters,
   outputs or tags differ) is executed: that is how such a change reaches the stack;
4. execute, then poll stack status and new events until the stack settles, reporting progress
   (resources done/total, current resource) and, on failure, the first failed resource and its
   reason.

Waiting (watch.py) polls DescribeStackEvents every few seconds with backoff and jitter, and
DescribeStacks only when the stack's own status moved. Throttling errors are retried with
jittered backoff on top of botocore's own retries. Every sleep wakes at once on the shared cancel
event (Ctrl-C), raising `Cancelled`. Every call that starts work carries an idempotency token, so
botocore's retries cannot start it twice; credentials that stop working mid-wait stop the run
like a lost endpoint (`CredentialsExpired`), not as a stack failure.

long: one class, the state machine of one stack operation (settle, no-op check, change set,
execute, watch); its steps share the stack's state and read best in order, in one place.

Exported: StackOps.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from deploy.aws.session import credentials_failed, is_unreachable, unreachable_text
from deploy.engine import adopt, changeset
from deploy.engine.cfn import (
    CAPABILITIES,
    DONE_OK,
    FAILED_CREATE,
    MAX_INLINE_BODY_BYTES,
    NO_CHANGES,
    SETTLED_EARLY,
    USABLE,
    Api,
    Cancelled,
    Change,
    CredentialsExpired,
    Outcome,
    Pacer,
    Preview,
    Request,
    Result,
    Timing,
    Unreachable,
    error_code,
    error_text,
    is_aws_error,
    outputs_of,
)
from deploy.engine.project import parse_template
from deploy.engine.watch import Failed as _Failed
from deploy.engine.watch import Watch, follow
from deploy.errors import DeployError


def _continue_rollback(req: Request) -> str:
    """The command that continues this stack's rollback: `main` for the nested master (`stack main`
    is no command), `stack <key>` for the others."""
    what = "main" if req.key == "main" else f"stack {req.key}"
    return f"{req.command} {what} --continue-rollback"


def _is_no_changes(text: str) -> bool:
    return any(marker in text for marker in NO_CHANGES)


class StartGate:
    """Every call that starts work in AWS (a change set created or executed, a stack deleted, a
    rollback continued) passes through this gate. Ctrl-C closes it: `close()` waits for the calls
    passing it at that moment, then every later `start()` raises Cancelled. So after Ctrl-C nothing
    new starts, and the in-flight list (marked inside the gate, before the call) is exact."""

    def __init__(self, cancel: threading.Event):
        self.cancel = cancel
        self._cond = threading.Condition()
        self._active = 0
        self._closed = False

    @contextlib.contextmanager
    def start(self) -> Iterator[None]:
        with self._cond:
            if self._closed or self.cancel.is_set():
                raise Cancelled
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    def close(self, timeout: float = 15.0) -> None:
        with self._cond:
            self._closed = True
            self._cond.wait_for(lambda: self._active == 0, timeout)


class StackOps:
    """Operations on single stacks, shared by the threads of one run."""

    def __init__(
        self,
        client: Any,
        reporter: Any = None,
        timing: Timing | None = None,
        cancel: threading.Event | None = None,
        live_value: Callable[[str, dict[str, str]], str | None] | None = None,
        upload: Callable[[str, str], str] | None = None,
    ):
        from deploy.engine.reporting import NullReporter

        self.client = client
        self.reporter = reporter or NullReporter()
        self.timing = timing or Timing()
        self.cancel = cancel or threading.Event()
        self.live_value = live_value
        self.upload = upload  # (key, body) -> TemplateURL: where a body too big to send inline goes
        self._lock = threading.Lock()
        self.in_flight: dict[str, tuple[str, str]] = {}  # key -> (stack name, last status): changing in AWS
        self.gate = StartGate(self.cancel)

    # --- plumbing ------------------------------------------------------------------------------

    def _api(self) -> Api:
        return Api(self.client, Pacer(self.timing, self.cancel), self.timing.throttle_attempts)

    def describe(self, name_or_id: str) -> dict[str, Any] | None:
        """The stack, or None when it does not exist. A deleted stack asked for by its id is still
        answered, in DELETE_COMPLETE (DescribeStacks API reference, StackName: "Running stacks: You
        can specify either the stack's name or its unique stack ID. Deleted stacks: You must specify
        the unique stack ID."): that is "no stack" here too, so a deploy right after a delete
        creates instead of sending an UPDATE to a deleted stack."""
        from botocore.exceptions import ClientError

        try:
            stacks = self._api()("describe_stacks", StackName=name_or_id)["Stacks"]
        except ClientError as err:
            if error_code(err) == "ValidationError" and "does not exist" in error_text(err):
                return None
            raise
        return stacks[0] if stacks and stacks[0].get("StackStatus") != "DELETE_COMPLETE" else None

    def _source(self, req: Request) -> dict[str, str]:
        """TemplateBody, or TemplateURL for a body over CloudFormation's 51,200-byte inline limit
        (uploaded to the template bucket first) or when the request names its URL already."""
        if req.template_url:
            return {"TemplateURL": req.template_url}
        size = len(req.body.encode())
        if size <= MAX_INLINE_BODY_BYTES:
            return {"TemplateBody": req.body}
        if self.upload is None:
            raise _Failed(
                f"{req.key}'s template is {size:,} bytes, over CloudFormation's {MAX_INLINE_BODY_BYTES:,}-byte "
                "TemplateBody limit, and no template bucket is available to send it as a TemplateURL"
            )
        return {"TemplateURL": self.upload(req.key, req.body)}

    def _lost(self, err: BaseException) -> None:
        """The whole run stops on a lost endpoint or credentials that stopped working (Unreachable):
        every other call would fail the same way; not this stack's failure."""
        if is_unreachable(err):
            raise Unreachable(unreachable_text(err)) from err
        code = credentials_failed(err)
        if code:
            raise CredentialsExpired(f"AWS stopped accepting the credentials mid-run ({code})") from err

    def _start(self, key: str, name: str, status: str | None, call: Callable[[], Any]) -> Any:
        """Start something in AWS through the gate; with `status`, the stack is in flight from the
        moment before the call (and not, if the call fails)."""
        with self.gate.start():
            if status is not None:
                self._flying(key, name, status)
            try:
                return call()
            except BaseException:
                if status is not None:
                    self._flying(key, name, None)
                raise

    def _flying(self, key: str, name: str, status: str | None) -> None:
        with self._lock:
            if status is None:
                self.in_flight.pop(key, None)
            else:
                self.in_flight[key] = (name, status)

    def _newest_event(self, api: Api, stack_id: str) -> str | None:
        events = api("describe_stack_events", StackName=stack_id).get("StackEvents") or []
        return events[0]["EventId"] if events else None

    def _wait(self, key: str, watch: Watch, *, deleting: bool = False, early: bool = True) -> str:
        return follow(self, key, watch, deleting=deleting, early=early)

    def _watch_for(self, api: Api, stack: dict[str, Any], total: int | None) -> Watch:
        sid = stack["StackId"]
        return Watch(sid, stack["StackName"], self._newest_event(api, sid), total)

    # --- deploy --------------------------------------------------------------------------------

    def deploy(self, req: Request) -> Result:
        start = self.timing.clock()
        notes: list[str] = []
        self.reporter.update(req.key, state="checking")
        try:
            result = self._deploy(req, notes)
        except _Failed as err:
            result = Result(req.key, req.name, Outcome.FAILED, message=str(err))
        except Cancelled:
            raise  # what is in flight stays listed: it goes on changing in AWS without us
        except Exception as err:  # an AWS error we did not expect: this stack fails, the run goes on
            self._lost(err)
            if not is_aws_error(err):
                raise
            result = Result(req.key, req.name, Outcome.FAILED, message=error_text(err))
        self._flying(req.key, req.name, None)
        result.elapsed = self.timing.clock() - start
        result.notes = notes + result.notes
        return result

    def _deploy(self, req: Request, notes: list[str]) -> Result:
        live = self._settle(req, self.describe(req.name), notes)
        if live is None and req.imports:  # `all --adopt`: created from its existing resources first
            try:
                live = adopt.run_import(self, req, self._parameters(req, None), notes)
            except adopt.ImportFailed as err:
                raise _Failed(str(err)) from None
        if live is None:
            return self._apply(req, "CREATE", self._parameters(req, None), None, notes)
        if self._unchanged(req, live):
            self._protect(req, live, notes)
            return Result(req.key, req.name, Outcome.UNCHANGED, outputs=outputs_of(live), status=live["StackStatus"])
        return self._apply(req, "UPDATE", self._parameters(req, live), live, notes)

    def _note(self, key: str, notes: list[str], text: str) -> None:
        notes.append(text)
        self.reporter.note(key, text)

    def _settle(self, req: Request, live: dict[str, Any] | None, notes: list[str]) -> dict[str, Any] | None:
        """Bring a stack left behind by an earlier run into a state we can deploy from."""
        for _ in range(6):
            if live is None:
                return None
            status = live["StackStatus"]
            if status == "REVIEW_IN_PROGRESS":
                self._note(
                    req.key, notes, f"{req.name} was left in REVIEW_IN_PROGRESS by an interrupted create: deleting it"
                )
                self._delete_and_wait(req.key, live, expect="REVIEW_IN_PROGRESS")
                live = None
            elif status in FAILED_CREATE:
                why = self._last_failure(live)
                self._note(
                    req.key,
                    notes,
                    f"{req.name} is {status} after a failed create{f' ({why})' if why else ''}: "
                    "deleting it and creating it again",
                )
                final = self._delete_and_wait(req.key, live, expect=status)
                if final != "DELETE_COMPLETE":
                    raise _Failed(
                        f"{req.name} could not be deleted ({final}); delete it by hand: "
                        f"`aws cloudformation delete-stack --stack-name {req.name}`"
                    )
                live = None
            elif status == "UPDATE_ROLLBACK_FAILED":
                why = self._last_failure(live)
                if not req.continue_rollback:
                    raise _Failed(
                        f"{req.name} is UPDATE_ROLLBACK_FAILED{f' ({why})' if why else ''}: fix that cause, then run "
                        f"`{_continue_rollback(req)}` (or `aws cloudformation "
                        f"continue-update-rollback --stack-name {req.name} --resources-to-skip <LogicalId>` to skip "
                        "a resource that cannot roll back)"
                    )
                self._note(req.key, notes, f"{req.name} is UPDATE_ROLLBACK_FAILED: continuing the rollback")
                api = self._api()
                watch = self._watch_for(api, live, None)
                self._start(
                    req.key,
                    req.name,
                    "UPDATE_ROLLBACK_IN_PROGRESS",
                    lambda api=api, sid=live["StackId"]: api(
                        "continue_update_rollback", StackName=sid, ClientRequestToken=changeset.token("rollback")
                    ),
                )
                final = self._wait(req.key, watch, early=False)
                if final != "UPDATE_ROLLBACK_COMPLETE":
                    raise _Failed(
                        f"continuing the rollback of {req.name} ended in {final}: "
                        f"{watch.first_failure(api) or 'see the stack events'}"
                    )
                live = self.describe(live["StackId"])
            elif status == "DELETE_FAILED":
                raise _Failed(
                    f"{req.name} is DELETE_FAILED ({self._last_failure(live) or 'see the stack events'}): finish the "
                    f"delete with `{req.command} delete` or `aws cloudformation delete-stack --stack-name {req.name} "
                    "--retain-resources <LogicalId>`"
                )
            elif status.endswith("_IN_PROGRESS"):
                self._note(req.key, notes, f"{req.name} is {status} from an earlier run: waiting for it")
                api = self._api()
                self._wait(req.key, self._watch_for(api, live, None), early=False)
                live = self.describe(live["StackId"])
            else:
                return live
        raise _Failed(f"{req.name} kept changing state ({live['StackStatus'] if live else 'gone'}); try again")

    def _last_failure(self, live: dict[str, Any]) -> str | None:
        """The first failed resource of the stack's most recent operation (for messages about stuck stacks)."""
        try:
            events = self._api()("describe_stack_events", StackName=live["StackId"]).get("StackEvents") or []
        except Exception as err:
            if is_aws_error(err):
                return live.get("StackStatusReason")
            raise
        watch = Watch(live["StackId"], live["StackName"], None, None)
        # Newest first: go back to the start of the last user-initiated operation.
        recent = []
        for e in events:
            recent.append(e)
            if watch.is_stack_event(e) and e.get("ResourceStatusReason") == "User Initiated":
                break
        for e in reversed(recent):
            watch.add(e)
        return watch.first_failure(self._api()) or live.get("StackStatusReason")

    def _delete_and_wait(self, key: str, live: dict[str, Any], expect: str) -> str:
        """Delete a stack left behind, after re-reading it: only if it is still in `expect` (another run
        may have moved it on since we looked; then the caller looks again)."""
        api = self._api()
        fresh = self.describe(live["StackId"])
        if fresh is None or fresh["StackStatus"] == "DELETE_COMPLETE":
            return "DELETE_COMPLETE"
        if fresh["StackStatus"] != expect:
            raise _Failed(
                f"{live['StackName']} changed from {expect} to {fresh['StackStatus']} while we looked: another run "
                "is working on it; try again when it is done"
            )
        watch = self._watch_for(api, fresh, None)
        self._start(
            key,
            live["StackName"],
            "DELETE_IN_PROGRESS",
            lambda: api("delete_stack", StackName=live["StackId"], ClientRequestToken=changeset.token("delete")),
        )
        return self._wait(key, watch, deleting=True)

    def _parameters(self, req: Request, live: dict[str, Any] | None) -> list[dict[str, Any]]:
        """Explicit values, plus on update the live value of each deploy-time parameter: the running ECS
        desired count (so a redeploy never resets what scaling set; plan.ecs_live_value), else
        UsePreviousValue. A live value that cannot be read fails the stack before anything is sent."""
        params: list[dict[str, Any]] = [{"ParameterKey": k, "ParameterValue": v} for k, v in req.parameters.items()]
        if live is None:
            return params
        live_params = {p["ParameterKey"]: p.get("ParameterValue") for p in live.get("Parameters") or []}
        outputs = outputs_of(live)
        for name in req.keep_live:
            if name in req.parameters or name not in req.defaults or name not in live_params:
                continue
            try:
                value = self.live_value(name, outputs) if self.live_value else None
            except DeployError as err:  # the live value exists but cannot be read: stop, never guess
                raise _Failed(str(err)) from None
            if value is not None:
                params.append({"ParameterKey": name, "ParameterValue": value})
            else:
                params.append({"ParameterKey": name, "UsePreviousValue": True})
        return params

    def is_unchanged(self, req: Request, live: dict[str, Any]) -> bool:
        """The no-op check on its own, for the up-front check of a whole run (snapshot.py): at most
        one GetTemplate; an AWS error answers False (the scheduler's deploy then looks again)."""
        try:
            return self._unchanged(req, live)
        except Exception as err:
            if is_unreachable(err):
                raise Unreachable(unreachable_text(err)) from err
            if not is_aws_error(err):
                raise
            return False

    def _unchanged(self, req: Request, live: dict[str, Any]) -> bool:
        """True when the live stack already has this template body, these parameters and tags.
        Checked without a change set: two read calls instead of a change set's create/poll/delete."""
        if live["StackStatus"] not in DONE_OK:
            return False
        live_tags = {t["Key"]: t["Value"] for t in live.get("Tags") or []}
        if live_tags != {t["Key"]: t["Value"] for t in req.tags}:
            return False
        live_params = {p["ParameterKey"]: p.get("ParameterValue") for p in live.get("Parameters") or []}
        expected = {**req.defaults, **req.parameters}
        if set(live_params) != set(expected):
            return False
        for name, value in expected.items():
            if name in req.keep_live and name not in req.parameters:
                continue  # kept at its live value either way
            if value is None or live_params[name] != value:
                return False
        body = self._api()("get_template", StackName=live["StackId"], TemplateStage="Original")["TemplateBody"]
        if isinstance(body, str):
            return body == req.body
        return body == parse_template(req.body)  # botocore parses JSON bodies into a dict

    def _protect(self, req: Request, live: dict[str, Any] | None, notes: list[str]) -> None:
        """Termination protection on (prod). A failure to set it is reported, not fatal: the stack is deployed."""
        if not req.termination_protection or (live or {}).get("EnableTerminationProtection"):
            return
        try:
            self._api()("update_termination_protection", StackName=req.name, EnableTerminationProtection=True)
        except Exception as err:
            if not is_aws_error(err):
                raise
            self._note(req.key, notes, f"warning: could not turn on termination protection: {error_text(err)}")

    def _apply(
        self, req: Request, kind: str, params: list[dict[str, Any]], live: dict[str, Any] | None, notes: list[str]
    ) -> Result:
        from botocore.exceptions import ClientError

        api = self._api()
        source = self._source(req)
        token = changeset.token("create")  # idempotency under botocore's retries (changeset.py)
        try:
            reply = self._start(
                req.key,
                req.name,
                None,
                lambda: api(
                    "create_change_set",
                    StackName=req.name,
                    ChangeSetName=changeset.name("deploy"),
                    ChangeSetType=kind,
                    Parameters=params,
                    Capabilities=CAPABILITIES,
                    Tags=req.tags,
                    Description=f"{req.command}: {kind.lower()} {req.key}",
                    ClientToken=token,
                    **source,
                ),
            )
        except ClientError as err:
            if _is_no_changes(error_text(err)):
                return self._no_changes(req, live, notes)
            raise _Failed(f"change set rejected: {error_text(err)}") from None
        cs_id, stack_id = reply["Id"], reply["StackId"]
        executed = False
        try:
            status, reason, changes = self._wait_change_set(api, cs_id, execute=True)
            if status == "FAILED":
                self._drop_change_set(api, cs_id)
                if _is_no_changes(reason):
                    return self._no_changes(req, live, notes)
                if kind == "CREATE":
                    self._drop_review_stack(api, stack_id)
                raise _Failed(f"change set failed: {reason}")
            if not changes:
                # Executable but without resource changes: only parameters, outputs or tags differ (the
                # no-op check ran first). Executing it is what brings such a change to the stack.
                self._note(req.key, notes, "no resource changes: updating parameters, outputs or tags only")
            stack = {"StackId": stack_id, "StackName": req.name}
            watch = self._watch_for(api, stack, len(changes))
            self.reporter.update(req.key, state=f"{kind}_IN_PROGRESS", done=0, total=len(changes))
            try:
                # RetainExceptOnCreate: "newly created resources are deleted when the operation rolls
                # back. This includes newly created resources marked with a deletion policy of Retain"
                # (ExecuteChangeSet API reference): a failed create leaves nothing that makes the
                # retry fail "already exists"; what existed before the operation is kept.
                execute = changeset.token("execute")
                self._start(
                    req.key,
                    req.name,
                    f"{kind}_IN_PROGRESS",
                    lambda: api(
                        "execute_change_set",
                        ChangeSetName=cs_id,
                        RetainExceptOnCreate=True,
                        ClientRequestToken=execute,
                    ),
                )
                executed = True
            except ClientError as err:
                if not (
                    error_code(err) == "InvalidChangeSetStatus"
                    and changeset.went_through(api, self.describe, cs_id, stack_id)
                ):
                    raise _Failed(f"{kind.lower()} failed: {error_text(err)}") from None
                # A retry (botocore's, after a timeout or a 5xx) of an execute that had gone through:
                # the change set is executing, the stack is changing; follow it like any other.
                executed = True
                self._flying(req.key, req.name, f"{kind}_IN_PROGRESS")
            final = self._wait(req.key, watch)
        except Cancelled:
            if not executed:  # clean up what this run created and did not start: nothing is left behind
                self._drop_change_set(api, cs_id, quiet=True)
                if kind == "CREATE":
                    self._drop_review_stack(api, stack_id, quiet=True)
            raise
        stack = self.describe(stack_id)
        if final in DONE_OK:
            self._protect(req, stack, notes)
            outcome = Outcome.CREATED if kind == "CREATE" else Outcome.UPDATED
            return Result(req.key, req.name, outcome, outputs=outputs_of(stack), status=final)
        why = watch.first_failure(api) or (stack or {}).get("StackStatusReason") or "no reason given"
        hint = ""
        if final in FAILED_CREATE:
            hint = " (the next deploy deletes the failed stack and creates it again)"
        elif final == "UPDATE_ROLLBACK_FAILED":
            hint = f"; after fixing it run `{_continue_rollback(req)}`"
        raise _Failed(f"{final}: {why}{hint}")

    def _no_changes(self, req: Request, live: dict[str, Any] | None, notes: list[str]) -> Result:
        self._protect(req, live, notes)
        status = live["StackStatus"] if live else None
        return Result(req.key, req.name, Outcome.UNCHANGED, outputs=outputs_of(live), status=status)

    def _wait_change_set(self, api: Api, cs_id: str, execute: bool = False) -> tuple[str, str, list[dict[str, Any]]]:
        return changeset.wait(api, Pacer(self.timing, self.cancel), self.timing, cs_id, execute)

    def _drop_change_set(self, api: Api, cs_id: str, quiet: bool = False) -> None:
        changeset.drop(api, cs_id, quiet)

    def _drop_review_stack(self, api: Api, stack_id: str, quiet: bool = False) -> None:
        """A failed (or abandoned) CREATE change set leaves an empty REVIEW_IN_PROGRESS stack: remove it.
        Only that stack, by id, and only while it is still REVIEW_IN_PROGRESS."""
        try:
            live = self.describe(stack_id)
            if live and live["StackStatus"] == "REVIEW_IN_PROGRESS":
                api("delete_stack", StackName=stack_id, ClientRequestToken=changeset.token("delete"))
        except Exception as err:
            if not (quiet and is_aws_error(err)):
                raise

    # --- plan ----------------------------------------------------------------------------------

    def preview(self, req: Request, resources: dict[str, Any]) -> Preview:
        """What deploy would change, from an UPDATE change set that is never executed and always deleted.
        A stack that does not exist yet is previewed from its template (creating a change set would
        create a REVIEW_IN_PROGRESS stack)."""
        try:
            return self._preview(req, resources)
        except _Failed as err:
            return Preview(req.key, req.name, "blocked", message=str(err))
        except Exception as err:
            self._lost(err)
            if not is_aws_error(err):
                raise
            return Preview(req.key, req.name, "blocked", message=error_text(err))

    def _preview(self, req: Request, resources: dict[str, Any]) -> Preview:
        from botocore.exceptions import ClientError

        live = self.describe(req.name)
        added = [Change("Add", logical, r.get("Type", "?")) for logical, r in resources.items()]
        if live is None:
            return Preview(req.key, req.name, "new", added)
        status = live["StackStatus"]
        if status in FAILED_CREATE or status == "REVIEW_IN_PROGRESS":
            return Preview(req.key, req.name, "new", added, f"{status}: deploy deletes it and creates it again")
        if status == "UPDATE_ROLLBACK_FAILED":
            return Preview(req.key, req.name, "blocked", message=f"{status}: deploy needs --continue-rollback")
        if status.endswith("_IN_PROGRESS") and status not in SETTLED_EARLY:
            return Preview(req.key, req.name, "blocked", message=f"{status}: busy; deploy would wait for it")
        if status not in USABLE:
            return Preview(req.key, req.name, "blocked", message=f"{status}: cannot be updated")
        if self._unchanged(req, live):
            return Preview(req.key, req.name, "unchanged")
        api = self._api()
        source = self._source(req)
        try:
            reply = api(
                "create_change_set",
                StackName=req.name,
                ChangeSetName=changeset.name("plan"),
                ChangeSetType="UPDATE",
                Parameters=self._parameters(req, live),
                Capabilities=CAPABILITIES,
                Tags=req.tags,
                Description=f"{req.command} plan (never executed)",
                **source,
            )
        except ClientError as err:
            if _is_no_changes(error_text(err)):
                return Preview(req.key, req.name, "unchanged")
            raise
        try:
            status, reason, raw = self._wait_change_set(api, reply["Id"])
        finally:
            self._drop_change_set(api, reply["Id"], quiet=True)
        if status == "FAILED":
            if _is_no_changes(reason):
                return Preview(req.key, req.name, "unchanged")
            return Preview(req.key, req.name, "blocked", message=f"change set failed: {reason}")
        changes = [changeset.to_change(c) for c in raw if c.get("Type", "Resource") == "Resource"]
        if not changes:
            return Preview(
                req.key, req.name, "changes", message="no resource changes: parameters, outputs or tags only"
            )
        return Preview(req.key, req.name, "changes", sorted(changes, key=lambda c: (c.rank, c.logical_id)))

    # --- delete --------------------------------------------------------------------------------

    def delete(
        self,
        key: str,
        name: str,
        allow_protected: bool,
        command: str = "python -m deploy",
        retain: tuple[str, ...] = (),
    ) -> Result:
        start = self.timing.clock()
        notes: list[str] = []
        self.reporter.update(key, state="checking")
        try:
            result = self._delete(key, name, allow_protected, command, notes, retain)
        except _Failed as err:
            result = Result(key, name, Outcome.FAILED, message=str(err))
        except Cancelled:
            raise  # what is in flight stays listed: it goes on changing in AWS without us
        except Exception as err:
            self._lost(err)
            if not is_aws_error(err):
                raise
            result = Result(key, name, Outcome.FAILED, message=error_text(err))
        self._flying(key, name, None)
        result.elapsed = self.timing.clock() - start
        result.notes = notes + result.notes
        return result

    def _delete(
        self, key: str, name: str, allow_protected: bool, command: str, notes: list[str], retain: tuple[str, ...] = ()
    ) -> Result:
        from botocore.exceptions import ClientError

        live = self.describe(name)
        if live is None:
            return Result(key, name, Outcome.ABSENT)
        api = self._api()
        if live["StackStatus"].endswith("_IN_PROGRESS") and live["StackStatus"] != "REVIEW_IN_PROGRESS":
            self._note(key, notes, f"{name} is {live['StackStatus']} from an earlier run: waiting for it")
            self._wait(key, self._watch_for(api, live, None), early=False)
            live = self.describe(live["StackId"])
            if live is None or live["StackStatus"] == "DELETE_COMPLETE":
                return Result(key, name, Outcome.DELETED, status="DELETE_COMPLETE")
        if live.get("EnableTerminationProtection"):
            if not allow_protected:
                raise _Failed(
                    f"{name} has termination protection: prod stacks are deleted only with `{command} delete "
                    "--confirm-prod`; anything else: `aws cloudformation update-termination-protection "
                    f"--no-enable-termination-protection --stack-name {name}` first"
                )
            self._start(
                key,
                name,
                None,
                lambda: api(
                    "update_termination_protection", StackName=live["StackId"], EnableTerminationProtection=False
                ),
            )
            self._note(key, notes, f"termination protection of {name} turned off")
        resources = self._resources(api, live["StackId"])
        total = len(resources)
        watch = self._watch_for(api, live, total)
        self.reporter.update(key, state="DELETE_IN_PROGRESS", done=0, total=total)
        # `delete --retain LogicalId`: DeleteStack's RetainResources, only for a DELETE_FAILED stack (as AWS)
        kept = sorted({r["LogicalResourceId"] for r in resources} & set(retain))
        extra = {"RetainResources": kept} if kept and live["StackStatus"] == "DELETE_FAILED" else {}
        if extra:
            self._note(key, notes, f"{name}: keeping {', '.join(kept)} (not deleted; no longer in any stack)")
        try:
            self._start(
                key,
                name,
                "DELETE_IN_PROGRESS",
                lambda: api(
                    "delete_stack", StackName=live["StackId"], ClientRequestToken=changeset.token("delete"), **extra
                ),
            )
        except ClientError as err:
            raise _Failed(f"delete failed: {error_text(err)}") from None
        final = self._wait(key, watch, deleting=True)
        if final == "DELETE_COMPLETE":
            return Result(key, name, Outcome.DELETED, status=final)
        why = watch.first_failure(api) or "see the stack events"
        failed = sorted(
            {str(e["LogicalResourceId"]) for e in watch.failures if e.get("ResourceStatus") == "DELETE_FAILED"}
        )
        again = f"{command} delete{' --confirm-prod' if allow_protected else ''}"
        keep = " ".join(f"--retain {f}" for f in failed) or "--retain <LogicalId>"
        raise _Failed(
            f"{final}: {why}; retry `{again}` (after `{again} --lift-protection` if a protection refused it), "
            f"or keep what cannot be deleted: `{again} {keep}`"
        )

    def _resources(self, api: Api, stack_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token = None
        while True:
            kwargs: dict[str, Any] = {"StackName": stack_id}
            if token:
                kwargs["NextToken"] = token
            page = api("list_stack_resources", **kwargs)
            found += [r for r in page.get("StackResourceSummaries") or [] if r.get("LogicalResourceId")]
            token = page.get("NextToken")
            if not token:
                return found
