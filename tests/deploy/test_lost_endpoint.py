"""A lost endpoint is one line, the same in every command (issue #13): the endpoint dies mid-run
(the emulator is stopped from inside the run, at a chosen call), or is not there at all."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

import hana_emulator as emulator
from deploy.commands import App, cli
from deploy.engine.cfn import Timing, Unreachable
from deploy.engine.plan import Deployer
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again: nothing listens there


def test_the_endpoint_dies_mid_run_and_the_run_stops_naming_what_was_in_flight(tmp_path):
    server = emulator.start()
    server.reset()  # moto's backends are per process: start from an empty account
    try:
        project = write_project(tmp_path, T.STACKS)
        deployer = Deployer(project, moto_aws(server.url), timing=Timing(poll_min=0.01, poll_max=0.02), concurrency=1)
        calls = []

        def kill_after_app_started(model, params, **_):
            # net, store, app run one at a time: the call after app's execution finds no endpoint
            if calls.count("ExecuteChangeSet") == 3:
                server.stop()
            calls.append(model.name)

        deployer.ops.client.meta.events.register("before-parameter-build.cloudformation", kill_after_app_started)
        with pytest.raises(Unreachable) as lost:
            deployer.deploy()
    finally:
        server.stop()
    text = str(lost.value)
    assert text.startswith(f"cannot reach {server.url}: is the local emulator running on port {server.port}?")
    assert "in flight when it stopped answering: hana-dev-app (CREATE_IN_PROGRESS)" in text
    assert text.endswith("run `python -m deploy --env dev all` when it answers again")


@pytest.mark.parametrize(
    "command",
    [["all"], ["status"], ["plan"], ["outputs"], ["delete", "--yes"], ["secrets", "list"], ["lock", "status"]],
    ids=lambda c: " ".join(c),
)
def test_every_command_says_the_same_one_line_when_nothing_listens(tmp_path, command):
    project = write_project(tmp_path, T.STACKS)
    url = f"http://127.0.0.1:{_dead_port()}"
    app = App(project_factory=lambda env: project)
    result = CliRunner().invoke(cli, ["--endpoint-url", url, *command], obj=app)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: cannot reach {url}: is the local emulator running on port {url.rsplit(':', 1)[1]}? "
        f"(start it with `python -m deploy local --port {url.rsplit(':', 1)[1]}`)"
    ], lines
