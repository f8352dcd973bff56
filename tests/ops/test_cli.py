"""Every operations command has help, and every bad input is one `error:` line, exit 2, with
nothing sent to AWS and no program run beyond the read-only checks (docker's daemon probe)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from deploy.commands import App, cli, login, operations
from tests.ops import fakes
from tests.ops.conftest import fast, make_project

OPS = sorted(c.name for c in (*login.COMMANDS, *operations.COMMANDS))


def invoke(args: list[str], app: App, input: str | None = None):  # noqa: A002
    return CliRunner().invoke(cli, args, obj=app, input=input)


def no_aws(settings, region):
    raise AssertionError("bad input must not reach AWS")


@pytest.fixture
def offline(tmp_path):
    """Both environments' test projects; AWS forbidden; stdin is not a terminal."""
    projects = {env: make_project(tmp_path / env, env) for env in ("dev", "prod")}
    return App(project_factory=projects.__getitem__, aws_factory=no_aws, timing=fast(), interactive=lambda: False)


def one_error_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def test_the_operations_commands_are_the_issues():
    assert OPS == ["exec", "health", "login", "logs", "push", "restart", "scale", "secrets"]
    assert set(OPS) <= set(cli.commands)


@pytest.mark.parametrize(
    "command", [[c] for c in OPS] + [["secrets", "list"], ["secrets", "set"]], ids=[*OPS, "secrets-list", "secrets-set"]
)
def test_every_operations_command_has_help(command, offline):
    result = invoke([*command, "--help"], offline)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: python -m deploy {' '.join(command)}")
    assert len(result.output.splitlines()) > 4


BAD_INPUT = [
    pytest.param(["scale"], "error: Missing option '--count'", id="scale-without-count"),
    pytest.param(["scale", "--count", "-1"], "error: Invalid value for '--count': -1 is not in the range", id="neg"),
    pytest.param(["scale", "--count", "two"], "error: Invalid value for '--count': 'two' is not a valid", id="nan"),
    pytest.param(
        ["scale", "--count", "1", "--service", "web"],
        "error: unknown service 'web'; allowed: api, ws, workers",
        id="unknown-service",
    ),
    pytest.param(
        ["scale", "--count", "2"],
        "error: --count 2 is outside dev's limits for api: allowed 0-1 (hana_templates/config.py: min_tasks 1, "
        "max_tasks 1)",
        id="above-dev-max",
    ),
    pytest.param(
        ["--env", "prod", "scale", "--count", "1", "--service", "ws"],
        "error: --count 1 is outside prod's limits for ws: allowed 0 (stop) or 2-4",
        id="below-prod-min",
    ),
    pytest.param(
        ["--env", "prod", "scale", "--count", "0"],
        "error: --count 0 stops prod, a protected environment: add --confirm-prod",
        id="stop-prod-needs-confirm",
    ),
    pytest.param(
        ["scale", "--count", "0", "--confirm-prod"],
        "error: --confirm-prod is only for stopping a protected environment",
        id="confirm-prod-in-dev",
    ),
    pytest.param(["restart", "web"], "error: unknown service 'web'; allowed: api, ws, workers", id="restart"),
    pytest.param(["logs", "web"], "error: unknown service 'web'; allowed: api, ws, workers", id="logs-service"),
    pytest.param(["logs", "--since", "1x"], "error: --since '1x': expected a duration such as 10m", id="since"),
    pytest.param(["exec", "web"], "error: unknown service 'web'; allowed: api, ws, workers", id="exec-service"),
    pytest.param(["exec", "--command", " "], "error: --command is empty", id="exec-empty-command"),
    pytest.param(
        ["exec"],
        "error: exec needs the AWS Session Manager plugin, but `session-manager-plugin` is not on PATH",
        id="plugin",
    ),
    pytest.param(["health", "--repeat", "0"], "error: Invalid value for '--repeat'", id="health-repeat"),
    pytest.param(["secrets", "set"], "error: Missing argument 'NAME'", id="secret-name-missing"),
    pytest.param(
        ["secrets", "set", "stripe-key"],
        "error: unknown secret 'stripe-key'; the secrets are: anthropic-api-key, openai-api-key, elevenlabs-api-key, "
        "rds-master, redis-auth, jwt-secret, gateway-token",
        id="unknown-secret",
    ),
    pytest.param(
        ["secrets", "set", "hana/prod/anthropic-api-key"],
        "error: secret 'hana/prod/anthropic-api-key' is not one of dev's (they are named hana/dev/<key>)",
        id="other-environment",
    ),
    pytest.param(
        ["--endpoint-url", "http://127.0.0.1:4566", "login"],
        "error: login is for AWS SSO: the local emulator needs no login",
        id="login-local",
    ),
    pytest.param(
        ["--profile", "nope", "login"],
        "error: AWS profile 'nope' is not in ",
        id="login-unknown-profile",
    ),
    pytest.param(["login"], "error: which profile? pass --profile NAME (or set AWS_PROFILE)", id="login-no-profile"),
    pytest.param(
        ["--endpoint-url", "http://127.0.0.1:4566", "exec"],
        "error: exec needs running containers: the local emulator runs none",
        id="exec-local",
    ),
]


@pytest.mark.parametrize(("args", "expected"), BAD_INPUT)
def test_bad_input_is_one_line_exit_2_and_nothing_happens(offline, fake_bin, args, expected):
    result = invoke(args, offline)
    assert result.exit_code == 2, result.output
    assert one_error_line(result).startswith(expected)
    assert fake_bin.everything_called() == []


SECRET_VALUES = [
    pytest.param("anthropic-api-key", "", "error: the value is empty: nothing was written", id="empty"),
    pytest.param("anthropic-api-key", "\n", "error: the value is empty: nothing was written", id="just-a-newline"),
    pytest.param(
        "anthropic-api-key",
        "sk-ant-api03-abcdefghijklmnopqrstuvwxyz \n",
        "error: the value contains whitespace (a space or line break from the paste?): nothing was written",
        id="trailing-space",
    ),
    pytest.param(
        "anthropic-api-key",
        "sk-ant-api03-abcdefghij\nklmnopqrstuvwxyz\n",
        "error: the value contains whitespace",
        id="two-lines",
    ),
    pytest.param(
        "anthropic-api-key",
        "\x1b[200~sk-ant-api03-abcdefghijklmnopqrstuvwxyz\x1b[201~",
        "error: the value contains control or non-ASCII characters (terminal paste codes?)",
        id="bracketed-paste",
    ),
    pytest.param(
        "anthropic-api-key",
        "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789",
        "error: this looks like an OpenAI key (sk- or sk-proj-...), not an Anthropic API key: it belongs in "
        "openai-api-key: nothing was written",
        id="openai-key-in-anthropic",
    ),
    pytest.param(
        "openai-api-key",
        "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
        "error: this looks like an Anthropic key (sk-ant-...), not an OpenAI API key: it belongs in anthropic-api-key",
        id="anthropic-key-in-openai",
    ),
    pytest.param(
        "elevenlabs",
        "sk-abcdefghijklmnopqrstuvwxyz0123456789",
        "error: this looks like an OpenAI key (sk- or sk-proj-...), not an ElevenLabs API key",
        id="openai-key-in-elevenlabs",
    ),
    pytest.param(
        "anthropic",
        "0123456789abcdef0123456789abcdef",
        "error: Anthropic API keys start with sk-ant-, this value does not (--force if the format changed)",
        id="no-prefix",
    ),
    pytest.param(
        "openai-api-key", "sk-short", "error: an OpenAI API key is 20-4096 characters long (this is 8)", id="short"
    ),
    pytest.param(
        "rds-master",
        "Correct-Horse-Battery-Staple-42",
        "error: rds-master is generated by the secrets stack and used elsewhere (it changes the secret, not the "
        "database",
        id="generated-needs-flag",
    ),
    pytest.param(
        "hana/dev/redis-auth",
        "abcdefghijklmnopqrstuvwxyz",
        "error: redis-auth is generated by the secrets stack",
        id="generated-by-full-name",
    ),
]


@pytest.mark.parametrize(("name", "value", "expected"), SECRET_VALUES)
def test_a_wrong_secret_value_is_refused_before_anything_is_sent(offline, name, value, expected):
    result = invoke(["secrets", "set", name], offline, input=value)
    assert result.exit_code == 2, result.output
    line = one_error_line(result)
    assert line.startswith(expected)
    assert value.strip() == "" or value.strip() not in line  # the value is never echoed


def test_a_generated_secret_with_the_flag_is_still_checked(offline):
    result = invoke(["secrets", "set", "redis-auth", "--overwrite-generated"], offline, input="short@token")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        "error: the Redis AUTH token is 16-128 characters long (this is 11): nothing was written"
    )
    result = invoke(["secrets", "set", "redis-auth", "--overwrite-generated"], offline, input="a" * 20 + "@/")
    assert one_error_line(result) == "error: the Redis AUTH token must not contain / @: nothing was written"


def test_the_hidden_prompt_refuses_an_empty_answer(offline):
    offline.interactive = lambda: True
    result = invoke(["secrets", "set", "anthropic-api-key"], offline, input="\n")
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == "error: the value is empty: nothing was written"


PUSH = [
    pytest.param(
        ["push", "--tag", "t1"], False, {}, "error: push needs Docker, but `docker` is not on PATH", id="no-docker"
    ),
    pytest.param(
        ["push", "--tag", "t1"],
        True,
        {"FAKE_DOCKER_DAEMON": "down"},
        "error: the Docker daemon is not running (Cannot connect to the Docker daemon at unix:///var/run/docker.sock",
        id="daemon-down",
    ),
    pytest.param(["push", "--context", "nowhere"], True, {}, "error: --context nowhere: no such directory", id="ctx"),
    pytest.param(["push", "--tag", "latest"], True, {}, "error: --tag 'latest': a Docker tag is", id="tag-latest"),
    pytest.param(["push", "--tag", "-x"], True, {}, "error: --tag '-x': a Docker tag is", id="bad-tag"),
    pytest.param(["push"], True, {}, "is not in a git repository: the image is tagged with the commit", id="not-git"),
]


@pytest.mark.parametrize(("args", "docker", "env", "expected"), PUSH)
def test_push_refuses_before_building(offline, fake_bin, tmp_path, monkeypatch, args, docker, env, expected):
    context = tmp_path / "app"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\n")
    monkeypatch.chdir(context)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # not inside the repository we run from
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if docker:
        fake_bin.add("docker", fakes.DOCKER)
    fake_bin.link("git")
    result = invoke(args, offline)
    assert result.exit_code == 2, result.output
    assert expected in one_error_line(result)
    assert [a for a in fake_bin.argv("docker") if a[:1] != ["version"]] == []  # nothing built, logged in or pushed


def test_push_needs_a_dockerfile(offline, fake_bin, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(["push", "--tag", "t1"], offline)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        "error: Dockerfile does not exist: pass --dockerfile PATH (or --context DIR with a Dockerfile)"
    )
