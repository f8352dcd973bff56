"""Issue #18 item 11: the plain failed update. A stack update that fails and rolls back
(UPDATE_ROLLBACK_COMPLETE: the stack is usable again, but the change did not happen) is FAILED,
reported with its first failed resource and that resource's reason (not a "Resource update
cancelled" of a resource CloudFormation stopped because of it), `all` exits 1, and the stacks
that depend on it are skipped.

Once with a scripted CloudFormation (the sequence AWS documents for a failed update:
UPDATE_IN_PROGRESS, a resource UPDATE_FAILED, UPDATE_ROLLBACK_IN_PROGRESS,
UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS, UPDATE_ROLLBACK_COMPLETE; CloudFormation User Guide,
"Stack status codes"), once on the local emulator with a property value it rejects as AWS does
(a Fargate task size Fargate does not offer).
"""

from __future__ import annotations

from click.testing import CliRunner

from deploy.aws.session import Aws, Settings
from deploy.commands import App, cli
from deploy.engine.cfn import Outcome, Timing
from deploy.engine.plan import Deployer
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project
from tests.deploy.fakes import FakeCfn, FakeSession, FakeSts, Step

REASON = 'Resource handler returned message: "Invalid request provided: MessageRetentionPeriod 1 is below 60"'


def _rolled_back_update() -> list[Step]:
    return [
        Step("UPDATE_IN_PROGRESS", [("Queue", "AWS::SQS::Queue", "UPDATE_IN_PROGRESS", None)]),
        Step(
            "UPDATE_IN_PROGRESS",
            [
                ("Queue", "AWS::SQS::Queue", "UPDATE_FAILED", REASON),
                ("Thing", "AWS::SNS::Topic", "UPDATE_FAILED", "Resource update cancelled"),
            ],
        ),
        Step("UPDATE_ROLLBACK_IN_PROGRESS", [("Queue", "AWS::SQS::Queue", "UPDATE_COMPLETE", None)]),
        Step("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"),
        Step("UPDATE_ROLLBACK_COMPLETE"),
    ]


def _deployed(tmp_path) -> tuple[FakeCfn, App]:
    """Every stack deployed; `net` is as in out/ (unchanged), the others differ (updates)."""
    project = write_project(tmp_path, T.STACKS)
    fake = FakeCfn()
    fake.add_stack("hana-dev-net", "CREATE_COMPLETE", template=T.NET_BODY, tags=project.tags("net"))
    fake.stacks["hana-dev-net"]["Outputs"] = [
        {"OutputKey": "TopicArn", "OutputValue": "arn:t"},
        {"OutputKey": "TopicName", "OutputValue": "t"},
    ]
    fake.add_stack("hana-dev-store", "UPDATE_COMPLETE", template="old", outputs={"QueueArn": "arn:q", "QueueName": "q"})
    fake.add_stack("hana-dev-app", "UPDATE_COMPLETE", template="old", outputs={"Wiring": "w"})
    fake.add_stack("hana-dev-edge", "UPDATE_COMPLETE", template="old")
    fake.scripts["hana-dev-store"] = _rolled_back_update()
    session = FakeSession(cloudformation=fake, sts=FakeSts())
    app = App(
        project_factory=lambda env: project,
        aws_factory=lambda settings, region: Aws(settings, region, session=session),
        timing=fast(),
        interactive=lambda: False,
    )
    return fake, app


def fast() -> Timing:
    return Timing(poll_min=0.0, poll_max=0.0, sleep=lambda seconds: None)


def test_a_rolled_back_update_fails_with_its_first_failed_resource_and_skips_its_dependants(tmp_path):
    fake, app = _deployed(tmp_path)
    deployer = Deployer(app.project_factory("dev"), app.aws_factory(Settings(), "us-east-1"), timing=fast())

    report = deployer.deploy()

    outcomes = {k: r.outcome for k, r in report.results.items()}
    assert outcomes == {"net": "unchanged", "store": "failed", "app": "skipped", "edge": "skipped"}
    store = report.results["store"]
    assert store.message.startswith("UPDATE_ROLLBACK_COMPLETE")
    assert store.message.endswith(f": Queue (AWS::SQS::Queue): {REASON}")  # not Thing's "cancelled"
    assert report.results["app"].message == "store failed"
    assert report.results["edge"].message == "app was skipped"
    assert not report.ok
    # the dependants were never touched: no change set on them
    touched = {kw["StackName"] for op, kw in fake.calls if op == "create_change_set"}
    assert touched == {"hana-dev-store"}


def test_all_exits_1_and_names_the_failed_stack_and_the_skipped_ones(tmp_path):
    _, app = _deployed(tmp_path)

    result = CliRunner().invoke(cli, ["all", "--skip-preflight"], obj=app)

    assert result.exit_code == 1, result.output
    assert f"Queue (AWS::SQS::Queue): {REASON}" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "error: deploy dev: store failed; app, edge skipped"


# --- on the local emulator -------------------------------------------------------------------

# A Fargate task definition whose CPU/memory pair Fargate does not offer: RegisterTaskDefinition
# refuses it ("No Fargate configuration exists for given values"), in AWS and in the emulator.
BAD_TASK = """\
  BadTask:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: hana-dev-bad
      RequiresCompatibilities:
        - FARGATE
      NetworkMode: awsvpc
      Cpu: '256'
      Memory: '4096'
      ContainerDefinitions:
        - Name: app
          Image: public.ecr.aws/docker/library/busybox:latest
"""


def test_on_the_emulator_a_rejected_update_rolls_back_fails_and_skips_the_dependants(moto, tmp_path):
    project = write_project(tmp_path, T.STACKS)
    aws = moto_aws(moto)
    assert Deployer(project, aws).deploy().ok
    (project.env_dir / "store.yaml").write_text(T.STORE_BODY.replace("Resources:\n", "Resources:\n" + BAD_TASK, 1))
    (project.env_dir / "app.yaml").write_text(T.with_extra_topic(T.APP_BODY))  # would update, if it ran
    project._bodies.clear()
    app = App(project_factory=lambda env: project, aws_factory=lambda settings, region: aws, interactive=lambda: False)

    result = CliRunner().invoke(cli, ["all", "--skip-preflight"], obj=app)

    assert result.exit_code == 1, result.output
    assert result.stderr.strip().splitlines()[-1] == "error: deploy dev: store failed; app, edge skipped"
    assert "BadTask (AWS::ECS::TaskDefinition): " in result.stdout
    assert "No Fargate configuration exists for given values: 256 CPU, 4096 memory" in result.stdout
    cfn = aws.client("cloudformation")
    assert cfn.describe_stacks(StackName="hana-dev-store")["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "Extra" not in str(cfn.get_template(StackName="hana-dev-app")["TemplateBody"])  # skipped: untouched
    again = Deployer(project, aws).deploy(["net"])  # the rolled-back stack is usable: its dependants may run
    assert again.results["net"].outcome is Outcome.UNCHANGED
