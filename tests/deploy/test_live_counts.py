"""Issue #18 item 1: a stack update passes each ECS service's *live* desired count, read by the
service's name (engine/counts.py), for the separate compute stack and for the nested master alike.

CloudFormation sends a service's DesiredCount to ECS whenever an update touches the service, so
a guessed count (UsePreviousValue: the master's stale "0") would stop running tasks. A service
that does not exist yet gets the template's default; a count that exists but cannot be read
(throttling after the retries, AccessDenied, an endpoint that does not answer) stops the update
before anything is sent, with one line. ECS answers an unknown service with a MISSING failure
(ECS Developer Guide, "API failure reasons"), a deleted one is INACTIVE, one being deleted DRAINING.

AWS failures come from botocore's Stubber; the full paths run on the local emulator too.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from deploy.aws.session import Aws, Settings
from deploy.engine import counts, nested
from deploy.engine.cfn import Outcome, Timing
from deploy.engine.plan import Deployer, ecs_live_value
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project
from tests.deploy.fakes import FakeCfn, FakeSession, FakeSts, client_error

CLUSTER = "hana-dev"
API = "hana-dev-api"
ARN = f"arn:aws:ecs:us-east-1:123456789012:service/{CLUSTER}/{API}"


def fast() -> Timing:
    return Timing(poll_min=0.0, poll_max=0.0, throttle_attempts=3, sleep=lambda seconds: None)


def ecs_client() -> Any:
    return boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def svc(status: str = "ACTIVE", desired: int = 2) -> dict[str, Any]:
    return {"serviceName": API, "serviceArn": ARN, "status": status, "desiredCount": desired, "runningCount": desired}


def expect_describe(stubber: Stubber, reply: dict[str, Any]) -> None:
    stubber.add_response("describe_services", reply, {"cluster": CLUSTER, "services": [API]})


def live_value(tmp_path, ecs: Any) -> Any:
    project = write_project(tmp_path, T.STACKS)
    aws = Aws(Settings(), "us-east-1", session=FakeSession(ecs=ecs, sts=FakeSts()))
    return ecs_live_value(aws, project, fast())


# --- the reader ------------------------------------------------------------------------------------


def test_a_running_service_gives_its_live_count(tmp_path):
    client = ecs_client()
    with Stubber(client) as stubber:
        expect_describe(stubber, {"services": [svc(desired=2)], "failures": []})
        assert live_value(tmp_path, client)("ApiDesiredCount", {}) == "2"
        stubber.assert_no_pending_responses()


def test_other_deploy_parameters_are_not_read_from_ecs(tmp_path):
    client = ecs_client()
    with Stubber(client) as stubber:  # no response queued: any ECS call would fail the test
        assert live_value(tmp_path, client)("ImageTag", {}) is None
        stubber.assert_no_pending_responses()


ABSENT = {
    "no such service (MISSING)": {"services": [], "failures": [{"arn": ARN, "reason": "MISSING"}]},
    "deleted (INACTIVE)": {"services": [svc("INACTIVE", 0)], "failures": []},
    "being deleted (DRAINING)": {"services": [svc("DRAINING", 3)], "failures": []},
    "not in the answer": {"services": [], "failures": []},
}


@pytest.mark.parametrize("reply", ABSENT.values(), ids=ABSENT.keys())
def test_a_service_that_does_not_exist_gets_the_template_default(tmp_path, reply):
    client = ecs_client()
    with Stubber(client) as stubber:
        expect_describe(stubber, reply)
        assert live_value(tmp_path, client)("ApiDesiredCount", {}) == "0"


@pytest.mark.parametrize("code", ["ClusterNotFoundException", "ServiceNotFoundException"])
def test_no_cluster_or_service_yet_gets_the_template_default(tmp_path, code):
    client = ecs_client()
    with Stubber(client) as stubber:
        stubber.add_client_error("describe_services", code, "not found", 400)
        assert live_value(tmp_path, client)("ApiDesiredCount", {}) == "0"


def test_throttling_is_retried_then_stops_the_update_with_one_line(tmp_path):
    client = ecs_client()
    with Stubber(client) as stubber:
        for _ in range(3):  # Timing.throttle_attempts: every attempt throttled
            stubber.add_client_error("describe_services", "ThrottlingException", "Rate exceeded", 400)
        with pytest.raises(counts.CountUnreadable) as caught:
            live_value(tmp_path, client)("ApiDesiredCount", {})
        stubber.assert_no_pending_responses()
    assert str(caught.value) == (
        "ApiDesiredCount: could not read the desired count of hana-dev-api in cluster hana-dev "
        "(DescribeServices: ThrottlingException: Rate exceeded); stopped before updating (a guessed count could "
        "stop running tasks): ECS is throttling this account's calls; deploy again in a minute"
    )


def test_throttling_that_passes_gives_the_live_count(tmp_path):
    client = ecs_client()
    with Stubber(client) as stubber:
        stubber.add_client_error("describe_services", "ThrottlingException", "Rate exceeded", 400)
        expect_describe(stubber, {"services": [svc(desired=4)], "failures": []})
        assert live_value(tmp_path, client)("ApiDesiredCount", {}) == "4"


def test_access_denied_stops_the_update_and_says_which_permission(tmp_path):
    client = ecs_client()
    with Stubber(client) as stubber:
        stubber.add_client_error("describe_services", "AccessDeniedException", "not authorized", 400)
        with pytest.raises(counts.CountUnreadable) as caught:
            live_value(tmp_path, client)("ApiDesiredCount", {})
    assert str(caught.value).endswith("allow ecs:DescribeServices on hana-dev-api for this identity, then deploy again")
    assert "\n" not in str(caught.value)


def test_an_endpoint_that_does_not_answer_stops_the_update(tmp_path):
    class Down:
        def describe_services(self, **_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="https://ecs.us-east-1.amazonaws.com/")

    with pytest.raises(counts.CountUnreadable) as caught:
        live_value(tmp_path, Down())("ApiDesiredCount", {})
    assert "the ECS endpoint did not answer; deploy again when it does" in str(caught.value)


def test_a_failure_other_than_missing_is_not_taken_for_a_missing_service(tmp_path):
    client = ecs_client()
    with Stubber(client) as stubber:
        expect_describe(stubber, {"services": [], "failures": [{"arn": ARN, "reason": "ACCESS_DENIED"}]})
        with pytest.raises(counts.CountUnreadable, match=r"DescribeServices failure: ACCESS_DENIED"):
            live_value(tmp_path, client)("ApiDesiredCount", {})


# --- the separate stacks: `all` / `stack compute` ---------------------------------------------------


def _separate(tmp_path, ecs: Any) -> tuple[Deployer, FakeCfn]:
    fake = FakeCfn()
    fake.add_stack("hana-dev-net", "CREATE_COMPLETE", outputs={"TopicArn": "arn:t", "TopicName": "t"})
    fake.add_stack("hana-dev-store", "CREATE_COMPLETE", outputs={"QueueArn": "arn:q", "QueueName": "q"})
    fake.add_stack(
        "hana-dev-app",
        "UPDATE_COMPLETE",
        template="old",  # a real change: the update goes ahead
        parameters={"TopicArn": "arn:t", "QueueArn": "arn:q", "ImageTag": "v7", "ApiDesiredCount": "0"},
        tags=write_project(tmp_path, T.STACKS).tags("app"),
    )
    project = write_project(tmp_path, T.STACKS)
    aws = Aws(Settings(), "us-east-1", session=FakeSession(cloudformation=fake, ecs=ecs, sts=FakeSts()))
    return Deployer(project, aws, timing=fast()), fake


def _sent(fake: FakeCfn, stack: str) -> dict[str, Any]:
    params = next(kw for op, kw in fake.calls if op == "create_change_set" and kw["StackName"] == stack)["Parameters"]
    return {p["ParameterKey"]: p.get("ParameterValue", "(previous)") for p in params}


def test_a_compute_update_passes_the_count_the_service_runs(tmp_path):
    client = ecs_client()
    with Stubber(client) as stubber:
        expect_describe(stubber, {"services": [svc(desired=2)], "failures": []})
        deployer, fake = _separate(tmp_path, client)
        report = deployer.deploy(["app"])
    assert report.results["app"].outcome is Outcome.UPDATED
    sent = _sent(fake, "hana-dev-app")
    assert sent["ApiDesiredCount"] == "2"  # not the stack's stale "0"
    assert sent["ImageTag"] == "(previous)"


def test_an_unreadable_count_fails_the_stack_before_any_change_set(tmp_path):
    client = ecs_client()
    with Stubber(client) as stubber:
        stubber.add_client_error("describe_services", "AccessDeniedException", "not authorized", 400)
        deployer, fake = _separate(tmp_path, client)
        report = deployer.deploy(["app"])
    result = report.results["app"]
    assert result.outcome is Outcome.FAILED
    assert result.message.startswith("ApiDesiredCount: could not read the desired count of hana-dev-api")
    assert not report.ok
    assert "create_change_set" not in fake.ops()
    assert fake.stacks["hana-dev-app"]["_template"] == "old"


# --- the nested master: `python -m deploy main` -------------------------------------------------


class FakeS3:
    """An empty account's template bucket: every setting accepted, nothing there yet."""

    def head_bucket(self, **_: Any) -> Any:
        raise client_error("404", "Not Found", "HeadBucket")

    def head_object(self, **_: Any) -> Any:
        raise client_error("404", "Not Found", "HeadObject")

    def __getattr__(self, name: str) -> Any:
        return lambda **_: {}


def main_body(key_fn: Any, app_body: str = T.APP_BODY) -> str:
    """A master like main.yaml: the children's deploy parameters are master parameters, passed down."""
    url = "Fn::Sub: https://${{TemplateBucket}}.s3.amazonaws.com/{}"
    return f"""\
Description: nested (test)
Parameters:
  TemplateBucket:
    Type: String
  ImageTag:
    Type: String
    Default: latest
  ApiDesiredCount:
    Type: Number
    Default: '0'
Resources:
  Net:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL:
        {url.format(key_fn("net", T.NET_BODY))}
  Store:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL:
        {url.format(key_fn("store", T.STORE_BODY))}
  App:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL:
        {url.format(key_fn("app", app_body))}
      Parameters:
        TopicArn:
          Fn::GetAtt:
            - Net
            - Outputs.TopicArn
        QueueArn:
          Fn::GetAtt:
            - Store
            - Outputs.QueueArn
        ImageTag:
          Ref: ImageTag
        ApiDesiredCount:
          Ref: ApiDesiredCount
Outputs:
  DesiredSeen:
    Value:
      Fn::GetAtt:
        - App
        - Outputs.DesiredSeen
"""


def _nested_project(tmp_path):
    children = {T.NET: T.NET_BODY, T.STORE: T.STORE_BODY, T.APP: T.APP_BODY}
    return write_project(tmp_path, children, extra={"main": main_body(nested.key_function())})


def _master(tmp_path, ecs: Any) -> tuple[nested.Nested, FakeCfn]:
    project = _nested_project(tmp_path)
    fake = FakeCfn()
    fake.add_stack(
        "hana-dev",
        "UPDATE_COMPLETE",
        template="old",
        parameters={"TemplateBucket": "b", "ImageTag": "v7", "ApiDesiredCount": "0"},  # the stale master value
        tags=project.tags("main"),
    )
    session = FakeSession(cloudformation=fake, ecs=ecs, sts=FakeSts(), s3=FakeS3())
    aws = Aws(Settings(), "us-east-1", session=session)
    return nested.Nested(Deployer(project, aws, timing=fast())), fake


def test_the_nested_master_passes_the_live_count_not_its_stale_parameter(tmp_path):
    client = ecs_client()
    with Stubber(client) as stubber:
        expect_describe(stubber, {"services": [svc(desired=2)], "failures": []})
        master, fake = _master(tmp_path, client)
        report = master.deploy()
        stubber.assert_no_pending_responses()
    assert report.results["main"].outcome is Outcome.UPDATED
    sent = _sent(fake, "hana-dev")
    assert sent["ApiDesiredCount"] == "2"  # the service runs 2; the master said "0"
    assert sent["ImageTag"] == "(previous)"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in fake.stacks["hana-dev"]["Parameters"]}[
        "ApiDesiredCount"
    ] == "2"


def test_the_nested_master_stops_when_the_count_cannot_be_read(tmp_path):
    client = ecs_client()
    with Stubber(client) as stubber:
        for _ in range(3):
            stubber.add_client_error("describe_services", "ThrottlingException", "Rate exceeded", 400)
        master, fake = _master(tmp_path, client)
        report = master.deploy()
    result = report.results["main"]
    assert result.outcome is Outcome.FAILED
    assert "ThrottlingException" in result.message and "deploy again in a minute" in result.message
    assert "create_change_set" not in fake.ops()


# --- on the local emulator -------------------------------------------------------------------


def test_on_the_emulator_a_nested_update_passes_the_running_count_to_the_child(moto, tmp_path):
    project = _nested_project(tmp_path)
    aws = moto_aws(moto)
    first = nested.Nested(Deployer(project, aws)).deploy()
    assert first.results["main"].outcome is Outcome.CREATED
    cfn = aws.client("cloudformation")
    master = cfn.describe_stacks(StackName="hana-dev")["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in master["Parameters"]}["ApiDesiredCount"] == "0"
    ecs = aws.client("ecs")  # scaled behind CloudFormation's back (`scale`, autoscaling)
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.create_service(cluster=CLUSTER, serviceName=API, desiredCount=2)
    changed = T.with_extra_topic(T.APP_BODY)
    (project.env_dir / "app.yaml").write_text(changed)
    (project.env_dir / "main.yaml").write_text(main_body(nested.key_function(), changed))
    project._bodies.clear()

    again = nested.Nested(Deployer(project, aws)).deploy()

    assert again.results["main"].outcome is Outcome.UPDATED, again.results["main"].message
    master = cfn.describe_stacks(StackName="hana-dev")["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in master["Parameters"]}["ApiDesiredCount"] == "2"
    assert {o["OutputKey"]: o["OutputValue"] for o in master["Outputs"]}["DesiredSeen"] == "2"


def test_on_the_emulator_an_unreadable_count_leaves_the_stack_untouched(moto, tmp_path):
    project = write_project(tmp_path, T.STACKS)
    aws = moto_aws(moto)
    Deployer(project, aws).deploy()
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.create_service(cluster=CLUSTER, serviceName=API, desiredCount=2)

    def deny(**_: Any) -> None:  # fault injection: the identity may not call DescribeServices
        raise client_error(
            "AccessDeniedException", "not authorized to perform ecs:DescribeServices", "DescribeServices"
        )

    ecs.meta.events.register("before-call.ecs.DescribeServices", deny)
    (project.env_dir / "app.yaml").write_text(T.with_extra_topic(T.APP_BODY))
    project._bodies.clear()

    report = Deployer(project, aws).deploy()

    assert report.results["app"].outcome is Outcome.FAILED
    assert "allow ecs:DescribeServices on hana-dev-api" in report.results["app"].message
    assert report.results["edge"].outcome is Outcome.SKIPPED
    body = aws.client("cloudformation").get_template(StackName="hana-dev-app")["TemplateBody"]
    assert "Extra" not in str(body)  # no change set was executed
