"""Local mode: `--local` on the command line, what it does to the process, `python -m deploy local`
with and without --state."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import hana_emulator as emulator
from deploy.commands import cli
from deploy.commands.group import hoist_global_options
from hana_emulator import client, local, state


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["all", "--local"], ["--local", "all"]),
        (["--env", "prod", "delete", "--yes", "--local"], ["--local", "--env", "prod", "delete", "--yes"]),
        (["--local", "status"], ["--local", "status"]),
        (["status"], ["status"]),
        (["stack", "x", "--", "--local"], ["stack", "x", "--", "--local"]),
        # every global option, not only --local (issue #17: the printed `login --profile NAME` works)
        (["login", "--profile", "hana-dev"], ["--profile", "hana-dev", "login"]),
        (["status", "--env=prod", "--debug"], ["--env=prod", "--debug", "status"]),
        (["secrets", "list", "--env", "prod", "--local"], ["--env", "prod", "--local", "secrets", "list"]),
        # an option the command defines itself stays with the command
        (["cost", "--env", "prod"], ["cost", "--env", "prod"]),
        (["--env", "dev", "cost", "--env", "all", "--json"], ["--env", "dev", "cost", "--env", "all", "--json"]),
    ],
)
def test_local_is_accepted_after_the_command(argv, expected):
    assert hoist_global_options(argv, cli.commands) == expected


def _invoke(args: list[str], **env: str | None):
    keep = {k: os.environ.get(k) for k in (*emulator.client_env("http://x").keys(), *emulator.LOCAL_ENV_UNSET)}
    return CliRunner().invoke(cli, args, env={**keep, **env})


@pytest.mark.parametrize("flag", [["--profile", "prod"], ["--endpoint-url", "http://127.0.0.1:9"]])
def test_local_conflicts_with_an_explicit_profile_or_endpoint(flag):
    result = _invoke([*flag, "status", "--local"])
    assert result.exit_code == 2
    assert f"--local cannot be combined with {flag[0]}" in result.stderr


def test_local_without_a_running_emulator_says_how_to_start_one():
    result = _invoke(["status", "--local"], HANA_EMULATOR_URL=f"http://127.0.0.1:{_port()}")
    assert result.exit_code == 1
    assert "is the local emulator running on port" in result.stderr
    assert "(start it with `python -m deploy local --port" in result.stderr


@pytest.mark.parametrize("url", ["http://10.0.0.5:4566", "https://127.0.0.1:4566", "http://127.0.0.1"])
def test_the_emulator_url_must_be_loopback_http_with_a_port(url):
    result = _invoke(["status", "--local"], HANA_EMULATOR_URL=url)
    assert result.exit_code == 2 and "loopback only" in result.stderr


def test_local_ignores_the_callers_profile_and_config(emu, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile prod]\nregion = eu-west-1\ncredential_process = /bin/false\n")
    result = _invoke(
        ["status", "--local"],
        HANA_EMULATOR_URL=emu.url,
        AWS_PROFILE="prod",
        AWS_CONFIG_FILE=str(config),
        AWS_SESSION_TOKEN="real-looking",
    )
    assert result.exit_code == 0, result.output
    assert "NOT DEPLOYED" in result.stdout


def test_activate_points_the_process_at_the_emulator_only(monkeypatch):
    for name in (*emulator.client_env("http://x"), *emulator.LOCAL_ENV_UNSET):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "t")
    client.activate("http://127.0.0.1:4566")
    assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert os.environ["AWS_ACCESS_KEY_ID"] == emulator.ACCESS_KEY_ID
    assert os.environ["AWS_CONFIG_FILE"] == os.devnull
    assert "AWS_PROFILE" not in os.environ and "AWS_SESSION_TOKEN" not in os.environ


def _serve_in_thread(port: int, state_file: Path | None) -> tuple[threading.Thread, threading.Event, list[str]]:
    lines: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=local.serve, kwargs={"port": port, "state": state_file, "echo": lines.append, "stop": stop}
    )
    thread.start()
    client.wait_until_up(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 10
    while not lines and time.monotonic() < deadline:  # the banner follows the socket by a moment
        time.sleep(0.01)
    return thread, stop, lines


def _port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_keeps_state_between_runs_with_a_state_file(tmp_path, emu):
    state_file = tmp_path / "emulator.state"
    port = _port()
    thread, stop, lines = _serve_in_thread(port, state_file)
    try:
        assert f"listening on http://127.0.0.1:{port}" in lines[0]
        assert "(new)" in "\n".join(lines)
        session = client.session()
        cfn = session.client("cloudformation", endpoint_url=f"http://127.0.0.1:{port}")
        cfn.create_stack(
            StackName="kept", TemplateBody='{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {}}}}'
        )
    finally:
        stop.set()
        thread.join(timeout=30)
    assert state_file.exists() and any("state saved" in line for line in lines)
    emu.reset()  # the backends are per process: forget everything before loading
    thread, stop, lines = _serve_in_thread(port, state_file)
    try:
        assert "(1 stacks loaded)" in "\n".join(lines)
        cfn = client.session().client("cloudformation", endpoint_url=f"http://127.0.0.1:{port}")
        assert cfn.describe_stacks(StackName="kept")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    finally:
        stop.set()
        thread.join(timeout=30)


def test_a_state_file_that_is_not_ours_is_refused(tmp_path):
    bogus = tmp_path / "state"
    bogus.write_bytes(b"not a pickle")
    with pytest.raises(state.StateError, match="is not an emulator state file"):
        state.load(bogus)


def test_the_local_command_reports_a_taken_port(emu):
    result = CliRunner().invoke(cli, ["local", "--port", str(emu.port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{emu.port}" in result.stderr


def test_wait_until_up_gives_up_on_a_dead_port():
    started = time.perf_counter()
    with pytest.raises(emulator.EmulatorError, match="no emulator answered"):
        client.wait_until_up(f"http://127.0.0.1:{_port()}", timeout=0.3)
    assert time.perf_counter() - started < 5
