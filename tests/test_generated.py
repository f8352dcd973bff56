"""out/ is exactly what generate.py writes; generation is deterministic and within CloudFormation's limits."""

import subprocess
import sys
from pathlib import Path

import pytest
from troposphere import Template
from troposphere.sqs import Queue

from hana_templates import config, render
from hana_templates.errors import TemplateLimitError

ROOT = Path(__file__).resolve().parent.parent


def _generate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "generate.py", *args], cwd=ROOT, capture_output=True, text=True)


def test_out_is_current():
    result = _generate("--check")
    assert result.returncode == 0, f"out/ is stale, run `make templates`:\n{result.stderr}"


def test_generation_is_deterministic(env):
    cfg = config.get(env)
    assert render.render_environment(cfg) == render.render_environment(cfg)


def test_check_lists_missing_and_stale_files_and_writes_nothing(tmp_path):
    assert _generate("--out", str(tmp_path)).returncode == 0
    files = [sorted((tmp_path / env).glob("*.yaml"))[0] for env in ("dev", "prod")]
    files[0].write_text("stale\n")
    files[1].unlink()
    (tmp_path / "dev" / "gone.yaml").write_text("old stack\n")
    result = _generate("--out", str(tmp_path), "--check")
    assert result.returncode == 1
    assert f"stale:   {files[0]}" in result.stderr
    assert f"missing: {files[1]}" in result.stderr
    assert "extra:" in result.stderr and "gone.yaml" in result.stderr
    assert files[0].read_text() == "stale\n" and not files[1].exists()


def test_unknown_environment_is_one_line_and_exit_2():
    result = _generate("--env", "staging", "--check")
    assert result.returncode == 2
    allowed = ", ".join(config.ENVIRONMENTS)
    assert result.stderr.strip() == f"error: unknown environment 'staging'; allowed: {allowed}"


def test_templates_are_long_form_yaml():
    for path in (ROOT / "out").glob("*/*.yaml"):
        text = path.read_text()
        assert "!Ref" not in text and "!GetAtt" not in text and "!Sub" not in text, path


def test_limits_name_the_stack():
    big = Template()
    for i in range(450):
        big.add_resource(Queue(f"Queue{i}", QueueName=f"a-rather-long-queue-name-for-a-size-test-{i}"))
    body = render.render(big)
    assert len(body.encode()) > render.MAX_INLINE_BODY_BYTES
    with pytest.raises(TemplateLimitError, match=r"stack big: template is \d+ bytes"):
        render.check_limits("big", big, body)
    many = Template()
    # troposphere refuses a 501st resource itself, so fill the dict directly to test our check.
    many.resources = {f"Q{i}": Queue(f"Q{i}") for i in range(render.MAX_RESOURCES + 1)}
    with pytest.raises(TemplateLimitError, match="stack many: 501 resources"):
        render.check_limits("many", many, "x")
