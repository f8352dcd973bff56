"""The one-stack engine against how real AWS behaves (issue #18 items 3, 4, 5, 7, 8): retries and
idempotency tokens, credentials that expire mid-wait, the API quota polling competes for, templates
over the inline limit, and the cause hidden inside a failed nested stack. AWS's behaviour is
scripted with the fake client (tests/deploy/fakes.py) or botocore's Stubber, each citing where
AWS documents it (or where it was seen); the big template also runs on the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, TokenRetrievalError

from deploy.aws.session import Aws, Settings, credentials_failed, expiry_warning
from deploy.engine.cfn import MAX_INLINE_BODY_BYTES, CredentialsExpired, Outcome, Request, Timing, Unreachable
from deploy.engine.plan import Deployer, FakeClock
from deploy.engine.stackops import StackOps
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project
from tests.deploy.fakes import FakeCfn, FakeSession, FakeSts, Step, client_error

NAME = "hana-dev-app"
BODY = "Resources:\n  Thing:\n    Type: AWS::SNS::Topic\n"
TAGS = [{"Key": "Project", "Value": "hana"}]


def fast(**kw) -> Timing:
    sleeps: list[float] = []
    timing = Timing(sleep=sleeps.append, **kw)
    timing.sleeps = sleeps  # type: ignore[attr-defined]
    return timing


def request(**kw) -> Request:
    values = dict(key="app", name=NAME, body=BODY, parameters={}, defaults={}, tags=TAGS)
    values.update(kw)
    return Request(**values)


def calls(fake: FakeCfn, op: str) -> list[dict]:
    return [kw for name, kw in fake.calls if name == op]


# --- item 3: idempotency under retries -------------------------------------------------------------


def test_every_call_that_starts_work_carries_an_idempotency_token():
    """botocore retries timeouts and 5xx with the same parameters but fills no token for these
    operations (not modelled as idempotency tokens). CreateChangeSet ClientToken: "Specify this token
    if you plan to retry requests so that CloudFormation knows that you're not attempting to create
    another change set with the same name"; ExecuteChangeSet, DeleteStack and ContinueUpdateRollback
    take ClientRequestToken (CloudFormation API reference)."""
    fake = FakeCfn()
    stuck = fake.add_stack("hana-dev-other", "UPDATE_ROLLBACK_FAILED", template=BODY, tags=TAGS)
    ops = StackOps(fake, timing=fast())

    assert ops.deploy(request()).outcome is Outcome.CREATED
    ops.deploy(request(key="other", name=stuck["StackName"], continue_rollback=True))
    assert ops.delete("app", NAME, allow_protected=False).outcome is Outcome.DELETED

    tokens = [
        calls(fake, "create_change_set")[0]["ClientToken"],
        calls(fake, "execute_change_set")[0]["ClientRequestToken"],
        calls(fake, "continue_update_rollback")[0]["ClientRequestToken"],
        calls(fake, "delete_stack")[-1]["ClientRequestToken"],
    ]
    assert all(t.startswith("hana-") and len(t) <= 128 for t in tokens)
    assert len(set(tokens)) == len(tokens)  # one per operation: a new operation is not a retry


def test_a_retried_execute_that_had_gone_through_is_followed_not_failed():
    """The first ExecuteChangeSet went through, its answer was lost, botocore retried: the retry is
    refused with InvalidChangeSetStatus (the change set is executing). The stack is changing in AWS:
    wait for it like any other, don't report it failed and skip its dependants."""
    fake = FakeCfn()
    fake.errors_after["execute_change_set"] = [
        client_error(
            "InvalidChangeSetStatus",
            "ChangeSet [arn] cannot be executed in its current execution status of [EXECUTE_IN_PROGRESS]",
            "ExecuteChangeSet",
        )
    ]

    result = StackOps(fake, timing=fast()).deploy(request())

    assert result.outcome is Outcome.CREATED, result.message
    assert fake.stacks[NAME]["StackStatus"] == "CREATE_COMPLETE"


def test_invalid_change_set_status_when_nothing_was_executed_still_fails():
    fake = FakeCfn()
    fake.errors["execute_change_set"] = [client_error("InvalidChangeSetStatus", "cannot be executed", "Execute")]

    result = StackOps(fake, timing=fast()).deploy(request())

    assert result.outcome is Outcome.FAILED
    assert "InvalidChangeSetStatus" in result.message


@pytest.mark.parametrize("state", ["OBSOLETE", "UNAVAILABLE", "EXECUTE_FAILED"])
def test_a_change_set_that_is_not_available_is_not_executed_and_says_why(state):
    """DescribeChangeSet ExecutionStatus: only AVAILABLE can be executed (API reference: "If the
    change set execution status is AVAILABLE, you can execute the change set")."""
    fake = FakeCfn()
    fake.add_stack(NAME, "UPDATE_COMPLETE", template="old", tags=TAGS)
    fake.change_set_answer[NAME] = {"Status": "CREATE_COMPLETE", "ExecutionStatus": state}

    result = StackOps(fake, timing=fast()).deploy(request())

    assert result.outcome is Outcome.FAILED
    assert result.message.startswith(f"change set is {state}, not AVAILABLE: ")
    assert "run the deploy again" in result.message
    assert "execute_change_set" not in fake.ops()


def test_change_set_not_found_right_after_creation_is_asked_again():
    """DescribeChangeSet right after CreateChangeSet can answer ChangeSetNotFound for a moment
    (Kotaimen/awscfncli #109, aws/aws-cdk #6674 "Intermittent ChangeSetNotFound")."""
    fake = FakeCfn()
    gone = client_error("ChangeSetNotFound", "ChangeSet [arn] does not exist", "DescribeChangeSet")
    fake.errors["describe_change_set"] = [gone, gone]
    timing = fast()

    result = StackOps(fake, timing=timing).deploy(request())

    assert result.outcome is Outcome.CREATED
    assert timing.sleeps[:2] == [0.5, 1.0]


def test_change_set_not_found_that_persists_is_an_error():
    fake = FakeCfn()
    gone = client_error("ChangeSetNotFound", "ChangeSet [arn] does not exist", "DescribeChangeSet")
    fake.errors["describe_change_set"] = [gone] * 10

    result = StackOps(fake, timing=fast()).deploy(request())

    assert result.outcome is Outcome.FAILED and "ChangeSetNotFound" in result.message
    assert fake.ops().count("describe_change_set") == 5


# --- item 4: credentials that expire mid-wait --------------------------------------------------------


class _ExpiresMidWait(FakeCfn):
    """Once a stack is executing, every call fails as `error` (the session ran out)."""

    def __init__(self, error: Exception):
        super().__init__()
        self.error = error

    def _call(self, op, kwargs):
        super()._call(op, kwargs)
        if op != "execute_change_set" and "execute_change_set" in self.ops():
            raise self.error


def _deployer(tmp_path, fake: FakeCfn, profile: str | None = "hana-dev", local: bool = False) -> Deployer:
    project = write_project(tmp_path, T.STACKS)
    if local:
        project.mode = "--local"
    aws = Aws(Settings(profile=profile), "us-east-1", session=FakeSession(cloudformation=fake, sts=FakeSts()))
    return Deployer(project, aws, timing=fast(), concurrency=1)


@pytest.mark.parametrize(
    "error",
    [
        # query APIs (CloudFormation, STS): eksctl-io/eksctl #5968, DescribeStacks mid-wait
        client_error("ExpiredToken", "The security token included in the request is expired", "DescribeStackEvents"),
        # JSON APIs: cloud-custodian #9216
        client_error("ExpiredTokenException", "The security token included in the request is expired", "X"),
        # botocore's SSO token provider when the SSO session ended
        TokenRetrievalError(provider="sso", error_msg="Token has expired and refresh failed"),
    ],
    ids=["ExpiredToken", "ExpiredTokenException", "TokenRetrievalError"],
)
def test_credentials_that_expire_mid_wait_interrupt_the_run_instead_of_failing_stacks(tmp_path, error):
    fake = _ExpiresMidWait(error)
    fake.scripts["hana-dev-net"] = [Step("CREATE_IN_PROGRESS")] * 50 + [Step("CREATE_COMPLETE")]
    deployer = _deployer(tmp_path, fake)

    with pytest.raises(CredentialsExpired) as caught:
        deployer.deploy()

    message = str(caught.value)
    assert message.startswith("AWS stopped accepting the credentials mid-run (")
    assert "still changing in AWS (CloudFormation carries on without us): hana-dev-net (CREATE_IN_PROGRESS)" in message
    assert "sign in again with `python -m deploy --env dev login --profile hana-dev`" in message
    assert message.endswith("then resume with `python -m deploy --env dev all`")
    assert deployer.cancel.is_set()


def test_the_login_hint_of_an_expired_run_carries_the_mode(tmp_path):
    fake = _ExpiresMidWait(client_error("ExpiredToken", "expired", "DescribeStackEvents"))
    with pytest.raises(CredentialsExpired) as caught:
        _deployer(tmp_path, fake, profile=None, local=True).deploy()
    assert "`python -m deploy --env dev --local login --profile NAME`" in str(caught.value)


def test_a_lost_endpoint_mid_wait_interrupts_the_run_too(tmp_path):
    fake = _ExpiresMidWait(EndpointConnectionError(endpoint_url="https://cloudformation.us-east-1.amazonaws.com"))
    with pytest.raises(Unreachable) as caught:
        _deployer(tmp_path, fake).deploy()
    assert "in flight when it stopped answering: hana-dev-net (CREATE_IN_PROGRESS)" in str(caught.value)


@pytest.mark.parametrize(
    "code,expected",
    [("ExpiredToken", True), ("UnrecognizedClientException", True), ("AccessDenied", False), ("Throttling", False)],
)
def test_which_errors_mean_the_credentials_stopped_working(code, expected):
    assert (credentials_failed(client_error(code, "x")) is not None) is expected


def _sso_profile(home, expires: datetime, refresh: bool = False) -> None:
    """An sso-session profile and its cached token, where botocore keeps it (sha1 of the session name)."""
    import hashlib
    import json

    (home / "config").write_text(
        "[profile hana-dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n"
        "region = us-east-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
        "sso_region = us-east-1\n"
    )
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    token = {
        "startUrl": "https://corp.awsapps.com/start",
        "region": "us-east-1",
        "accessToken": "t",
        "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if refresh:
        token.update(refreshToken="r", clientId="c", clientSecret="s", registrationExpiresAt="2099-01-01T00:00:00Z")
    (cache / f"{hashlib.sha1(b'corp').hexdigest()}.json").write_text(json.dumps(token))  # noqa: S324 - botocore's key


@pytest.mark.parametrize(
    "minutes_left,refresh,warned",
    [(12, False, True), (-5, False, True), (45, False, False), (12, True, False)],
    ids=["expires-in-12-min", "expired", "lasts-long-enough", "botocore-refreshes-it"],
)
def test_a_long_run_warns_first_when_the_sso_session_ends_sooner(tmp_path, monkeypatch, minutes_left, refresh, warned):
    import os

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    now = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    _sso_profile(home, now + timedelta(minutes=minutes_left), refresh)
    assert os.environ["HOME"] == str(home)
    aws = Aws(Settings(profile="hana-dev"), "us-east-1", session=FakeSession())

    text = expiry_warning(aws, "python -m deploy --env prod", now)

    if not warned:
        assert text is None
        return
    assert text is not None and text.startswith("warning: the credentials of profile hana-dev ")
    assert "(up to 30 min)" in text
    assert "`python -m deploy --env prod login --profile hana-dev`" in text
    assert ("have expired" in text) is (minutes_left < 0)


def test_no_expiry_warning_on_the_emulator():
    aws = Aws(Settings(endpoint_url="http://127.0.0.1:4566"), "us-east-1", session=FakeSession())
    assert expiry_warning(aws, "python -m deploy --env dev --local", datetime(2026, 12, 5, tzinfo=UTC)) is None


# --- item 5: polling that shares the API quota ---------------------------------------------------------


class _Timed(FakeCfn):
    """A create that takes simulated time: `timeline` (seconds after execute, logical id, status)
    resource events, the stack CREATE_COMPLETE at `done_at`. `log` records (time, operation)."""

    def __init__(self, clock: FakeClock, timeline: list[tuple[float, str, str]], done_at: float):
        super().__init__()
        self.clock = clock
        self.timeline = timeline
        self.done_at = done_at
        self.started: dict[str, float] = {}
        self.log: list[tuple[float, str]] = []

    def _call(self, op, kwargs):
        self.log.append((self.clock.now, op))
        super()._call(op, kwargs)

    def execute_change_set(self, ChangeSetName, **kw):  # noqa: N803
        reply = super().execute_change_set(ChangeSetName, **kw)
        sid = self.change_sets[ChangeSetName]["StackId"]
        self.steps.pop(sid, None)
        self.started[sid] = self.clock.now
        self.pending = list(self.timeline)
        return reply

    def _step(self, stack, asked):
        start = self.started.get(stack["StackId"])
        if start is None or stack["StackStatus"] != "CREATE_IN_PROGRESS":
            return
        elapsed = self.clock.now - start
        while self.pending and self.pending[0][0] <= elapsed:
            _, logical, status = self.pending.pop(0)
            self.event(stack, logical, "AWS::RDS::DBInstance", status)
        if elapsed >= self.done_at:
            stack["StackStatus"] = "CREATE_COMPLETE"
            self.event(stack, stack["StackName"], "AWS::CloudFormation::Stack", "CREATE_COMPLETE")


def _timed_create(timing_kw: dict) -> tuple[_Timed, FakeClock, Timing]:
    clock = FakeClock()
    # An RDS-like create: 15 min, events at the start and near the end, a long quiet spell between.
    timeline = [(1.0, "Db", "CREATE_IN_PROGRESS"), (2.0, "Db", "CREATE_IN_PROGRESS"), (880.0, "Db", "CREATE_COMPLETE")]
    fake = _Timed(clock, timeline, done_at=900.0)
    timing = Timing(clock=clock, sleep=lambda s: setattr(clock, "now", clock.now + s), **timing_kw)
    result = StackOps(fake, timing=timing).deploy(request())
    assert result.outcome is Outcome.CREATED
    return fake, clock, timing


def _per_minute(fake: _Timed) -> list[int]:
    start = next(t for t, op in fake.log if op == "execute_change_set")
    end = max(t for t, _ in fake.log)
    polls = [t for t, op in fake.log if op in ("describe_stacks", "describe_stack_events") and t >= start]
    return [sum(1 for t in polls if m * 60 <= t - start < (m + 1) * 60) for m in range(int((end - start) // 60) + 1)]


def test_a_long_wait_polls_events_every_few_seconds_and_reads_the_stack_rarely():
    """CloudFormation's API quota is per account and region, shared by every caller (aws-cli #2948,
    stacker #337: `Throttling: Rate exceeded` from stacks polled in parallel). The 1 s / two-call
    polls made ~60-120 calls a minute per stack; now ~6-30, DescribeStacks only when the stack's
    own status moves (or every 6th poll)."""
    fake, clock, timing = _timed_create({})

    minutes = _per_minute(fake)
    assert len(minutes) >= 15
    assert max(minutes) <= 32, minutes  # the first minute, polls at 2-5 s
    assert sum(minutes) / len(minutes) <= 10, minutes  # the quiet spell, at ~10 s
    quiet = minutes[6:13]  # from minute 6 on nothing happens (quiet > long_after = 4 min)
    assert all(m <= 8 for m in quiet), minutes
    polls = [op for t, op in fake.log if op == "describe_stack_events"]
    reads = [op for t, op in fake.log if op == "describe_stacks"]
    assert len(reads) <= len(polls) / timing.status_every + 4
    # and the end is still noticed promptly: at most one long poll (+ jitter) after it happened
    assert clock.now - 900.0 <= timing.poll_long * (1 + timing.jitter) + 1


def test_polls_are_jittered_and_back_off_to_the_long_cap():
    fake, _, timing = _timed_create({})
    gaps = [s for s in _sleeps(fake)]
    assert len(set(round(g, 3) for g in gaps)) > len(gaps) / 2  # jittered: no two parallel stacks in lockstep
    assert max(gaps) <= timing.poll_long * (1 + timing.jitter)
    assert min(gaps) >= timing.poll_min * (1 - timing.jitter)


def _sleeps(fake: _Timed) -> list[float]:
    polls = [t for t, op in fake.log if op == "describe_stack_events"]
    return [b - a for a, b in zip(polls, polls[1:], strict=False) if b > a]


def test_the_emulator_keeps_short_polls(tmp_path):
    """No quota to share on loopback, and the emulator's operations finish in well under a second."""
    local = Aws(
        Settings(endpoint_url="http://127.0.0.1:4566"), "us-east-1", session=FakeSession(cloudformation=FakeCfn())
    )
    remote = Aws(Settings(profile="p"), "us-east-1", session=FakeSession(cloudformation=FakeCfn()))
    project = write_project(tmp_path, T.STACKS)
    assert Deployer(project, local).timing == Timing.local()
    assert Deployer(project, remote).timing.poll_min == 2.0


# --- item 7: templates over the inline limit -----------------------------------------------------------


def _big(body: str, size: int = MAX_INLINE_BODY_BYTES + 1000) -> str:
    """The body with a Metadata block padding it past `size` bytes (still a valid template)."""
    lines = "".join(f"  Line{i:05d}: {'x' * 90}\n" for i in range(size // 100 + 1))
    return body + "Metadata:\n" + lines


def test_a_body_over_the_inline_limit_goes_as_a_template_url():
    """TemplateBody: at most 51,200 bytes (CloudFormation quotas, "Template body size in a request");
    bigger bodies must be in S3 and passed as TemplateURL."""
    fake = FakeCfn()
    uploaded: list[tuple[str, int]] = []

    def upload(key: str, body: str) -> str:
        uploaded.append((key, len(body.encode())))
        return f"https://bucket.s3.us-east-1.amazonaws.com/templates/{key}-abc.yaml"

    big = _big(BODY)
    assert len(big.encode()) > MAX_INLINE_BODY_BYTES
    result = StackOps(fake, timing=fast(), upload=upload).deploy(request(body=big))

    assert result.outcome is Outcome.CREATED
    sent = calls(fake, "create_change_set")[0]
    assert sent["TemplateURL"] == "https://bucket.s3.us-east-1.amazonaws.com/templates/app-abc.yaml"
    assert "TemplateBody" not in sent
    assert uploaded == [("app", len(big.encode()))]


def test_a_body_within_the_limit_stays_inline():
    fake = FakeCfn()
    StackOps(fake, timing=fast(), upload=lambda k, b: pytest.fail("uploaded")).deploy(request())
    assert "TemplateBody" in calls(fake, "create_change_set")[0]


def test_a_big_body_deploys_through_the_template_bucket_on_the_emulator(tmp_path, moto):
    stacks = dict(T.STACKS)
    net = next(spec for spec in stacks if spec.name == "net")
    stacks[net] = _big(stacks[net])
    project = write_project(tmp_path, stacks)
    aws = moto_aws(moto)
    sent: list[dict] = []
    aws.client("cloudformation").meta.events.register(
        "before-parameter-build.cloudformation.CreateChangeSet", lambda params, **_: sent.append(dict(params))
    )

    report = Deployer(project, aws).deploy(["net"])

    assert report.results["net"].outcome is Outcome.CREATED, report.results["net"].message
    assert "TemplateURL" in sent[0] and "TemplateBody" not in sent[0]
    bucket = sent[0]["TemplateURL"].split("//", 1)[1].split(".s3.", 1)[0]
    assert bucket.startswith("hana-cfn-templates-")
    # a re-run is still a no-op: GetTemplate answers the body that went through S3
    again = Deployer(project, aws).deploy(["net"])
    assert again.results["net"].outcome is Outcome.UNCHANGED


# --- item 8: the cause inside a failed nested stack -------------------------------------------------------


def test_a_failed_nested_stack_shows_the_childs_first_failed_resource():
    """A nested stack's failure reads "Embedded stack <arn> was not successfully created: The
    following resource(s) failed to create: [...]"; the reason is only in the child's own events
    (aws/aws-cdk #5974; aws-samples/aws-scalable-big-blue-button-example #74: "The failure details are
    not part of the parent stack"). The failed resource's PhysicalResourceId is the child's stack id."""
    fake = FakeCfn()
    child = fake.add_stack("hana-dev-Compute-1ABC", "CREATE_IN_PROGRESS")
    fake.event(child, "AlbListener", "AWS::ElasticLoadBalancingV2::Listener", "CREATE_IN_PROGRESS")
    fake.event(
        child,
        "AlbListener",
        "AWS::ElasticLoadBalancingV2::Listener",
        "CREATE_FAILED",
        "Certificate 'arn:aws:acm:us-east-1:123:certificate/x' not found (Service: ElasticLoadBalancingV2)",
    )
    fake.event(child, "Cluster", "AWS::ECS::Cluster", "CREATE_FAILED", "Resource creation cancelled")
    fake.event(child, child["StackName"], "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE")
    embedded = (
        f"Embedded stack {child['StackId']} was not successfully created: "
        "The following resource(s) failed to create: [AlbListener, Cluster]."
    )
    fake.scripts["hana-dev"] = [
        Step("CREATE_IN_PROGRESS", [("Compute", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", None)]),
        Step("ROLLBACK_IN_PROGRESS", [("Compute", "AWS::CloudFormation::Stack", "CREATE_FAILED", embedded)]),
        Step("ROLLBACK_COMPLETE"),
    ]
    original_event = fake.event

    def event(stack, logical, rtype, status, reason=None):  # the nested resource's physical id is the child
        original_event(stack, logical, rtype, status, reason)
        if logical == "Compute":
            fake.events[stack["StackId"]][0]["PhysicalResourceId"] = child["StackId"]

    fake.event = event

    result = StackOps(fake, timing=fast()).deploy(request(key="main", name="hana-dev"))

    assert result.outcome is Outcome.FAILED
    assert result.message.startswith(
        "ROLLBACK_COMPLETE: Compute (AWS::CloudFormation::Stack) failed at AlbListener "
        "(AWS::ElasticLoadBalancingV2::Listener) in hana-dev-Compute-1ABC: Certificate "
    )
    assert "Embedded stack" not in result.message


def test_an_unreadable_child_keeps_the_parents_reason():
    fake = FakeCfn()
    reason = "Embedded stack arn:aws:cloudformation:us-east-1:1:stack/gone/1 was not successfully created"
    fake.scripts["hana-dev"] = [
        Step("ROLLBACK_IN_PROGRESS", [("Compute", "AWS::CloudFormation::Stack", "CREATE_FAILED", reason)]),
        Step("ROLLBACK_COMPLETE"),
    ]
    result = StackOps(fake, timing=fast()).deploy(request(key="main", name="hana-dev"))
    assert result.outcome is Outcome.FAILED
    assert "Compute (AWS::CloudFormation::Stack): Embedded stack" in result.message


def _run_with_expiring_sso(tmp_path, monkeypatch, args: list[str]) -> Any:
    """`python -m deploy --profile hana-dev ARGS` with an SSO token that expires in 10 minutes, on fakes."""
    from click.testing import CliRunner

    from deploy.commands import cli
    from deploy.commands.group import App
    from tests.deploy.fakes import FakeSsm

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    _sso_profile(home, datetime.now(UTC) + timedelta(minutes=10))
    project = write_project(tmp_path, T.STACKS)
    session = FakeSession(cloudformation=FakeCfn(), sts=FakeSts(), ssm=FakeSsm())
    app = App(
        project_factory=lambda env: project,
        aws_factory=lambda settings, region: Aws(settings, region, session=session),
        interactive=lambda: False,
        timing=fast(),
    )
    return CliRunner().invoke(cli, ["--profile", "hana-dev", *args], obj=app)


def _expiry_warning(result: Any) -> str:
    return next(line for line in result.stderr.splitlines() if line.startswith("warning: the credentials"))


def test_delete_prints_the_expiry_warning_before_it_starts(tmp_path, monkeypatch):
    """`all`, `main` and `delete` warn first (deploy/commands/stacks.py); `delete` with nothing to
    delete is the quickest way to see the wiring."""
    result = _run_with_expiring_sso(tmp_path, monkeypatch, ["delete", "--yes"])

    assert result.exit_code == 0, result.output
    warning = _expiry_warning(result)
    assert "expire in 9 min" in warning or "expire in 10 min" in warning
    assert "`python -m deploy --env dev login --profile hana-dev`" in warning
    assert "nothing to delete" in result.stdout


def test_stack_prints_the_expiry_warning_before_it_changes_anything(tmp_path, monkeypatch):
    """`stack NAME` warns too (one stack can outlive a short session: RDS Multi-AZ takes ~15 min)."""
    result = _run_with_expiring_sso(tmp_path, monkeypatch, ["stack", "net", "--skip-preflight"])

    warning = _expiry_warning(result)
    assert "`python -m deploy --env dev login --profile hana-dev`" in warning
    assert result.stderr.index("warning: the credentials") < result.stderr.index("net")
    assert result.exit_code == 0, result.output


def test_a_failed_nested_stack_names_the_childs_cause_on_the_emulator(moto):
    """The emulator fails the parent the way AWS does ("Embedded stack <arn> was not successfully
    created: ...", the child deleted by the parent's rollback, its events still readable by id)."""
    import json

    aws = moto_aws(moto)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="templates")
    bad = {"Resources": {"Bad": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "bad", "FifoQueue": True}}}}
    s3.put_object(Bucket="templates", Key="bad.json", Body=json.dumps(bad).encode())
    parent = {
        "Resources": {
            "Producer": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {"TemplateURL": "https://templates.s3.us-east-1.amazonaws.com/bad.json"},
            }
        }
    }

    result = StackOps(aws.client("cloudformation"), timing=Timing.local()).deploy(
        request(key="main", name="hana-dev", body=json.dumps(parent))
    )

    assert result.outcome is Outcome.FAILED
    assert "Producer (AWS::CloudFormation::Stack) failed at Bad (AWS::SQS::Queue) in " in result.message, result.message
    assert "Embedded stack" not in result.message


class _EmptyBody:
    def stream(self, **_):
        yield b""


def test_botocore_retries_a_lost_execute_answer_with_the_same_token_on_the_emulator(tmp_path, moto):
    """The first ExecuteChangeSet reaches the server but its answer is lost (a 500 in its place):
    botocore's standard retry mode resends the request as it was, token included, so CloudFormation
    can tell the retry from a second execute (ClientRequestToken, ExecuteChangeSet API reference)."""
    import urllib.request

    from botocore.awsrequest import AWSResponse

    aws = moto_aws(moto)
    bodies: list[str] = []

    def lose_the_first_answer(request, **_):
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        bodies.append(body)
        if len(bodies) > 1:
            return None
        sent = urllib.request.Request(request.url, data=body.encode(), headers=dict(request.headers), method="POST")
        urllib.request.urlopen(sent, timeout=10).read()  # noqa: S310 - the emulator on 127.0.0.1
        return AWSResponse(request.url, 500, {}, _EmptyBody())

    aws.client("cloudformation").meta.events.register(
        "before-send.cloudformation.ExecuteChangeSet", lose_the_first_answer
    )

    report = Deployer(write_project(tmp_path, T.STACKS), aws).deploy(["net"])

    assert report.results["net"].outcome is Outcome.CREATED, report.results["net"].message
    tokens = [part for body in bodies for part in body.split("&") if part.startswith("ClientRequestToken=")]
    assert len(bodies) == 2 and len(tokens) == 2 and tokens[0] == tokens[1]
