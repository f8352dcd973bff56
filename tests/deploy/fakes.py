"""A scripted fake CloudFormation client, for what moto cannot produce: failed resources,
rollbacks, stuck states, operations that take several polls.

Stacks live in `FakeCfn.stacks` (name -> dict shaped like describe_stacks' answer, plus the
template). An operation (execute, delete, continue-rollback) puts the stack *_IN_PROGRESS and
queues its `Step`s; each describe_stacks of that stack applies the next step (new status, new
events; so does the first page of describe_stack_events, since the deployer's polls are driven by
events and read the stack only when its own status moved), so a test decides exactly what the
deployer sees poll by poll. `calls` records every call; `errors[op]` raises queued exceptions
first; `errors_after[op]` raises them after the call did its work (a retry of a call that had gone
through).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

_ids = itertools.count(1)


def client_error(code: str, message: str, op: str = "Op") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, op)


@dataclass
class Step:
    status: str
    events: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # logical, type, status, reason


def ok_steps(kind: str, resources: list[tuple[str, str]]) -> list[Step]:
    """A clean create/update: each resource in progress then complete, then the stack complete."""
    steps = [Step(f"{kind}_IN_PROGRESS", [(lid, t, f"{kind}_IN_PROGRESS", None)]) for lid, t in resources]
    steps += [Step(f"{kind}_IN_PROGRESS", [(lid, t, f"{kind}_COMPLETE", None)]) for lid, t in resources]
    return [*steps, Step(f"{kind}_COMPLETE")]


class FakeCfn:
    def __init__(self, account: str = "123456789012"):
        self.account = account
        self.stacks: dict[str, dict[str, Any]] = {}
        self.deleted: dict[str, dict[str, Any]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}  # stack id -> newest first
        self.steps: dict[str, list[Step]] = {}  # stack id -> queued steps
        self.change_sets: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: dict[str, list[Exception]] = {}
        self.errors_after: dict[str, list[Exception]] = {}
        self.scripts: dict[str, list[Step]] = {}  # stack name -> steps of its next execute
        self.change_set_answer: dict[str, dict[str, Any]] = {}  # stack name -> {"Status":..., "StatusReason":...}
        self.changes: dict[str, list[dict[str, Any]]] = {}  # stack name -> Changes of its next change set
        self.events_page = 100

    # --- helpers for tests --------------------------------------------------------------------

    def ops(self) -> list[str]:
        return [op for op, _ in self.calls]

    def add_stack(
        self,
        name: str,
        status: str,
        template: str = "Resources: {}\n",
        parameters: dict[str, str] | None = None,
        tags: list[dict[str, str]] | None = None,
        outputs: dict[str, str] | None = None,
        protected: bool = False,
    ) -> dict[str, Any]:
        sid = f"arn:aws:cloudformation:us-east-1:{self.account}:stack/{name}/{next(_ids)}"
        stack = {
            "StackId": sid,
            "StackName": name,
            "StackStatus": status,
            "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()],
            "Tags": list(tags or []),
            "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in (outputs or {}).items()],
            "EnableTerminationProtection": protected,
            "_template": template,
            "_resources": [],
        }
        self.stacks[name] = stack
        self.events[sid] = []
        self.event(stack, name, "AWS::CloudFormation::Stack", status, "User Initiated")
        return stack

    def event(self, stack: dict[str, Any], logical: str, rtype: str, status: str, reason: str | None = None) -> None:
        is_stack = rtype == "AWS::CloudFormation::Stack" and logical == stack["StackName"]
        e = {
            "EventId": f"ev-{next(_ids)}",
            "StackId": stack["StackId"],
            "StackName": stack["StackName"],
            "LogicalResourceId": logical,
            "PhysicalResourceId": stack["StackId"] if is_stack else f"phys-{logical}",
            "ResourceType": rtype,
            "ResourceStatus": status,
            "Timestamp": datetime.now(UTC),
        }
        if reason:
            e["ResourceStatusReason"] = reason
        self.events[stack["StackId"]].insert(0, e)

    def _call(self, op: str, kwargs: dict[str, Any]) -> None:
        self.calls.append((op, kwargs))
        queued = self.errors.get(op)
        if queued:
            raise queued.pop(0)

    def _find(self, name_or_id: str) -> dict[str, Any]:
        for stack in self.stacks.values():
            if name_or_id in (stack["StackName"], stack["StackId"]):
                return stack
        if name_or_id in self.deleted:
            return self.deleted[name_or_id]
        raise client_error("ValidationError", f"Stack with id {name_or_id} does not exist", "DescribeStacks")

    def _start(self, stack: dict[str, Any], status: str, steps: list[Step]) -> None:
        stack["StackStatus"] = status
        self.event(stack, stack["StackName"], "AWS::CloudFormation::Stack", status, "User Initiated")
        self.steps[stack["StackId"]] = list(steps)

    # --- the CloudFormation API used by the deployer ---------------------------------------------

    def _after(self, op: str) -> None:
        queued = self.errors_after.get(op)
        if queued:
            raise queued.pop(0)

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - the API's names
        self._call("describe_stacks", {"StackName": StackName})
        stack = self._find(StackName)
        self._step(stack, StackName)
        public = {k: v for k, v in stack.items() if not k.startswith("_")}
        return {"Stacks": [public]}

    def _step(self, stack: dict[str, Any], asked: str) -> None:
        queued = self.steps.get(stack["StackId"])
        if queued:
            step = queued.pop(0)
            for logical, rtype, status, reason in step.events:
                self.event(stack, logical, rtype, status, reason)
            if step.status != stack["StackStatus"]:
                stack["StackStatus"] = step.status
                self.event(stack, stack["StackName"], "AWS::CloudFormation::Stack", step.status)
            if step.status == "DELETE_COMPLETE":
                self.stacks.pop(stack["StackName"], None)
                self.deleted[stack["StackId"]] = stack
                if asked == stack["StackName"]:
                    raise client_error("ValidationError", f"Stack with id {asked} does not exist")

    def describe_stack_events(self, StackName: str, NextToken: str | None = None) -> dict[str, Any]:  # noqa: N803
        self._call("describe_stack_events", {"StackName": StackName, "NextToken": NextToken})
        stack = self._find(StackName)
        if NextToken is None:
            self._step(stack, StackName)
        events = self.events[stack["StackId"]]
        start = int(NextToken or 0)
        page = events[start : start + self.events_page]
        reply: dict[str, Any] = {"StackEvents": page}
        if start + self.events_page < len(events):
            reply["NextToken"] = str(start + self.events_page)
        return reply

    def get_template(self, StackName: str, TemplateStage: str = "Original") -> dict[str, Any]:  # noqa: N803
        self._call("get_template", {"StackName": StackName})
        return {"TemplateBody": self._find(StackName)["_template"]}

    def create_change_set(self, **kw: Any) -> dict[str, Any]:
        self._call("create_change_set", kw)
        name = kw["StackName"]
        stack = self.add_stack(name, "REVIEW_IN_PROGRESS") if kw["ChangeSetType"] == "CREATE" else self._find(name)
        cs_id = f"arn:aws:cloudformation:us-east-1:{self.account}:changeSet/{kw['ChangeSetName']}/{next(_ids)}"
        answer = self.change_set_answer.pop(name, {"Status": "CREATE_COMPLETE"})
        changes = self.changes.pop(
            name,
            [
                {
                    "Type": "Resource",
                    "ResourceChange": {
                        "Action": "Add",
                        "LogicalResourceId": "Thing",
                        "ResourceType": "AWS::SNS::Topic",
                    },
                }
            ],
        )
        self.change_sets[cs_id] = {
            "Id": cs_id,
            "StackId": stack["StackId"],
            "kind": kw["ChangeSetType"],
            "Changes": changes,
            "request": kw,
            **answer,
        }
        return {"Id": cs_id, "StackId": stack["StackId"]}

    def describe_change_set(self, ChangeSetName: str, NextToken: str | None = None) -> dict[str, Any]:  # noqa: N803
        self._call("describe_change_set", {"ChangeSetName": ChangeSetName})
        cs = self.change_sets[ChangeSetName]
        ready = "AVAILABLE" if cs["Status"] == "CREATE_COMPLETE" else "UNAVAILABLE"
        return {
            "Status": cs["Status"],
            "ExecutionStatus": cs.get("ExecutionStatus", ready),
            "StatusReason": cs.get("StatusReason", ""),
            "Changes": cs["Changes"],
        }

    def delete_change_set(self, ChangeSetName: str) -> dict[str, Any]:  # noqa: N803
        self._call("delete_change_set", {"ChangeSetName": ChangeSetName})
        self.change_sets.pop(ChangeSetName)
        return {}

    def execute_change_set(self, ChangeSetName: str, RetainExceptOnCreate: bool = False, **kw: Any) -> dict[str, Any]:  # noqa: N803
        self._call(
            "execute_change_set", {"ChangeSetName": ChangeSetName, "RetainExceptOnCreate": RetainExceptOnCreate, **kw}
        )
        cs = self.change_sets[ChangeSetName]
        cs["ExecutionStatus"] = "EXECUTE_IN_PROGRESS"
        stack = self._find(cs["StackId"])
        kind = cs["kind"]
        req = cs["request"]
        stack["_template"] = req.get("TemplateBody", stack["_template"])
        previous = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
        stack["Parameters"] = [
            {
                "ParameterKey": p["ParameterKey"],
                "ParameterValue": previous[p["ParameterKey"]] if p.get("UsePreviousValue") else p["ParameterValue"],
            }
            for p in req.get("Parameters", [])
        ]
        stack["Tags"] = req.get("Tags", [])
        steps = self.scripts.pop(stack["StackName"], None) or ok_steps(kind, [("Thing", "AWS::SNS::Topic")])
        self._start(stack, f"{kind}_IN_PROGRESS", steps)
        self._after("execute_change_set")
        return {}

    def delete_stack(self, StackName: str, **kw: Any) -> dict[str, Any]:  # noqa: N803
        self._call("delete_stack", {"StackName": StackName, **kw})
        stack = self._find(StackName)
        steps = self.scripts.pop(stack["StackName"], None) or [Step("DELETE_COMPLETE")]
        self._start(stack, "DELETE_IN_PROGRESS", steps)
        return {}

    def continue_update_rollback(self, StackName: str, **kw: Any) -> dict[str, Any]:  # noqa: N803
        self._call("continue_update_rollback", {"StackName": StackName, **kw})
        stack = self._find(StackName)
        steps = self.scripts.pop(stack["StackName"], None) or [Step("UPDATE_ROLLBACK_COMPLETE")]
        self._start(stack, "UPDATE_ROLLBACK_IN_PROGRESS", steps)
        return {}

    def update_termination_protection(self, StackName: str, EnableTerminationProtection: bool) -> dict[str, Any]:  # noqa: N803
        self._call("update_termination_protection", {"StackName": StackName, "Enable": EnableTerminationProtection})
        self._find(StackName)["EnableTerminationProtection"] = EnableTerminationProtection
        return {}

    def list_stack_resources(self, StackName: str, NextToken: str | None = None) -> dict[str, Any]:  # noqa: N803
        self._call("list_stack_resources", {"StackName": StackName})
        return {"StackResourceSummaries": self._find(StackName)["_resources"]}


class FakeSession:
    """Stands in for boto3.Session in `Aws(settings, region, session=FakeSession(...))`."""

    def __init__(self, **clients: Any):
        self.clients = {"ssm": FakeSsm(), **{name: NothingKept() for name in NothingKept.SERVICES}, **clients}

    def client(self, service: str, **_: Any) -> Any:
        return self.clients[service]


class NothingKept:
    """The services `all` asks whether a retained resource exists already (deploy/engine/adopt.py):
    nothing does, answered as each service answers."""

    SERVICES = ("s3", "logs", "ecr", "sqs", "secretsmanager", "kms")

    def head_bucket(self, **_: Any) -> Any:
        raise client_error("404", "Not Found", "HeadBucket")

    def describe_log_groups(self, **_: Any) -> Any:
        return {"logGroups": []}

    def describe_repositories(self, **_: Any) -> Any:
        raise client_error("RepositoryNotFoundException", "not found", "DescribeRepositories")

    def get_queue_url(self, **_: Any) -> Any:
        raise client_error("AWS.SimpleQueueService.NonExistentQueue", "not found", "GetQueueUrl")

    def describe_secret(self, **_: Any) -> Any:
        raise client_error("ResourceNotFoundException", "not found", "DescribeSecret")

    def get_paginator(self, _name: str) -> Any:
        class Pages:
            def paginate(self, **_: Any) -> Any:
                return iter([{"Keys": []}])

        return Pages()


class FakeSsm:
    """Parameter Store as the deploy lock uses it: PutParameter without Overwrite creates the
    parameter or fails ParameterAlreadyExists, as AWS documents."""

    def __init__(self) -> None:
        self.parameters: dict[str, str] = {}

    @staticmethod
    def _error(code: str, operation: str) -> Exception:
        from botocore.exceptions import ClientError

        return ClientError({"Error": {"Code": code, "Message": code}}, operation)

    def put_parameter(self, Name: str, Value: str, Overwrite: bool = False, **_: Any) -> dict[str, Any]:  # noqa: N803
        if Name in self.parameters and not Overwrite:
            raise self._error("ParameterAlreadyExists", "PutParameter")
        self.parameters[Name] = Value
        return {"Version": 1}

    def get_parameter(self, Name: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        if Name not in self.parameters:
            raise self._error("ParameterNotFound", "GetParameter")
        return {"Parameter": {"Name": Name, "Value": self.parameters[Name]}}

    def delete_parameter(self, Name: str) -> dict[str, Any]:  # noqa: N803
        if self.parameters.pop(Name, None) is None:
            raise self._error("ParameterNotFound", "DeleteParameter")
        return {}


class FakeSts:
    def __init__(self, account: str = "123456789012", arn: str | None = None):
        self.account = account
        self.arn = arn or f"arn:aws:sts::{account}:assumed-role/AWSReservedSSO_AdministratorAccess_0123abcd/alice"

    def get_caller_identity(self) -> dict[str, str]:
        return {"Account": self.account, "Arn": self.arn, "UserId": "AROA:alice"}
