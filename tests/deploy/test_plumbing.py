"""The deployer against a real AWS API surface (moto's server, in-process): order, parameters from
outputs, the no-op re-run, deploy-time parameters kept live, plan, status, outputs, delete order,
the nested upload, and the real messaging template."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from deploy.engine import nested
from deploy.engine.cfn import Outcome
from deploy.engine.plan import Deployer
from deploy.engine.project import DEFAULT_OUT, Project
from deploy.ui import views
from deploy.ui.progress import Reporter
from hana_templates import config, registry
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project


class Recorder(Reporter):
    """Remembers the order stacks start and finish in."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self._lock = threading.Lock()

    def start(self, key: str) -> None:
        with self._lock:
            self.log.append(("start", key))

    def finish(self, key: str, result: Any) -> None:
        with self._lock:
            self.log.append(("finish", key))

    def note(self, key: str | None, text: str) -> None:
        self.notes.append(text)

    def index(self, what: str, key: str) -> int:
        return self.log.index((what, key))


class CountingClient:
    """Wraps a boto3 client and counts the operations called through it."""

    def __init__(self, client: Any):
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if callable(attr):
            self.calls.append(name)
        return attr


@pytest.fixture
def project(tmp_path) -> Project:
    return write_project(tmp_path, T.STACKS)


def test_all_runs_in_dependency_order_and_passes_outputs_as_parameters(moto, project):
    aws = moto_aws(moto)
    rec = Recorder()
    report = Deployer(project, aws, reporter=rec).deploy()

    assert report.ok
    assert {r.outcome for r in report.results.values()} == {Outcome.CREATED}
    for key in project.order():
        for up in project.upstream(key):
            assert rec.index("finish", up) < rec.index("start", key), f"{key} started before {up} finished"
    net, store, app = (report.results[k].outputs for k in ("net", "store", "app"))
    cfn = aws.client("cloudformation")
    live = cfn.describe_stacks(StackName="hana-dev-app")["Stacks"][0]
    params = {p["ParameterKey"]: p["ParameterValue"] for p in live["Parameters"]}
    assert params["TopicArn"] == net["TopicArn"]
    assert params["QueueArn"] == store["QueueArn"]
    # The value really reached a resource, and travelled on to the next stack.
    wiring = aws.client("ssm").get_parameter(Name="/hana-dev-app/wiring")["Parameter"]["Value"]
    assert wiring == f"{net['TopicArn']}|{store['QueueArn']}"
    assert report.results["edge"].outputs["Echo"] == app["Wiring"]


def test_stacks_are_tagged(moto, project):
    aws = moto_aws(moto)
    Deployer(project, aws).deploy()
    live = aws.client("cloudformation").describe_stacks(StackName="hana-dev-net")["Stacks"][0]
    tags = {t["Key"]: t["Value"] for t in live["Tags"]}
    assert tags == {"Project": "hana", "Environment": "dev", "ManagedBy": "hana-infra", "Stack": "net"}


def test_a_rerun_changes_nothing_and_creates_no_change_set(moto, project):
    aws = moto_aws(moto)
    Deployer(project, aws).deploy()
    deployer = Deployer(project, aws)
    counting = CountingClient(deployer.ops.client)
    deployer.ops.client = counting

    report = deployer.deploy()

    assert {r.outcome for r in report.results.values()} == {Outcome.UNCHANGED}
    assert "create_change_set" not in counting.calls
    assert set(counting.calls) <= {"describe_stacks", "get_template"}
    assert report.results["edge"].outputs["Echo"]  # outputs still flow on a no-op run


def test_only_the_changed_stack_is_updated(moto, project):
    aws = moto_aws(moto)
    Deployer(project, aws).deploy()
    (project.env_dir / "app.yaml").write_text(T.with_extra_topic(T.APP_BODY))
    project._bodies.clear()

    report = Deployer(project, aws).deploy()

    outcomes = {k: r.outcome for k, r in report.results.items()}
    assert outcomes == {"net": "unchanged", "store": "unchanged", "app": "updated", "edge": "unchanged"}


def test_a_redeploy_keeps_the_deploy_time_parameters_it_finds_live(moto, project):
    aws = moto_aws(moto)
    Deployer(project, aws).deploy()
    Deployer(project, aws).deploy(["app"], overrides={"ImageTag": "v42"})
    # Scaling changed the service behind CloudFormation's back.
    ecs = aws.client("ecs")
    # Found by the names compute gives them (naming.py), not through the stack's outputs.
    ecs.create_cluster(clusterName="hana-dev")
    ecs.create_service(cluster="hana-dev", serviceName="hana-dev-api", desiredCount=3)
    (project.env_dir / "app.yaml").write_text(T.with_extra_topic(T.APP_BODY))
    project._bodies.clear()

    report = Deployer(project, aws).deploy()

    app = report.results["app"]
    assert app.outcome is Outcome.UPDATED
    assert app.outputs["ImageTagSeen"] == "v42"  # UsePreviousValue, not the template default
    assert app.outputs["DesiredSeen"] == "3"  # the live ECS desired count


def test_plan_lists_changes_and_leaves_no_change_set_behind(moto, project):
    aws = moto_aws(moto)
    Deployer(project, aws).deploy(["net", "store", "app"])
    (project.env_dir / "app.yaml").write_text(T.with_extra_topic(T.APP_BODY, "Added"))
    project._bodies.clear()

    previews = {p.key: p for p in Deployer(project, aws).plan()}

    assert previews["net"].state == "unchanged"
    assert previews["app"].state == "changes"
    assert [(c.action, c.logical_id) for c in previews["app"].changes] == [("Add", "Added")]
    assert previews["edge"].state == "new"
    cfn = aws.client("cloudformation")
    # (moto lists every change set of the region, executed ones too; plan's are named hana-plan-*)
    summaries = cfn.list_change_sets(StackName="hana-dev-app")["Summaries"]
    assert [s for s in summaries if s["ChangeSetName"].startswith("hana-plan-")] == []
    live = cfn.describe_stacks(StackName="hana-dev-app")["Stacks"][0]
    assert live["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(cfn.exceptions.ClientError):
        cfn.describe_stacks(StackName="hana-dev-edge")  # plan created nothing
    text = views.plan_text(list(previews.values()), "dev")
    assert "hana-dev-app: 1 to add, 0 to modify, 0 to remove" in text
    assert "hana-dev-edge: new stack, 1 resources to add" in text


def test_status_and_outputs(moto, project):
    aws = moto_aws(moto)
    deployer = Deployer(project, aws)
    deployer.deploy(["net", "store", "app", "edge"])

    rows = {r.key: r for r in deployer.status()}

    assert [r.status for r in rows.values()] == ["CREATE_COMPLETE"] * 4
    assert all(r.updated is not None for r in rows.values())
    text = views.status_text(list(rows.values()), "dev")
    dns = rows["edge"].outputs["AlbDnsName"]
    assert f"`http://{dns}/health`" in text
    assert f"`http://{dns}/api/`" in text
    assert f"`ws://{dns}/ws/`" in text
    outputs = deployer.outputs(["store"])
    assert outputs == {"store": rows["store"].outputs}


def test_delete_goes_in_reverse_dependency_order(moto, project):
    aws = moto_aws(moto)
    Deployer(project, aws).deploy()
    rec = Recorder()

    report = Deployer(project, aws, reporter=rec).delete()

    assert {r.outcome for r in report.results.values()} == {Outcome.DELETED}
    for key in project.order():
        for up in project.upstream(key):
            assert rec.index("finish", key) < rec.index("start", up), f"{up} deleted before {key}"
    again = Deployer(project, aws).delete()
    assert {r.outcome for r in again.results.values()} == {Outcome.ABSENT}


def _main_body(key_fn, children: dict[str, str]) -> str:
    resources = "".join(
        f"""  {name.capitalize()}:
    Type: AWS::CloudFormation::Stack
    DeletionPolicy: Delete
    Properties:
      TemplateURL:
        Fn::Sub: https://${{TemplateBucket}}.s3.amazonaws.com/{key_fn(name, body)}
"""
        for name, body in children.items()
    )
    return f"Description: nested (test)\nParameters:\n  TemplateBucket:\n    Type: String\nResources:\n{resources}"


def test_main_uploads_children_once_and_deploys_the_nested_stack(moto, tmp_path):
    children = {T.NET: T.NET_BODY, T.STORE: T.STORE_BODY}
    key_fn = nested.key_function()
    main = _main_body(key_fn, {s.name: b for s, b in children.items()})
    project = write_project(tmp_path, children, extra={"main": main})
    aws = moto_aws(moto)

    first = nested.Nested(Deployer(project, aws))
    report = first.deploy()

    assert report.results["main"].outcome is Outcome.CREATED
    assert first.bucket_created
    bucket = first.uploads.bucket
    assert bucket == "hana-cfn-templates-123456789012-us-east-1"
    s3 = aws.client("s3")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted(key_fn(s.name, b) for s, b in children.items())
    cfn = aws.client("cloudformation")
    names = [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]
    assert "hana-dev" in names and any(n.startswith("hana-dev-Net-") for n in names)

    second = nested.Nested(Deployer(project, aws))
    again = second.deploy()

    assert second.uploads.uploaded == [] and sorted(second.uploads.present) == keys
    assert again.results["main"].outcome is Outcome.UNCHANGED


def test_main_refuses_when_the_separate_stacks_exist(moto, tmp_path):
    project = write_project(tmp_path, {T.NET: T.NET_BODY}, extra={"main": _main_body(nested.object_key, {})})
    aws = moto_aws(moto)
    Deployer(project, aws).deploy()
    with pytest.raises(Exception, match="deployed as separate stacks"):
        nested.Nested(Deployer(project, aws)).deploy()


def test_main_refuses_templates_it_did_not_upload(moto, tmp_path):
    main = _main_body(lambda name, body: f"elsewhere/{name}.yaml", {"net": T.NET_BODY})
    project = write_project(tmp_path, {T.NET: T.NET_BODY}, extra={"main": main})
    with pytest.raises(Exception, match="did not upload"):
        nested.Nested(Deployer(project, moto_aws(moto)), key_fn=nested.object_key).deploy()


def test_the_real_messaging_template_deploys_reruns_as_a_no_op_and_deletes(moto, env):
    cfg = config.get(env)
    project = Project(cfg, {"messaging": registry.STACKS["messaging"]}, DEFAULT_OUT)
    project.check()
    aws = moto_aws(moto, env)

    created = Deployer(project, aws).deploy()
    rerun = Deployer(project, aws).deploy()

    result = created.results["messaging"]
    assert result.outcome is Outcome.CREATED, result.message
    assert sorted(result.outputs) == sorted(registry.STACKS["messaging"].outputs)
    assert rerun.results["messaging"].outcome is Outcome.UNCHANGED
    queues = aws.client("sqs").list_queues()["QueueUrls"]
    assert any(q.endswith(f"hana-{env}-agent-runs.fifo") for q in queues)
    deleted = Deployer(project, aws).delete(allow_protected=cfg.termination_protection)
    assert deleted.results["messaging"].outcome is Outcome.DELETED
    retained = {r.category for r in project.retained()}
    assert {"SQS queues", "KMS keys"} <= retained
