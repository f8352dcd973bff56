"""Starting, resetting and stopping the emulator; the client environment it hands out."""

from __future__ import annotations

import os
import socket

import pytest

import hana_emulator as emulator


def test_start_serves_on_loopback_and_stops():
    with emulator.start() as emu:
        assert emu.host == "127.0.0.1" and emu.port > 0
        assert emu.url == f"http://127.0.0.1:{emu.port}"
        identity = emu.client("sts").get_caller_identity()
        assert identity["Account"] == emulator.ACCOUNT_ID
    assert not emu.running
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", emu.port)) != 0


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "example.com"])
def test_only_loopback_addresses_are_accepted(host):
    with pytest.raises(emulator.EmulatorError, match="loopback only"):
        emulator.start(host=host)


def test_a_taken_port_is_a_clear_error(emu):
    with pytest.raises(emulator.EmulatorError, match=f"cannot listen on 127.0.0.1:{emu.port}"):
        emulator.start(port=emu.port)


def test_reset_forgets_everything(emu):
    sqs = emu.client("sqs")
    sqs.create_queue(QueueName="q")
    emu.reset()
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_client_env_points_sdks_at_the_emulator_only():
    env = emulator.client_env("http://127.0.0.1:4566")
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["AWS_ACCESS_KEY_ID"] == emulator.ACCESS_KEY_ID
    assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert "AWS_PROFILE" in emulator.LOCAL_ENV_UNSET and "AWS_SESSION_TOKEN" in emulator.LOCAL_ENV_UNSET


def test_the_session_ignores_the_callers_profile(emu, monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile prod]\nregion = eu-west-1\ncredential_process = false\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "prod")
    credentials = emu.session().get_credentials()
    assert credentials.access_key == emulator.ACCESS_KEY_ID
    assert emu.session().region_name == emulator.REGION
