"""`drift [STACK]`: CloudFormation drift detection, property by property.

DetectStackDrift starts a detection and returns its id; DescribeStackDriftDetectionStatus reports
DETECTION_IN_PROGRESS / DETECTION_COMPLETE / DETECTION_FAILED; then DescribeStackResourceDrifts
lists each resource's status with its PropertyDifferences (PropertyPath, ExpectedValue,
ActualValue, DifferenceType ADD/REMOVE/NOT_EQUAL). Only properties set in the template are
compared, and "you can only run a single drift detection operation on a given stack at the same
time" (AWS CloudFormation User Guide, "Detect drift on an entire CloudFormation stack"). A
detection can end DETECTION_FAILED yet still hold results for the resources it could check (the
reason names the others), so those results are shown too. Detection changes nothing but the
stack's drift status.

A nested deployment (`python -m deploy main`): "When detecting drift on a stack, CloudFormation
doesn't detect drift on any nested stacks belonging to that stack. Perform DetectStackDrift
directly on the nested stack itself" (DetectStackDrift, CloudFormation API Reference). So the
command detects on each child (`hana-<env>-<Logical>-<id>`, found by nested.find_children), never
on the master, whose only resources are those children.

Exported: Difference, ResourceDrift, StackDrift, find_children, detect, detect_all.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from deploy.engine.cfn import Pacer
from deploy.errors import DeployError
from deploy.ops.context import Ops

SHOWN = ("MODIFIED", "DELETED")  # IN_SYNC and NOT_CHECKED resources are counted, not listed


@dataclass
class Difference:
    path: str
    kind: str  # ADD, REMOVE, NOT_EQUAL
    expected: str
    actual: str


@dataclass
class ResourceDrift:
    logical_id: str
    type: str
    physical_id: str
    status: str  # MODIFIED, DELETED
    differences: list[Difference] = field(default_factory=list)


@dataclass
class StackDrift:
    key: str
    name: str
    status: str  # DRIFTED, IN_SYNC, NOT_CHECKED, UNKNOWN, or NOT DEPLOYED
    detection: str = ""  # DETECTION_COMPLETE, DETECTION_FAILED
    reason: str = ""
    drifted_count: int = 0
    resources: list[ResourceDrift] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return self.status == "DRIFTED"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def find_children(ops: Ops, project: Any) -> bool:
    """Point `project.stack_name` at the children of the nested deployment `hana-<env>` when it
    exists (True); the separate stacks' names stand otherwise."""
    from deploy.engine.nested import children_of

    return children_of(ops.client("cloudformation"), project)


def detect(ops: Ops, key: str, name: str) -> StackDrift:
    """Detect drift on one stack, wait for the result, list what differs."""
    from botocore.exceptions import ClientError

    cfn = ops.client("cloudformation")
    try:
        detection = cfn.detect_stack_drift(StackName=name)["StackDriftDetectionId"]
    except ClientError as err:
        if "does not exist" in str(err):
            return StackDrift(key, name, "NOT DEPLOYED")
        raise
    pacer = Pacer(ops.timing, ops.cancel)
    deadline = ops.clock() + ops.timing.timeout
    while True:
        state = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
        if state["DetectionStatus"] != "DETECTION_IN_PROGRESS":
            break
        if ops.clock() > deadline:
            raise DeployError(f"drift detection of {name} still running after {ops.timing.timeout:.0f} s")
        pacer.wait()
    result = StackDrift(
        key,
        name,
        state.get("StackDriftStatus") or "UNKNOWN",
        detection=state["DetectionStatus"],
        reason=" ".join(str(state.get("DetectionStatusReason") or "").split()),
        drifted_count=int(state.get("DriftedStackResourceCount") or 0),
    )
    kwargs: dict[str, Any] = {"StackName": name, "StackResourceDriftStatusFilters": list(SHOWN)}
    while True:
        page = cfn.describe_stack_resource_drifts(**kwargs)
        for d in page.get("StackResourceDrifts") or []:
            result.resources.append(
                ResourceDrift(
                    d["LogicalResourceId"],
                    d.get("ResourceType", ""),
                    d.get("PhysicalResourceId", ""),
                    d["StackResourceDriftStatus"],
                    [
                        Difference(
                            p["PropertyPath"], p["DifferenceType"], p.get("ExpectedValue", ""), p.get("ActualValue", "")
                        )
                        for p in d.get("PropertyDifferences") or []
                    ],
                )
            )
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    return result


def detect_all(ops: Ops, stacks: dict[str, str]) -> list[StackDrift]:
    """`detect` for each key -> stack name, in parallel (each stack has its own detection)."""
    keys = list(stacks)
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(keys)))) as pool:
        return list(pool.map(lambda k: detect(ops, k, stacks[k]), keys))
