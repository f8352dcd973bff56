"""One display (issue #17): what the progress showed is not said again by the summary; a failure's
reason is printed once; CI logs get the stack transitions and failed resources only; `--verbose`
adds every CloudFormation event."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner

from deploy.commands import cli
from deploy.commands.group import App, hoist_global_options
from deploy.engine.project import Project
from deploy.ui.progress import LiveReporter, PlainReporter
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project
from tests.deploy.test_progress import screen

REASON = "must end in .fifo"  # what the emulator says about a FIFO queue named without the suffix (as SQS does)


def invoke(args: list[str], app: App):
    return CliRunner().invoke(cli, args, obj=app)


@pytest.fixture
def failing(moto, tmp_path) -> App:
    """The test stacks, `store` failing its create (moto: "Queue name must end in .fifo")."""
    project = write_project(tmp_path, T.STACKS)
    body = T.STORE_BODY.replace("      QueueName:", "      FifoQueue: true\n      QueueName:")
    (project.env_dir / "store.yaml").write_text(body)
    aws = moto_aws(moto)
    return App(project_factory=lambda env: project, aws_factory=lambda settings, region: aws, interactive=lambda: False)


def summary_rows(text: str, keys: list[str]) -> list[str]:
    return [line for line in text.splitlines() if re.match(rf"\s+({'|'.join(keys)})\s+[✓=✗·!-]?\s*[a-z]", line)]


def test_in_ci_a_failure_reason_is_printed_once_and_the_stacks_once(failing):
    result = invoke(["all", "--skip-preflight"], failing)
    assert result.exit_code == 1
    everything = result.stdout + result.stderr
    assert everything.count(REASON) == 1, everything
    assert len(summary_rows(result.stdout, ["net", "store", "app", "edge"])) == 4  # the summary's list, once
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert not summary_rows(result.stderr, ["net", "store", "app", "edge"])
    # The failed resource is named as it happens, its reason waits for the summary.
    assert any(re.search(r"store\s+\w+ AWS::SQS::Queue CREATE_FAILED$", line) for line in progress), progress


def test_on_a_terminal_the_live_block_becomes_the_list_and_the_summary_adds_the_totals(failing):
    shown = io.StringIO()
    failing.reporter_factory = lambda: LiveReporter(
        shown, refresh=3600, color=False, width=lambda: 100, lists_stacks=True
    )
    result = invoke(["all", "--skip-preflight"], failing)
    assert result.exit_code == 1
    final = screen(shown.getvalue())
    terminal = "\n".join([*final, result.stdout, result.stderr])
    assert terminal.count(REASON) == 1, terminal
    keys = ["net", "store", "app", "edge"]
    assert len(summary_rows("\n".join(final), keys)) == 4
    assert result.stdout.strip().splitlines() == [result.stdout.strip()]  # the totals line only
    assert result.stdout.startswith("deploy dev: 4 stacks in ") and "1 failed" in result.stdout
    # The reason is in full under the failed stack's line.
    at = next(i for i, line in enumerate(final) if line.split()[:3] == ["store", "✗", "failed"])
    assert REASON in " ".join(final[at + 1 : at + 4])


def test_a_full_dev_create_in_ci_is_a_few_lines_per_stack(moto):
    project = Project.default("dev")
    aws = moto_aws(moto)
    app = App(project_factory=lambda env: project, aws_factory=lambda settings, region: aws, interactive=lambda: False)
    result = invoke(["all"], app)
    assert result.exit_code == 0, result.output
    stacks = len(project.order())
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert len(progress) <= 2 * stacks, result.stderr  # CREATE_IN_PROGRESS, created in ...
    assert len(result.stdout.splitlines()) == 1 + stacks  # totals, one line per stack
    assert len(result.stderr.splitlines()) <= 2 * stacks + 3  # + where it deploys, preflight notes


@pytest.mark.parametrize("args", [["--verbose", "all"], ["all", "--verbose"]], ids=["before", "after"])
def test_verbose_prints_every_resource_event(moto, tmp_path, args):
    project = write_project(tmp_path, T.STACKS)
    aws = moto_aws(moto)
    app = App(project_factory=lambda env: project, aws_factory=lambda settings, region: aws, interactive=lambda: False)
    result = invoke(args, app)
    assert result.exit_code == 0, result.output
    assert re.search(r"\] net\s+\w+ AWS::SNS::Topic CREATE_COMPLETE", result.stderr), result.stderr
    assert "AWS::CloudFormation::Stack CREATE_IN_PROGRESS: User Initiated" in result.stderr


def test_quiet_by_default_resource_events_are_not_printed(moto, tmp_path):
    project = write_project(tmp_path, T.STACKS)
    aws = moto_aws(moto)
    app = App(project_factory=lambda env: project, aws_factory=lambda settings, region: aws, interactive=lambda: False)
    result = invoke(["all"], app)
    assert result.exit_code == 0, result.output
    assert "AWS::SNS::Topic" not in result.stderr


def test_verbose_is_a_global_flag_hoisted_like_the_others():
    assert hoist_global_options(["all", "--verbose"]) == ["--verbose", "all"]


FAILED = {
    "LogicalResourceId": "Vpc",
    "ResourceType": "AWS::EC2::VPC",
    "ResourceStatus": "CREATE_FAILED",
    "ResourceStatusReason": "The CIDR is invalid",
}
CANCELLED = {**FAILED, "LogicalResourceId": "Subnet", "ResourceStatusReason": "Resource creation cancelled"}
DONE = {**FAILED, "ResourceStatus": "CREATE_COMPLETE", "ResourceStatusReason": ""}


def test_plain_lines_name_the_failed_resource_not_the_cancelled_ones():
    out = io.StringIO()
    plain = PlainReporter(out, clock=lambda: 0.0)
    plain.begin("deploy", {"network": "hana-dev-network"}, {})
    for event in (DONE, FAILED, CANCELLED):
        plain.event("network", event)
    assert out.getvalue().splitlines() == ["[    0.0s] network Vpc AWS::EC2::VPC CREATE_FAILED"]


def test_the_live_display_prints_events_above_the_block_only_when_verbose():
    for verbose, expected in ((False, 0), (True, 1)):
        out = io.StringIO()
        live = LiveReporter(out, clock=lambda: 0.0, refresh=3600, color=False, width=lambda: 100, verbose=verbose)
        live.begin("deploy", {"network": "hana-dev-network"}, {})
        live.event("network", FAILED)
        live.close()
        assert sum("The CIDR is invalid" in line for line in screen(out.getvalue())) == expected


def test_the_live_block_is_the_list_only_when_the_summary_goes_to_the_same_terminal(monkeypatch):
    from deploy.ui.progress import make_reporter

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm")
    assert make_reporter(Tty(), summary=Tty()).lists_stacks
    assert not make_reporter(Tty(), summary=io.StringIO()).lists_stacks  # `all > log.txt`: the file gets it all
    assert make_reporter(Tty(), verbose=True, summary=Tty()).verbose
    assert make_reporter(io.StringIO(), verbose=True).verbose
