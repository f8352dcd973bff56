"""The cfn-guard gate of `make security`: AWS Control Tower's proactive-control rules over out/<env>/.

The Control Tower rules do not read `Metadata.guard.SuppressedRules` themselves, so this gate
runs cfn-guard (structured JSON), takes every (template, resource, rule) finding, and drops the
ones the resource suppresses, each with its reason (`Metadata.hana.guard-reasons`, written by
`hana_templates.constructs.suppress`). It fails on any other finding, on a suppression without
a reason, and on a suppression that no longer matches a finding (stale exceptions rot).

Usage: python -m tests.guard_gate CFN_GUARD RULES_DIR OUT_ENV_DIR...
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

_RESOURCE_PATH = re.compile(r"^/Resources/([^/]+)")


def findings(report: list[dict]) -> set[tuple[str, str, str]]:
    """(template file name, logical id, rule) for every non-compliant resource in a cfn-guard
    structured report (`validate -o json -z`)."""
    found = set()
    for file_report in report:
        name = Path(file_report["name"]).name
        for failure in file_report.get("not_compliant", []):
            rule = failure["Rule"]["name"]
            for logical_id in _resources(failure):
                found.add((name, logical_id, rule))
    return found


def _resources(node) -> set[str]:
    out: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "path" and isinstance(value, str) and (m := _RESOURCE_PATH.match(value)):
                out.add(m.group(1))
            else:
                out |= _resources(value)
    elif isinstance(node, list):
        for item in node:
            out |= _resources(item)
    return out


def suppressions(template: dict) -> dict[tuple[str, str], str]:
    """(logical id, rule) -> reason, for every cfn-guard suppression in one template."""
    result = {}
    for logical_id, resource in template.get("Resources", {}).items():
        metadata = resource.get("Metadata", {})
        reasons = metadata.get("hana", {}).get("guard-reasons", {})
        for rule in metadata.get("guard", {}).get("SuppressedRules", []):
            result[(logical_id, rule)] = reasons.get(rule, "")
    return result


def judge(found: set[tuple[str, str, str]], suppressed: dict[tuple[str, str, str], str]) -> list[str]:
    """The gate's verdict: one line per problem (empty: the gate passes)."""
    problems = []
    for name, logical_id, rule in sorted(found):
        if (name, logical_id, rule) not in suppressed:
            problems.append(f"{name}: {logical_id} fails {rule}")
    for (name, logical_id, rule), reason in sorted(suppressed.items()):
        if len(reason.strip()) <= 15:
            problems.append(f"{name}: {logical_id} suppresses {rule} without a reason")
        if (name, logical_id, rule) not in found:
            problems.append(f"{name}: {logical_id} suppresses {rule}, which it no longer fails: remove it")
    return problems


def check_env(guard: str, rules: str, env_dir: Path) -> tuple[list[str], int, int]:
    """Run cfn-guard over one environment: (problems, findings, suppressed findings)."""
    result = subprocess.run(
        [
            guard,
            "validate",
            "--rules",
            rules,
            "--data",
            str(env_dir),
            "--output-format",
            "json",
            "--structured",
            "--show-summary",
            "none",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode not in (0, 19):  # 19: some rule failed; anything else: cfn-guard itself failed
        raise SystemExit(f"cfn-guard failed on {env_dir} (exit {result.returncode}): {result.stderr.strip()}")
    found = findings(json.loads(result.stdout))
    suppressed = {}
    for path in sorted(env_dir.glob("*.yaml")):
        for (logical_id, rule), reason in suppressions(yaml.safe_load(path.read_text())).items():
            suppressed[(path.name, logical_id, rule)] = reason
    return judge(found, suppressed), len(found), len(suppressed)


def main(argv: list[str]) -> int:
    guard, rules, *env_dirs = argv
    failed = False
    for env_dir in map(Path, env_dirs):
        problems, total, suppressed = check_env(guard, rules, env_dir)
        print(f"cfn-guard (Control Tower) {env_dir}: {total} findings, {suppressed} suppressed with a reason")
        for line in problems:
            print(f"  {line}")
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
