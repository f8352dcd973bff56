"""The command line (click's CliRunner): every command has help, every bad input is one line and
a non-zero exit with nothing sent to AWS, and the commands work end to end on moto."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from deploy.commands import App, cli
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project

COMMANDS = sorted(cli.commands)


def invoke(args: list[str], app: App | None = None, input: str | None = None):  # noqa: A002
    return CliRunner().invoke(cli, args, obj=app or App(), input=input)


def no_aws(settings, region):
    raise AssertionError("bad input must not reach AWS")


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path, T.STACKS)


def offline(project) -> App:
    """The test stacks for dev (`project`) and for any other environment, AWS forbidden."""

    def factory(env: str):
        return project if env == project.env else write_project(project.out_dir.parent / env, T.STACKS, env=env)

    return App(project_factory=factory, aws_factory=no_aws, interactive=lambda: False)


def one_error_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def test_the_commands_are_the_issues():
    deployer = ["all", "cost", "delete", "local", "lock", "main", "outputs", "plan", "stack", "status"]
    operations = ["exec", "health", "login", "logs", "push", "restart", "scale", "secrets"]  # issue 7, tests/ops
    diagnosis = ["doctor", "drift", "events", "stopped"]  # issue 15, tests/ops
    assert sorted(deployer + operations + diagnosis) == COMMANDS


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)], ids=["group", *COMMANDS])
def test_every_command_has_help(command):
    result = invoke([*command, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: python -m deploy {' '.join(command)}".rstrip())
    assert len(result.output.splitlines()) > 4


def test_no_command_shows_the_help():
    result = invoke([])
    assert result.exit_code == 0
    assert result.output.startswith("Usage: python -m deploy [OPTIONS] COMMAND")


def test_start_up_does_not_import_boto3_or_troposphere():
    code = "import sys, deploy.commands; print(sorted({'boto3', 'botocore', 'troposphere'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ["stack", "nope"], "error: unknown stack 'nope'; valid stacks: net, store, app, edge", id="unknown-stack"
        ),
        pytest.param(["plan", "nope"], "error: unknown stack 'nope'; valid stacks:", id="unknown-stack-plan"),
        pytest.param(["outputs", "nope"], "error: unknown stack 'nope'; valid stacks:", id="unknown-stack-outputs"),
        pytest.param(["stack", "main"], "error: unknown stack 'main'", id="main-is-not-a-stack"),
        pytest.param(["--env", "qa", "all"], "error: unknown environment 'qa'; allowed: dev, prod", id="unknown-env"),
        pytest.param(
            ["delete", "--confirm-prod", "--yes"], "error: --confirm-prod is only for a protected", id="conflict"
        ),
        pytest.param(
            ["--env", "prod", "delete", "--yes"], "error: prod is protected", id="prod-delete-needs-confirm-prod"
        ),
        pytest.param(
            ["delete"], "error: delete needs a confirmation: run it in a terminal, or pass --yes", id="no-tty"
        ),
        pytest.param(["stack", "app", "-p", "Nope=1"], "error: --parameter Nope: app has no such", id="bad-param"),
        pytest.param(
            ["stack", "net", "-p", "ImageTag=1"],
            "error: --parameter ImageTag: net has no such deploy-time parameter",
            id="param-on-a-stack-without",
        ),
        pytest.param(["stack", "app", "-p", "ImageTag"], "error: --parameter 'ImageTag': expected NAME=VALUE", id="p"),
        pytest.param(["--endpoint-url", "nowhere", "status"], "error: --endpoint-url 'nowhere' is not a URL", id="url"),
        pytest.param(["all", "--concurrency", "0"], "error: Invalid value for '--concurrency'", id="concurrency"),
        pytest.param(["deploy-everything"], "error: No such command 'deploy-everything'", id="unknown-command"),
        pytest.param(["stack"], "error: Missing argument 'NAME'", id="missing-argument"),
        pytest.param(["all", "--force"], "error: No such option '--force'", id="unknown-option"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_reaches_aws(project, args, expected):
    result = invoke(args, offline(project))
    assert result.exit_code == 2
    assert one_error_line(result).startswith(expected)


@pytest.mark.parametrize("command", [["all"], ["stack", "app"], ["plan"], ["main"], ["delete", "--yes"]])
def test_missing_templates_say_make_templates(project, command):
    for path in project.env_dir.glob("*.yaml"):
        path.unlink()
    result = invoke(command, offline(project))
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "out/dev/" in line and line.endswith(
        ("has no templates: run `make templates`", "lacks app.yaml: run `make templates`")
    )


def test_a_missing_template_is_named(project):
    project.path("edge").unlink()
    result = invoke(["all"], offline(project))
    assert result.exit_code == 2
    assert one_error_line(result).endswith("lacks edge.yaml: run `make templates`")


def test_stale_templates_say_make_templates(project):
    project.freshness = lambda: ["app.yaml stale"]
    result = invoke(["all"], offline(project))
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "is out of date (app.yaml stale)" in line and line.endswith("run `make templates`")


def test_main_needs_main_yaml(project):
    result = invoke(["main"], offline(project))
    assert result.exit_code == 2
    assert one_error_line(result).endswith("main.yaml does not exist: run `make templates`")


def test_a_missing_profile_says_how_to_log_in(project):
    app = App(project_factory=lambda env: project)
    result = invoke(["--profile", "nope", "all"], app)
    assert result.exit_code == 1
    assert "python -m deploy login --profile nope" in one_error_line(result)


def test_debug_shows_the_traceback(project):
    app = App(project_factory=lambda env: project)
    result = invoke(["--debug", "--profile", "nope", "status"], app)
    assert result.exit_code == 1
    assert "Traceback" in result.output
    assert result.output.strip().splitlines()[-1].startswith("error: AWS profile 'nope'")


# --- end to end on moto ------------------------------------------------------------------------


@pytest.fixture
def on_moto(moto, project) -> App:
    aws = moto_aws(moto)
    return App(project_factory=lambda env: project, aws_factory=lambda settings, region: aws, interactive=lambda: False)


def test_all_shows_where_it_deploys_then_a_summary_and_reruns_as_a_no_op(on_moto):
    first = invoke(["all"], on_moto)
    assert first.exit_code == 0, first.output
    assert "environment dev: account 123456789012" in first.stderr
    assert first.stdout.startswith("deploy dev: 4 stacks in ")
    assert ": 4 created" in first.stdout

    on_moto._aws = on_moto._project = None
    again = invoke(["all"], on_moto)
    assert again.exit_code == 0, again.output
    assert ": 4 unchanged" in again.stdout


def test_stack_needs_its_upstream_stacks_first(on_moto):
    result = invoke(["stack", "app"], on_moto)
    assert result.exit_code == 1
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ")
    assert "hana-dev-net, hana-dev-store, which are not deployed: deploy them first" in line
    assert "`python -m deploy --env dev stack net`" in line


def test_status_outputs_plan_and_delete(on_moto):
    assert invoke(["all"], on_moto).exit_code == 0

    status = invoke(["status"], on_moto)
    assert status.exit_code == 0
    assert "| `hana-dev-app`   | CREATE_COMPLETE |" in status.stdout
    assert "**WebSocket**" in status.stdout

    everything = json.loads(invoke(["outputs", "--json"], on_moto).stdout)
    assert sorted(everything) == ["app", "edge", "net", "store"]
    net = json.loads(invoke(["outputs", "net", "--json"], on_moto).stdout)
    assert net == everything["net"]
    readable = invoke(["outputs", "net"], on_moto).stdout
    assert readable.splitlines()[0] == "hana-dev-net" and f"  TopicArn   {net['TopicArn']}" in readable

    plan = invoke(["plan"], on_moto)
    assert plan.exit_code == 0
    assert plan.stdout.strip().endswith("plan dev: 4 unchanged (change sets deleted, nothing executed)")

    delete = invoke(["delete", "--yes"], on_moto)
    assert delete.exit_code == 0, delete.output
    assert "About to delete environment dev in account 123456789012" in delete.stdout
    assert "SQS queues (1)" in delete.stdout and "hana-dev-store-queue" in delete.stdout
    assert "log groups (1)" in delete.stdout and "/test/hana-dev-app" in delete.stdout
    assert ": 4 deleted" in delete.stdout


def test_delete_asks_for_the_environment_name(on_moto):
    assert invoke(["all"], on_moto).exit_code == 0
    on_moto.interactive = lambda: True

    refused = invoke(["delete"], on_moto, input="yes\n")
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines()[-1] == "error: not confirmed: nothing was deleted"

    accepted = invoke(["delete"], on_moto, input="dev\n")
    assert accepted.exit_code == 0
    assert ": 4 deleted" in accepted.stdout


def test_nothing_to_delete(on_moto):
    result = invoke(["delete", "--yes"], on_moto)
    assert result.exit_code == 0
    assert result.stdout.strip() == "nothing to delete: no stack of dev exists"


def test_a_failed_run_prints_the_summary_then_one_error_line(on_moto, project):
    fifo_without_suffix = T.STORE_BODY.replace("      QueueName:", "      FifoQueue: true\n      QueueName:")
    (project.env_dir / "store.yaml").write_text(fifo_without_suffix)  # moto: "Queue name must end in .fifo"
    result = invoke(["all"], on_moto)
    assert result.exit_code == 1
    assert "store" in result.stdout and "failed" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "error: deploy dev: store failed; app, edge skipped"


def test_ctrl_c_is_one_line_and_exit_130(project):
    from deploy.aws.session import Aws
    from deploy.engine.plan import ThreadExecutor
    from tests.deploy.fakes import FakeCfn, FakeSession, FakeSts, Step

    class CtrlC(ThreadExecutor):
        def wait_any(self):
            raise KeyboardInterrupt

    fake = FakeCfn()
    fake.scripts["hana-dev-net"] = [Step("CREATE_IN_PROGRESS")] * 100
    session = FakeSession(cloudformation=fake, sts=FakeSts())
    app = App(
        project_factory=lambda env: project,
        aws_factory=lambda settings, region: Aws(settings, region, session=session),
        executor_factory=CtrlC,
    )
    result = invoke(["stack", "net", "--skip-preflight"], app)  # a fake account without the read APIs
    assert result.exit_code == 130
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: interrupted: ")
    assert "`python -m deploy --env dev stack net`" in line
