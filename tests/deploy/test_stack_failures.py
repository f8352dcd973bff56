"""Failure paths and stuck states moto cannot produce: a scripted fake CloudFormation client and
botocore's Stubber. Each test is one situation an operator meets, and what the deployer must do."""

from __future__ import annotations

import threading

import boto3
import pytest
from botocore.stub import Stubber

from deploy.aws.session import Aws, Settings
from deploy.engine.cfn import Cancelled, Outcome, Pacer, Request, Timing
from deploy.engine.plan import Deployer, ThreadExecutor
from deploy.engine.stackops import StackOps
from deploy.errors import DeployError, Interrupted
from tests.deploy import templates as T
from tests.deploy.conftest import write_project
from tests.deploy.fakes import FakeCfn, FakeSession, FakeSts, Step, client_error

NAME = "hana-dev-app"
BODY = "Resources:\n  Thing:\n    Type: AWS::SNS::Topic\n"
TAGS = [{"Key": "Project", "Value": "hana"}]


def fast(**kw) -> Timing:
    sleeps: list[float] = []
    timing = Timing(poll_min=1.0, poll_max=4.0, sleep=sleeps.append, **kw)
    timing.sleeps = sleeps  # type: ignore[attr-defined]
    return timing


def request(**kw) -> Request:
    values = dict(key="app", name=NAME, body=BODY, parameters={}, defaults={}, tags=TAGS)
    values.update(kw)
    return Request(**values)


def ops(fake: FakeCfn, **kw) -> StackOps:
    return StackOps(fake, timing=fast(), **kw)


def failure_event(fake: FakeCfn, stack: dict, logical: str, reason: str) -> None:
    fake.event(stack, stack["StackName"], "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated")
    fake.event(stack, logical, "AWS::SQS::Queue", "UPDATE_FAILED", reason)


# --- stuck states ------------------------------------------------------------------------------


def test_a_failed_create_in_rollback_complete_is_deleted_and_created_again():
    fake = FakeCfn()
    stack = fake.add_stack(NAME, "ROLLBACK_COMPLETE")
    fake.event(stack, "Queue", "AWS::SQS::Queue", "CREATE_FAILED", "Queue name must end in .fifo")

    result = ops(fake).deploy(request())

    assert result.outcome is Outcome.CREATED
    calls = fake.ops()
    assert calls.index("delete_stack") < calls.index("create_change_set")
    assert any("ROLLBACK_COMPLETE after a failed create" in n and "creating it again" in n for n in result.notes)
    assert any("Queue name must end in .fifo" in n for n in result.notes)


def test_a_leftover_review_in_progress_stack_is_cleaned_up():
    fake = FakeCfn()
    fake.add_stack(NAME, "REVIEW_IN_PROGRESS")

    result = ops(fake).deploy(request())

    assert result.outcome is Outcome.CREATED
    assert fake.ops().index("delete_stack") < fake.ops().index("create_change_set")
    assert any("REVIEW_IN_PROGRESS" in n and "deleting it" in n for n in result.notes)


def test_a_stack_still_changing_from_an_earlier_run_is_waited_for():
    fake = FakeCfn()
    stack = fake.add_stack(NAME, "UPDATE_IN_PROGRESS", template=BODY, tags=TAGS)
    fake.steps[stack["StackId"]] = [Step("UPDATE_IN_PROGRESS")] * 3 + [Step("UPDATE_COMPLETE")]

    result = ops(fake).deploy(request())

    assert result.outcome is Outcome.UNCHANGED  # after the wait, the template already matches
    assert fake.ops().count("describe_stack_events") >= 3  # polled until it settled (watch.py: events drive polls)
    assert "create_change_set" not in fake.ops()
    assert any("UPDATE_IN_PROGRESS from an earlier run: waiting" in n for n in result.notes)


def test_a_stack_cleaning_up_after_an_earlier_update_is_waited_for_before_the_next():
    fake = FakeCfn()
    stack = fake.add_stack(NAME, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", template="old", tags=TAGS)
    fake.steps[stack["StackId"]] = [Step("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), Step("UPDATE_COMPLETE")]

    result = ops(fake).deploy(request())

    assert result.outcome is Outcome.UPDATED
    assert fake.ops().index("create_change_set") > 2
    assert any("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS from an earlier run: waiting" in n for n in result.notes)


def test_update_rollback_failed_says_exactly_what_to_run():
    fake = FakeCfn()
    stack = fake.add_stack(NAME, "UPDATE_ROLLBACK_FAILED")
    failure_event(fake, stack, "Queue", "Resource handler returned message: Access Denied")

    result = ops(fake).deploy(request(command="python -m deploy --env dev"))

    assert result.outcome is Outcome.FAILED
    assert "python -m deploy --env dev stack app --continue-rollback" in result.message
    assert f"aws cloudformation continue-update-rollback --stack-name {NAME}" in result.message
    assert "Queue (AWS::SQS::Queue): Resource handler returned message: Access Denied" in result.message
    assert "create_change_set" not in fake.ops()


def test_the_nested_master_in_update_rollback_failed_is_continued_with_main():
    """`stack main` is no command: the master's rollback continues with `main --continue-rollback`,
    and the hint parses as printed."""
    from tests.test_docs import parse

    fake = FakeCfn()
    stack = fake.add_stack(NAME, "UPDATE_ROLLBACK_FAILED")
    failure_event(fake, stack, "Queue", "Resource handler returned message: Access Denied")

    result = ops(fake).deploy(request(key="main", command="python -m deploy --env dev --local"))

    assert result.outcome is Outcome.FAILED
    hint = "python -m deploy --env dev --local main --continue-rollback"
    assert f"`{hint}`" in result.message and "stack main" not in result.message
    assert parse(hint.split()[3:]) == ["main"]


def test_continue_rollback_recovers_then_updates():
    fake = FakeCfn()
    fake.add_stack(NAME, "UPDATE_ROLLBACK_FAILED", template="old")
    fake.scripts[NAME] = [
        Step("UPDATE_ROLLBACK_IN_PROGRESS"),
        Step("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"),
        Step("UPDATE_ROLLBACK_COMPLETE"),
    ]

    result = ops(fake).deploy(request(continue_rollback=True))

    assert result.outcome is Outcome.UPDATED
    calls = fake.ops()
    assert calls.index("continue_update_rollback") < calls.index("create_change_set")


# --- failures ----------------------------------------------------------------------------------


def test_the_first_failed_resource_and_its_reason_are_reported():
    fake = FakeCfn()
    fake.events_page = 2  # the events arrive over several pages
    fake.scripts[NAME] = [
        Step("CREATE_IN_PROGRESS", [("Topic", "AWS::SNS::Topic", "CREATE_IN_PROGRESS", None)]),
        Step(
            "CREATE_IN_PROGRESS",
            [
                ("Other", "AWS::SNS::Topic", "CREATE_FAILED", "Resource creation cancelled"),
                ("Queue", "AWS::SQS::Queue", "CREATE_FAILED", "Queue name must end in .fifo for FIFO queues"),
                ("Topic", "AWS::SNS::Topic", "CREATE_COMPLETE", None),
            ],
        ),
        Step("ROLLBACK_IN_PROGRESS", [("Topic", "AWS::SNS::Topic", "DELETE_COMPLETE", None)]),
        Step("ROLLBACK_COMPLETE"),
    ]

    result = ops(fake).deploy(request())

    assert result.outcome is Outcome.FAILED
    assert result.message.startswith(
        "ROLLBACK_COMPLETE: Queue (AWS::SQS::Queue): Queue name must end in .fifo for FIFO queues"
    )
    assert "the next deploy deletes the failed stack and creates it again" in result.message


def test_an_update_that_fails_to_roll_back_points_at_continue_rollback():
    fake = FakeCfn()
    fake.add_stack(NAME, "UPDATE_COMPLETE", template="old")
    fake.scripts[NAME] = [
        Step("UPDATE_IN_PROGRESS", [("Db", "AWS::RDS::DBInstance", "UPDATE_FAILED", "Cannot upgrade postgres")]),
        Step("UPDATE_ROLLBACK_FAILED"),
    ]

    result = ops(fake).deploy(request(command="python -m deploy --env dev"))

    assert result.outcome is Outcome.FAILED
    assert "Db (AWS::RDS::DBInstance): Cannot upgrade postgres" in result.message
    assert "python -m deploy --env dev stack app --continue-rollback" in result.message


def test_a_failed_create_change_set_is_deleted_with_its_review_stack():
    fake = FakeCfn()
    fake.change_set_answer[NAME] = {"Status": "FAILED", "StatusReason": "Template format error: bad"}

    result = ops(fake).deploy(request())

    assert result.outcome is Outcome.FAILED
    assert result.message == "change set failed: Template format error: bad"
    assert fake.change_sets == {}
    assert NAME not in fake.stacks or fake.stacks[NAME]["StackStatus"] == "DELETE_IN_PROGRESS"
    assert "execute_change_set" not in fake.ops()


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param("validation", id="no-updates-validation-error"),
        pytest.param("failed", id="empty-change-set-failed"),
    ],
)
def test_cloudformations_no_changes_answers_count_as_success(answer):
    fake = FakeCfn()
    fake.add_stack(NAME, "UPDATE_COMPLETE", template="# the same, formatted differently\n" + BODY, tags=TAGS)
    if answer == "validation":
        fake.errors["create_change_set"] = [client_error("ValidationError", "No updates are to be performed.")]
    else:
        reason = (
            "The submitted information didn't contain changes. Submit different information to create a change set."
        )
        fake.change_set_answer[NAME] = {"Status": "FAILED", "StatusReason": reason}

    result = ops(fake).deploy(request())

    assert result.outcome is Outcome.UNCHANGED
    assert "execute_change_set" not in fake.ops()
    assert fake.change_sets == {}  # the empty change set was deleted


def test_a_change_set_without_resource_changes_is_executed():
    """Only outputs/parameters differ: CloudFormation gives an executable change set with no Changes."""
    fake = FakeCfn()
    fake.add_stack(NAME, "UPDATE_COMPLETE", template="old", tags=TAGS)
    fake.changes[NAME] = []

    result = ops(fake).deploy(request())

    assert result.outcome is Outcome.UPDATED
    assert "execute_change_set" in fake.ops()


def test_a_wait_gives_up_after_the_timeout():
    fake = FakeCfn()
    stack = fake.add_stack(NAME, "UPDATE_COMPLETE", template="old", tags=TAGS)
    fake.scripts[NAME] = [Step("UPDATE_IN_PROGRESS")] * 1000
    now = [0.0]

    def clock() -> float:
        now[0] += 10.0
        return now[0]

    timing = fast(timeout=60.0, clock=clock)

    result = StackOps(fake, timing=timing).deploy(request())

    assert result.outcome is Outcome.FAILED
    assert "gave up waiting after 1 min" in result.message
    assert f"{stack['StackName']} is still UPDATE_IN_PROGRESS in AWS" in result.message


# --- parameters, protection, delete ------------------------------------------------------------


def test_on_update_deploy_time_parameters_keep_their_live_values():
    fake = FakeCfn()
    fake.add_stack(
        NAME,
        "UPDATE_COMPLETE",
        template="old",
        parameters={"TopicArn": "arn:t", "ImageTag": "v7", "ApiDesiredCount": "2"},
        outputs={"ClusterName": "c", "ApiServiceName": "s"},
    )
    live_counts = {"ApiDesiredCount": "5"}

    req = request(
        parameters={"TopicArn": "arn:t"},
        defaults={"TopicArn": None, "ImageTag": "latest", "ApiDesiredCount": "0"},
        keep_live=("ImageTag", "ApiDesiredCount"),
    )
    result = ops(fake, live_value=lambda name, outputs: live_counts.get(name)).deploy(req)

    assert result.outcome is Outcome.UPDATED
    sent = next(kw for op, kw in fake.calls if op == "create_change_set")["Parameters"]
    assert {"ParameterKey": "ImageTag", "UsePreviousValue": True} in sent
    assert {"ParameterKey": "ApiDesiredCount", "ParameterValue": "5"} in sent
    assert {"ParameterKey": "TopicArn", "ParameterValue": "arn:t"} in sent


def test_a_new_stack_gets_the_template_defaults_for_deploy_time_parameters():
    fake = FakeCfn()
    req = request(defaults={"ImageTag": "latest"}, keep_live=("ImageTag",))

    ops(fake).deploy(req)

    sent = next(kw for op, kw in fake.calls if op == "create_change_set")
    assert sent["Parameters"] == [] and sent["ChangeSetType"] == "CREATE"
    assert sent["Tags"] == TAGS


@pytest.mark.parametrize("existing", [False, True], ids=["created", "unchanged"])
def test_protected_environments_get_termination_protection(existing):
    fake = FakeCfn()
    if existing:
        fake.add_stack(NAME, "UPDATE_COMPLETE", template=BODY, tags=TAGS)

    result = ops(fake).deploy(request(termination_protection=True))

    assert result.outcome is (Outcome.UNCHANGED if existing else Outcome.CREATED)
    assert fake.stacks[NAME]["EnableTerminationProtection"] is True


def test_delete_refuses_a_protected_stack_unless_allowed():
    fake = FakeCfn()
    fake.add_stack(NAME, "UPDATE_COMPLETE", protected=True)

    refused = ops(fake).delete("app", NAME, allow_protected=False, command="python -m deploy --env prod")
    allowed = ops(fake).delete("app", NAME, allow_protected=True)

    assert refused.outcome is Outcome.FAILED
    assert "python -m deploy --env prod delete --confirm-prod" in refused.message
    assert allowed.outcome is Outcome.DELETED
    assert fake.ops().index("update_termination_protection") < fake.ops().index("delete_stack")


def test_a_failed_delete_names_the_resource_and_how_to_keep_it():
    fake = FakeCfn()
    fake.add_stack(NAME, "UPDATE_COMPLETE")
    fake.scripts[NAME] = [
        Step("DELETE_IN_PROGRESS", [("Bucket", "AWS::S3::Bucket", "DELETE_FAILED", "The bucket is not empty")]),
        Step("DELETE_FAILED"),
    ]

    result = ops(fake).delete("app", NAME, allow_protected=False)

    assert result.outcome is Outcome.FAILED
    assert "Bucket (AWS::S3::Bucket): The bucket is not empty" in result.message
    assert "`python -m deploy delete --retain Bucket`" in result.message


# --- polling and throttling --------------------------------------------------------------------


def test_polling_backs_off_and_speeds_up_again_when_something_happens():
    timing = Timing(poll_min=1.0, poll_max=4.0, backoff=2.0, jitter=0.0, sleep=(slept := []).append)
    pacer = Pacer(timing, threading.Event())
    for changed in (False, False, False, False, True, False):
        pacer.wait(changed)
    assert slept == [1.0, 2.0, 4.0, 4.0, 1.0, 2.0]


def test_a_cancelled_wait_stops_at_once():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        Pacer(Timing(poll_min=30.0), cancel).wait()


def test_throttling_is_retried_with_backoff():
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error("describe_stacks", "Throttling", "Rate exceeded")
    stubber.add_client_error("describe_stacks", "Throttling", "Rate exceeded")
    stack = {"StackName": NAME, "StackId": "id-1", "StackStatus": "CREATE_COMPLETE", "CreationTime": "2026-01-01"}
    stubber.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": NAME})
    timing = fast()
    with stubber:
        live = StackOps(client, timing=timing).describe(NAME)
    assert live["StackStatus"] == "CREATE_COMPLETE"
    assert len(timing.sleeps) == 2 and timing.sleeps[1] > timing.sleeps[0] * 0.9
    stubber.assert_no_pending_responses()


def test_other_errors_are_not_retried():
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_client_error("describe_stacks", "AccessDenied", "not allowed")
    timing = fast()
    with stubber, pytest.raises(client.exceptions.ClientError, match="not allowed"):
        StackOps(client, timing=timing).describe(NAME)
    assert timing.sleeps == []


# --- many stacks: failures skip dependents, Ctrl-C ---------------------------------------------


def _deployer(tmp_path, fake: FakeCfn, timing: Timing | None = None) -> Deployer:
    project = write_project(tmp_path, T.STACKS)
    aws = Aws(Settings(), "us-east-1", session=FakeSession(cloudformation=fake, sts=FakeSts()))
    return Deployer(project, aws, timing=timing or fast())


def test_a_failure_skips_the_dependents_and_lets_running_stacks_finish(tmp_path):
    fake = FakeCfn()
    fake.scripts["hana-dev-store"] = [Step("ROLLBACK_IN_PROGRESS"), Step("ROLLBACK_COMPLETE")]
    fake.scripts["hana-dev-net"] = [Step("CREATE_IN_PROGRESS")] * 20 + [Step("CREATE_COMPLETE")]

    report = _deployer(tmp_path, fake).deploy()

    outcomes = {k: r.outcome for k, r in report.results.items()}
    assert outcomes == {"net": "created", "store": "failed", "app": "skipped", "edge": "skipped"}
    assert report.results["app"].message == "store failed"
    assert report.results["edge"].message == "app was skipped"
    assert not report.ok
    assert "hana-dev-app" not in fake.stacks and "hana-dev-edge" not in fake.stacks


class _InterruptWhenBusy(ThreadExecutor):
    """Presses Ctrl-C (raises KeyboardInterrupt in the main thread) once a stack is changing in AWS."""

    def __init__(self, workers: int, deployer: Deployer):
        super().__init__(workers)
        self.deployer = deployer

    def wait_any(self):
        if self.deployer.ops.in_flight:
            self.pressed_at = len(self.deployer.ops.client.calls)
            raise KeyboardInterrupt
        return super().wait_any()


def test_ctrl_c_stops_waiting_and_says_what_is_still_changing(tmp_path):
    fake = FakeCfn()
    fake.scripts["hana-dev-net"] = [Step("CREATE_IN_PROGRESS")] * 100_000
    timing = Timing(poll_min=0.01, poll_max=0.01)  # real (cancel-aware) sleeps
    deployer = _deployer(tmp_path, fake, timing)
    executors = []
    deployer.executor_factory = lambda n: executors.append(_InterruptWhenBusy(n, deployer)) or executors[-1]

    with pytest.raises(Interrupted) as caught:
        deployer.deploy()

    # Nothing new started after Ctrl-C (issue #13): no change set created or executed, no stack deleted
    # except as cleanup: a worker that had created a stack's first change set and not executed it yet
    # drops that empty REVIEW_IN_PROGRESS stack (stackops `except Cancelled`), which ran concurrently
    # with the press in some runs (a race in the test, not a new change in AWS).
    after = fake.calls[executors[0].pressed_at :]
    assert not {"create_change_set", "execute_change_set"} & {op for op, _ in after}, after
    executed = {fake.change_sets[kw["ChangeSetName"]]["StackId"] for op, kw in fake.calls if op == "execute_change_set"}
    never_executed = {cs["StackId"] for cs in fake.change_sets.values() if cs["kind"] == "CREATE"} - executed
    deleted = {kw["StackName"] for op, kw in after if op == "delete_stack"}  # by id (_drop_review_stack)
    assert deleted <= never_executed, after
    changing = {name for name, _ in deployer.ops.in_flight.values()}
    assert changing == {n for n, st in fake.stacks.items() if st["StackStatus"].endswith("_IN_PROGRESS")}
    message = str(caught.value)
    assert caught.value.exit_code == 130
    assert "still changing in AWS" in message and "hana-dev-net (CREATE_IN_PROGRESS)" in message
    assert "resume with `python -m deploy --env dev all`" in message
    assert deployer.cancel.is_set()


def test_an_upstream_stack_stuck_in_a_failed_rollback_is_named_with_its_state_and_the_way_out(tmp_path):
    """Not "not deployed" (issue #13): the stack exists, its state is the problem."""
    fake = FakeCfn()
    fake.add_stack("hana-dev-net", "UPDATE_ROLLBACK_FAILED", outputs={"TopicArn": "arn:t", "TopicName": "t"})
    fake.add_stack("hana-dev-store", "CREATE_COMPLETE", outputs={"QueueArn": "arn:q", "QueueName": "q"})
    with pytest.raises(DeployError) as refused:
        _deployer(tmp_path, fake).deploy(["app"])
    assert str(refused.value) == (
        "hana-dev-app needs hana-dev-net, which is UPDATE_ROLLBACK_FAILED: bring it back first "
        "(`python -m deploy --env dev stack net --continue-rollback`)"
    )


def test_a_deleted_stack_answered_by_id_is_no_stack():
    """Issue #18: AWS answers DescribeStacks by stack id for a deleted stack, in DELETE_COMPLETE
    (DescribeStacks API reference: "Deleted stacks: You must specify the unique stack ID"); that must
    read as "no stack", or the next deploy sends an
    UPDATE to a stack that no longer exists."""
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    gone = {"StackName": NAME, "StackId": "id-1", "StackStatus": "DELETE_COMPLETE", "CreationTime": "2026-01-01"}
    stubber.add_response("describe_stacks", {"Stacks": [gone]}, {"StackName": "id-1"})
    with stubber:
        assert StackOps(client, timing=fast()).describe("id-1") is None
    stubber.assert_no_pending_responses()
