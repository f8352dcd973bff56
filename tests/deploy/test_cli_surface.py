"""The everyday command-line surface (issue #17): `--version`, the spec's command names answered
with ours, one line for a wrong service, an "Examples:" block in every help whose examples parse,
the global options in every help, `plan --json` / `--detailed-exitcode`, `lock status --json`, the
wrong interpreter, and the emulator stopping on SIGTERM."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from deploy.commands import App, cli
from tests.deploy import templates as T
from tests.deploy.conftest import moto_aws, write_project
from tests.test_docs import parse

ROOT = Path(__file__).resolve().parents[2]


def invoke(args: list[str], app: App | None = None, input: str | None = None):  # noqa: A002
    return CliRunner().invoke(cli, args, obj=app or App(interactive=lambda: False), input=input)


def one_error_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def every_command() -> list[tuple[str, ...]]:
    """Every command path: ("all",), ..., ("secrets", "list"), ("lock", "status")."""
    found: list[tuple[str, ...]] = []

    def walk(group: click.Group, path: tuple[str, ...]) -> None:
        for name, command in sorted(group.commands.items()):
            found.append((*path, name))
            if isinstance(command, click.Group):
                walk(command, (*path, name))

    walk(cli, ())
    return found


def help_of(path: tuple[str, ...]) -> str:
    result = invoke([*path, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


# --- --version --------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--version"], ["status", "--version"], ["all", "--local", "--version"]])
def test_version_names_the_package_and_the_pinned_tools(args):
    result = invoke(args)  # after a command name too, like the other global options
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert line.startswith(f"hana-infra {importlib.metadata.version('hana-infra')} (")
    for dist in ("troposphere", "awacs", "cfn-lint", "moto"):
        assert f"{dist} {importlib.metadata.version(dist)}" in line
    assert len(result.output.splitlines()) == 1


# --- the spec's command names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["deploy"], "`python -m deploy all`"),
        (["aws:deploy"], "`python -m deploy all`"),
        (["deploy:stack", "network"], "`python -m deploy stack network`"),
        (["aws:deploy:stack"], "`python -m deploy stack NAME`"),
        (["aws:status"], "`python -m deploy status`"),
        (["aws:login"], "`python -m deploy login`"),
        (["logs:ws"], "`python -m deploy logs ws`"),
        (["aws:logs:workers"], "`python -m deploy logs workers`"),
        (["destroy"], "`python -m deploy delete`"),
        (["version"], "`python -m deploy --version`"),
        (["--local", "deploy"], "`python -m deploy --local all`"),
        (["deploy", "--env", "prod", "--local"], "`python -m deploy --env prod --local all`"),
    ],
)
def test_a_spec_command_name_points_to_ours_exit_2(args, expected):
    result = invoke(args)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert line.startswith(f"error: no command {args[0] if args[0] != '--local' else args[1]!r}: ")
    assert expected in line
    hint = re.search(r"`(python -m deploy [^`]+)`", line.split(": ", 2)[2]).group(1)
    parse(shlex.split(hint.removeprefix("python -m deploy ")))  # the pointer parses as printed


def test_every_spec_script_is_ours_or_answered_with_ours():
    # The spec's `pnpm aws:*` scripts as the README's mapping table lists them (the spec itself lives
    # outside this repository, so CI's clean clone has no copy; test_docs checks the table's commands).
    readme = (ROOT / "README.md").read_text()
    scripts = sorted(set(re.findall(r"pnpm aws:([\w:]+)", readme)))
    assert "deploy" in scripts and "logs:ws" in scripts  # the collector sees the spec's scripts
    for script in scripts:
        for typed in (script, f"aws:{script}"):
            if typed in cli.commands:
                continue  # ours has the same name (login, status, delete, push, logs)
            result = invoke([typed])
            assert result.exit_code == 2, typed
            assert one_error_line(result).startswith(f"error: no command {typed!r}: "), typed


# --- a wrong service --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["restart", "foo"], ["restart", "api", "foo"], ["logs", "foo"], ["events", "foo"], ["exec", "foo"]],
)
def test_a_wrong_service_is_one_line_naming_the_allowed_ones(args):
    result = invoke(args)
    assert result.exit_code == 2
    assert one_error_line(result).startswith("error: unknown service 'foo'; allowed: api, ws, workers")


# --- help: examples and global options --------------------------------------------------------

# cost.py belongs to the cost estimator's owner; its help has no Examples block yet.
WITHOUT_EXAMPLES: set[tuple[str, ...]] = set()


def examples(help_text: str) -> list[str]:
    """The `python -m deploy ...` lines of the help's "Examples:" block (a description follows
    two spaces; a `... |` pipe in front is dropped)."""
    lines = help_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Examples:")
    found = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        command = line.strip()[line.strip().index("python -m deploy") :]
        found.append(re.split(r"\s{2,}| \| ", command)[0])
    return found


@pytest.mark.parametrize("path", [p for p in every_command() if p not in WITHOUT_EXAMPLES], ids=" ".join)
def test_every_help_has_examples_and_each_parses(path):
    shown = examples(help_of(path))
    assert shown, f"{' '.join(path)}: an empty Examples block"
    for example in shown:
        words = shlex.split(example.removeprefix("python -m deploy"))
        assert parse(words)[: len(path)] == list(path), example


def test_the_group_help_has_examples_too():
    shown = examples(help_of(()))
    assert shown
    for example in shown:
        assert parse(shlex.split(example.removeprefix("python -m deploy")))[0] in cli.commands, example


def test_the_example_collector_sees_a_broken_example():
    broken = "Examples:\n  python -m deploy restart nope   a wrong one\n"
    (example,) = examples(broken)
    with pytest.raises(click.UsageError):
        parse(shlex.split(example.removeprefix("python -m deploy")))


@pytest.mark.parametrize("path", every_command(), ids=" ".join)
def test_every_help_shows_the_global_options_of_the_group(path):
    text = help_of(path)
    section = text.split("Global options (before or after the command name):", 1)[1]
    command = cli
    for name in path:
        command = command.commands[name]
    own = {o for p in command.params for o in getattr(p, "opts", ())}
    shown = [o for p in cli.params for o in p.opts if isinstance(p, click.Option) and p.name not in ("help", "version")]
    assert "--env" in shown and "--local" in shown  # the group's options, read from the group itself
    for option in shown:
        if option.startswith("--") and option not in own:
            assert re.search(rf"^\s+{re.escape(option)}\b", section, re.MULTILINE), f"{option} missing"
    if "--env" in own:  # `cost --env` is cost's own: the section does not claim it is the group's
        assert not re.search(r"^\s+--env\b", section, re.MULTILINE)


def test_the_global_options_section_appears_once_even_if_a_command_is_added_again():
    cli.add_command(cli.commands["status"])
    assert help_of(("status",)).count("Global options") == 1


# --- plan --json and --detailed-exitcode, lock status --json ----------------------------------


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path, T.STACKS)


@pytest.fixture
def on_moto(moto, project) -> App:
    aws = moto_aws(moto)
    return App(project_factory=lambda env: project, aws_factory=lambda settings, region: aws, interactive=lambda: False)


def fresh(app: App) -> App:
    app._aws = app._project = None
    return app


PLAN_KEYS = {"env", "changed", "counts", "stacks"}
PLAN_STACK_KEYS = {"key", "name", "state", "message", "changes"}
PLAN_CHANGE_KEYS = {"action", "logical_id", "type", "replacement", "properties"}


def test_plan_json_and_detailed_exitcode(on_moto, project):
    new = invoke(["plan", "--json", "--detailed-exitcode"], on_moto)
    assert new.exit_code == 2, new.output
    document = json.loads(new.stdout)  # stdout is nothing but the JSON
    assert set(document) == PLAN_KEYS
    assert document["env"] == "dev" and document["changed"] is True
    assert document["counts"] == {"changes": 0, "new": 4, "unchanged": 0, "blocked": 0}
    stacks = {s["key"]: s for s in document["stacks"]}
    assert sorted(stacks) == ["app", "edge", "net", "store"]
    assert all(set(s) == PLAN_STACK_KEYS for s in stacks.values())
    assert all(set(c) == PLAN_CHANGE_KEYS for s in stacks.values() for c in s["changes"])
    assert {c["action"] for c in stacks["net"]["changes"]} == {"Add"}

    assert invoke(["all"], fresh(on_moto)).exit_code == 0
    same = invoke(["plan", "--detailed-exitcode"], fresh(on_moto))
    assert same.exit_code == 0, same.output
    assert same.stdout.strip().endswith("plan dev: 4 unchanged (change sets deleted, nothing executed)")
    plain = invoke(["plan", "--json"], fresh(on_moto))
    assert plain.exit_code == 0 and json.loads(plain.stdout)["changed"] is False

    (project.env_dir / "net.yaml").write_text(T.with_extra_topic(T.NET_BODY))
    project._bodies.clear()  # the project object is shared: read the edited template
    changed = invoke(["plan", "--detailed-exitcode"], fresh(on_moto))
    assert changed.exit_code == 2, changed.output
    assert "net: " in changed.stdout
    without = invoke(["plan"], fresh(on_moto))
    assert without.exit_code == 0  # without the flag a plan with changes is a success

    on_moto.aws().client("cloudformation").delete_stack(StackName="hana-dev-app")  # edge's upstream gone
    blocked = invoke(["plan", "--detailed-exitcode"], fresh(on_moto))
    assert blocked.exit_code == 1, blocked.output
    assert "hana-dev-edge: cannot plan: app is not deployed" in blocked.stdout
    assert blocked.stderr.strip().splitlines()[-1] == "error: plan dev: edge cannot be planned (listed above)"


STATUS_KEYS = {"env", "region", "stacks", "endpoints", "internal", "console", "services", "services_note"}
STATUS_STACK_KEYS = {"key", "name", "status", "updated", "protected"}


def test_status_json_keys(on_moto):
    assert invoke(["all"], on_moto).exit_code == 0
    result = invoke(["status", "--json"], fresh(on_moto))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert set(document) == STATUS_KEYS
    assert [set(s) for s in document["stacks"]] == [STATUS_STACK_KEYS] * 4
    assert {s["key"]: s["status"] for s in document["stacks"]}["app"] == "CREATE_COMPLETE"
    assert document["services"] == [] and document["services_note"]  # no ECS cluster in the test stacks


def test_plan_detailed_exitcode_is_1_on_an_error(project):
    def refuse(settings, region):
        from deploy.errors import DeployError

        raise DeployError("no credentials here")

    app = App(project_factory=lambda env: project, aws_factory=refuse, interactive=lambda: False)
    result = invoke(["plan", "--detailed-exitcode"], app)
    assert result.exit_code == 1
    assert one_error_line(result) == "error: no credentials here"


def test_lock_status_json(on_moto):
    free = invoke(["lock", "status", "--json"], on_moto)
    assert free.exit_code == 0, free.output
    assert json.loads(free.stdout) == {
        "env": "dev",
        "parameter": "/hana/dev/deploy-lock",
        "held": False,
        "stale": False,
        "holder": None,
    }
    ssm = on_moto.aws().client("ssm")
    holder = {"host": socket.gethostname(), "pid": 2**22 + 7, "user": "alice", "command": "all"}
    holder |= {"since": "2026-12-05T07:00:00Z", "token": "t"}
    ssm.put_parameter(Name="/hana/dev/deploy-lock", Value=json.dumps(holder), Type="String")
    held = json.loads(invoke(["lock", "status", "--json"], fresh(on_moto)).stdout)
    assert held["held"] is True and held["stale"] is True  # that pid runs nowhere on this machine
    assert held["holder"] == {k: holder[k] for k in ("host", "pid", "user", "command", "since")}  # no token


# --- the wrong interpreter --------------------------------------------------------------------


def test_a_missing_dependency_is_one_line_naming_the_interpreter(monkeypatch, capsys):
    import importlib.util

    from deploy import __main__ as entry

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "troposphere" else real(name))
    with pytest.raises(SystemExit) as done:
        entry.main()
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: {sys.executable} lacks the project's dependencies (troposphere not installed): ")
    assert ".venv/bin/python -m deploy ..." in err


SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin")


@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="no /usr/bin/python3")
def test_the_system_python_gets_one_line_not_a_traceback():
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import click, troposphere"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("/usr/bin/python3 has the project's dependencies")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [SYSTEM_PYTHON, "-m", "deploy", "status"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith(f"error: {SYSTEM_PYTHON} lacks the project's dependencies (")
    assert "use .venv/bin/python -m deploy ..." in lines[0] or "make install" in lines[0]


# --- the emulator stops on SIGTERM ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_local_stops_on_sigterm(tmp_path):
    """The orderly stop (message, state saved, exit 0), not death by signal. How fast: bench in
    docs/benchmarks.md (this only waits, generously)."""
    state = tmp_path / "emulator.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy", "local", "--port", str(_free_port()), "--state", str(state)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "AWS emulator listening on" in line:
                break
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        rest = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, rest
    assert "stopping the emulator" in rest
    assert state.exists()


def test_sigterm_is_handled_before_the_banner_says_it_listens():
    """A supervisor may stop the emulator as soon as it says it listens: by then SIGTERM must
    already mean "stop in order" (it used to be installed after the banner: exit -15, no state)."""
    from hana_emulator import local

    assert threading.current_thread() is threading.main_thread()
    handlers = []
    stop = threading.Event()
    stop.set()  # the wait returns at once

    def echo(line: str) -> None:
        if "listening on" in line:
            handlers.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    local.serve(port=0, echo=echo, stop=stop)
    assert handlers and handlers[0] not in (signal.SIG_DFL, signal.SIG_IGN, None, before)
    assert signal.getsignal(signal.SIGTERM) == before  # restored


# --- a hand-edited template ---------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=repo, check=True, capture_output=True
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_hand_edited_template_is_told_apart_from_changed_stack_code(tmp_path, monkeypatch):
    from deploy.engine import project as project_module
    from hana_templates import config, render

    monkeypatch.setattr(render, "render_environment", lambda cfg: {"app.yaml": "generated\n"})
    out = tmp_path / "out"
    (out / "dev").mkdir(parents=True)
    template = out / "dev" / "app.yaml"
    template.write_text("generated\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "generated")
    cfg = config.get("dev")
    assert project_module._generator_problems(cfg, out) == []

    template.write_text("generated\n# a hand edit\n")  # committed == generated != file: known to be an edit
    assert project_module._generator_problems(cfg, out) == ["app.yaml edited by hand"]

    _git(tmp_path, "commit", "-qam", "the edit, committed")  # file == committed != generated: not known
    assert project_module._generator_problems(cfg, out) == ["app.yaml stale"]

    template.unlink()
    assert project_module._generator_problems(cfg, out) == ["app.yaml missing"]


@pytest.mark.parametrize(
    ("problems", "says"),
    [
        (
            ["app.yaml edited by hand"],
            "app.yaml differs from what hana_templates/ generates and from the committed file, so it was edited "
            "outside generate.py; make the change in hana_templates/ (a hand edit is overwritten), then run "
            "`make templates`",
        ),
        (
            ["app.yaml stale"],
            "the templates differ from what hana_templates/ generates (the stack code changed since they were "
            "generated, or a template was edited by hand",
        ),
    ],
)
def test_the_out_of_date_message_says_what_is_known(tmp_path, problems, says):
    project = write_project(tmp_path, T.STACKS)
    project.freshness = lambda: problems

    def no_aws(settings, region):
        raise AssertionError("bad input must not reach AWS")

    result = invoke(["all"], App(project_factory=lambda env: project, aws_factory=no_aws, interactive=lambda: False))
    assert result.exit_code == 2
    line = one_error_line(result)
    assert f"is out of date ({problems[0]}): " in line and says in line
    assert "the stack code changed since the templates were generated;" not in line
    assert line.endswith("run `make templates`")
