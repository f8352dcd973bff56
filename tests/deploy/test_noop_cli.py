"""`all` with nothing to do (issue #17): the survey (two parallel rounds of reads) finds every stack
unchanged, so nothing will be written: no preflight, no deploy lock, the summary at once. As soon
as one stack changed, the preflight runs and the lock is taken as before."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from deploy.commands import App, cli
from deploy.engine import preflight
from deploy.engine.lock import Holder
from deploy.engine.project import Project
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project

NAME = "/hana/dev/deploy-lock"


@pytest.fixture
def preflights(monkeypatch) -> list[object]:
    """Every preflight run, recorded (then the real one)."""
    calls: list[object] = []
    real = preflight.run

    def recording(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(preflight, "run", recording)
    return calls


def _run(url, project, args):
    aws = moto_aws(url)
    app = App(project_factory=lambda env: project, aws_factory=lambda settings, region: aws, interactive=lambda: False)
    return CliRunner().invoke(cli, args, obj=app)


@pytest.mark.parametrize(
    ("args", "edited", "summary"),
    [(["all"], "net", ": 4 unchanged"), (["stack", "app"], "app", ": 1 unchanged")],
    ids=["all", "stack"],
)
def test_a_noop_runs_no_preflight_and_takes_no_lock_and_a_change_does_both(
    moto, tmp_path, preflights, args, edited, summary
):
    project = write_project(tmp_path, T.STACKS)
    assert _run(moto, project, ["all"]).exit_code == 0
    assert len(preflights) == 1
    other = Holder("ci-runner-7", 4242, "ci", "python -m deploy all (env dev)", "2026-12-05T07:00:00Z", "x")
    moto_aws(moto).client("ssm").put_parameter(Name=NAME, Value=json.dumps(other.__dict__), Type="String")

    again = _run(moto, project, args)  # another run holds the lock: a no-op does not need it

    assert again.exit_code == 0, again.output
    assert summary in again.stdout
    assert len(preflights) == 1

    body = project.path(edited).read_text()
    project.path(edited).write_text(body.replace(f"Description: {edited} (test)", f"Description: {edited} (edited)"))
    changed = _run(moto, Project(project.cfg, project.stacks, project.out_dir), args)  # bodies are cached

    assert changed.exit_code == 1
    assert "another run holds the deploy lock of dev" in changed.stderr.strip().splitlines()[-1]
    assert len(preflights) == 2
