"""Ctrl-C is a barrier (issue #13): after it nothing new starts in AWS (no change set created or
executed, no stack deleted), what this run created and did not start is cleaned up, and the list
of what is still changing is exact.

The interruption is injected deterministically at each point of one stack's operation, from the
API call that marks that point (a botocore `before-parameter-build` hook), and every CloudFormation call
made after it is recorded.
"""

from __future__ import annotations

import pytest

from deploy.engine.cfn import Cancelled, Timing
from deploy.engine.plan import Deployer
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project

STARTS_WORK = {"CreateChangeSet", "ExecuteChangeSet", "DeleteStack", "ContinueUpdateRollback", "UpdateStack"}
FAST = Timing(poll_min=0.01, poll_max=0.02, backoff=1.5, timeout=30)


class Injector:
    """Calls `deployer.interrupt()` before the `nth` call of `operation` for stack `stack`, and
    records every CloudFormation call from then on."""

    def __init__(self, deployer: Deployer, operation: str, stack: str, nth: int = 1):
        self.deployer, self.operation, self.stack, self.nth = deployer, operation, stack, nth
        self.seen = 0
        self.after: list[tuple[str, dict]] = []
        self.fired = False

    def __call__(self, model, params, **_kwargs):
        name = model.name
        if self.fired:
            self.after.append((name, dict(params)))
            return
        target = str(params.get("StackName") or params.get("ChangeSetName") or "")
        if name == self.operation and (self.stack in target or self.operation == "DescribeChangeSet"):
            self.seen += 1
            if self.seen == self.nth:
                self.deployer.interrupt()
                self.fired = True
                self.after.append((name, dict(params)))


def _deployer(moto, tmp_path):
    project = write_project(tmp_path, T.STACKS)
    aws = moto_aws(moto)
    return Deployer(project, aws, timing=FAST, concurrency=1), aws


@pytest.mark.parametrize(
    ("operation", "nth", "app_exists"),
    [
        pytest.param("DescribeStacks", 1, False, id="before-create"),
        # net, store, app run one at a time: the third change set is app's
        pytest.param("DescribeChangeSet", 3, False, id="between-create-and-execute"),
        pytest.param("DescribeStackEvents", 2, True, id="while-polling"),
    ],
)
def test_nothing_starts_after_ctrl_c(moto, tmp_path, operation, nth, app_exists):
    deployer, aws = _deployer(moto, tmp_path)
    cfn = deployer.ops.client
    injector = Injector(deployer, operation, "hana-dev-app", nth)
    cfn.meta.events.register("before-parameter-build.cloudformation", injector)
    with pytest.raises(Cancelled):
        deployer.deploy()
    assert injector.fired, "the injection point was never reached"
    started = [(op, p) for op, p in injector.after if op in STARTS_WORK]
    # Only cleanup of what this run created and never started is allowed: its own REVIEW_IN_PROGRESS stack.
    assert all(op == "DeleteStack" for op, _ in started), started
    assert "CreateChangeSet" not in [op for op, _ in injector.after]
    assert "ExecuteChangeSet" not in [op for op, _ in injector.after]
    stacks = {
        s["StackName"]: s["StackStatus"]
        for s in aws.client("cloudformation").list_stacks()["StackSummaries"]
        if s["StackStatus"] != "DELETE_COMPLETE"
    }
    # Nothing left behind before execution (no REVIEW_IN_PROGRESS stack); after it, the stack is there.
    assert ("hana-dev-app" in stacks) is app_exists, stacks
    assert "edge" not in {k for k in deployer.ops.in_flight} and "hana-dev-edge" not in stacks
    # The in-flight list is exact: the stacks still changing in AWS (the emulator settles each
    # operation before answering, so none is; test_stack_failures covers a stack that is).
    flying = {name for name, _status in deployer.ops.in_flight.values()}
    assert flying == {name for name, status in stacks.items() if status.endswith("_IN_PROGRESS")}


def test_the_interrupted_message_names_exactly_what_is_changing(moto, tmp_path):
    deployer, _aws = _deployer(moto, tmp_path)
    deployer.ops.in_flight["app"] = ("hana-dev-app", "CREATE_IN_PROGRESS")
    text = deployer._interrupted_message("deploy", dict(deployer.ops.in_flight))
    assert "hana-dev-app (CREATE_IN_PROGRESS)" in text
    assert "resume with `python -m deploy --env dev all`" in text
    assert "nothing was changing" in deployer._interrupted_message("deploy", {})


def test_an_interrupted_nested_rollout_is_followed_with_status_not_redone_with_main(moto, tmp_path):
    """push's rollout through the nested master: after Ctrl-C there is nothing to carry on, and
    `main` would deploy every other change out/ holds; the hint is to follow the update."""
    deployer, _aws = _deployer(moto, tmp_path)
    flying = {"main": ("hana-dev", "UPDATE_IN_PROGRESS")}
    text = deployer._interrupted_message("status", flying)
    assert "hana-dev (UPDATE_IN_PROGRESS)" in text
    assert "follow it with `python -m deploy --env dev status`: it finishes, or rolls back, by itself" in text
    assert " main`" not in text and "resume with" not in text
    assert (
        deployer._interrupted_message("status", {})
        == "interrupted: nothing was changing in AWS; nothing was rolled out"
    )


def test_a_closed_gate_refuses_and_an_open_one_counts():
    import threading

    from deploy.engine.stackops import StartGate

    gate = StartGate(threading.Event())
    with gate.start():
        pass
    gate.close()
    with pytest.raises(Cancelled), gate.start():
        pass
