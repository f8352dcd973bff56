"""`stack NAME` and its dependants (issue #12): when NAME's outputs change, the stacks that read
them are named with the commands to run, or redeployed with `--cascade`, in dependency order. On the
emulator with the small test stacks (net -> app -> edge): renaming net's topic changes its TopicArn,
which app reads (and edge reads app)."""

from __future__ import annotations

import pytest

from deploy.commands import App
from deploy.engine import cascade
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project
from tests.deploy.test_cli import invoke


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path, T.STACKS)


def _app(moto, project) -> App:
    aws = moto_aws(moto)
    return App(project_factory=lambda env: project, aws_factory=lambda settings, region: aws, interactive=lambda: False)


def _rename_topic(project, suffix: str) -> None:
    path = project.path("net")
    path.write_text(T.NET_BODY.replace("${AWS::StackName}-topic", f"${{AWS::StackName}}-topic-{suffix}"))
    project._bodies.clear()


def _wiring(moto: str) -> str:
    cfn = moto_aws(moto).client("cloudformation")
    stack = cfn.describe_stacks(StackName="hana-dev-edge")["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["Echo"]


def test_stale_dependants_are_named_then_redeployed_with_cascade(moto, project):
    assert invoke(["all"], _app(moto, project)).exit_code == 0
    before = _wiring(moto)

    _rename_topic(project, "b")
    named = invoke(["stack", "net"], _app(moto, project))
    assert named.exit_code == 0, named.output
    note = next(line for line in named.stderr.splitlines() if line.startswith("note: outputs of hana-dev-net"))
    assert "(TopicArn, TopicName)" in note and "hana-dev-app, hana-dev-edge read them and are stale" in note
    assert "`python -m deploy --env dev stack app`, then `python -m deploy --env dev stack edge`" in note
    assert _wiring(moto) == before  # named, not deployed

    _rename_topic(project, "c")
    cascaded = invoke(["stack", "net", "--cascade"], _app(moto, project))
    assert cascaded.exit_code == 0, cascaded.output
    assert "redeploying app, edge" in cascaded.stderr
    after = _wiring(moto)
    assert after != before and "topic-c" in after  # edge holds app's new Wiring, made of net's new topic

    quiet = invoke(["stack", "net", "--cascade"], _app(moto, project))  # no output changed: nothing else runs
    assert quiet.exit_code == 0 and "redeploying" not in quiet.stderr and "stale" not in quiet.stderr


def test_only_the_readers_of_a_changed_output_and_their_dependants_are_stale(project):
    assert cascade.stale(project, "net", ["TopicName"]) == []  # nobody reads TopicName
    assert cascade.stale(project, "net", ["TopicArn"]) == ["app", "edge"]
    assert cascade.stale(project, "app", ["Wiring"]) == ["edge"]
    assert cascade.changed(None, {"A": "1"}) == []  # a new stack: nobody read it before
    assert cascade.changed({"A": "1", "B": "2"}, {"A": "1", "B": "3", "C": "4"}) == ["B", "C"]
