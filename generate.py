#!/usr/bin/env python3
"""Generate the CloudFormation templates: out/<env>/<stack>.yaml for every environment.

    python generate.py                 # every environment into out/
    python generate.py --env dev       # one environment
    python generate.py --out DIR       # somewhere else
    python generate.py --check         # exit 1 listing stale, missing or extra files; writes nothing

It also keeps the stack table of docs/stacks.md (between the stack-table markers) in step with the registry.

Output is deterministic: the same config always gives the same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hana_templates import config, registry
from hana_templates.errors import HanaError
from hana_templates.render import render_environment

ROOT = Path(__file__).resolve().parent
DEFAULT_OUT = ROOT / "out"
STACK_TABLE_DOC = ROOT / "docs" / "stacks.md"
TABLE_START, TABLE_END = "<!-- stack-table -->\n", "<!-- /stack-table -->"


def _readme_with_table(text: str) -> str:
    """docs/stacks.md with its stack table (between the markers) derived from the registry."""
    head, _, rest = text.partition(TABLE_START)
    _, _, tail = rest.partition(TABLE_END)
    return head + TABLE_START + registry.stack_table() + TABLE_END + tail


def _expected(envs: list[str]) -> dict[Path, str]:
    """Relative path -> body for every file the generator owns."""
    files: dict[Path, str] = {}
    for env in envs:
        for filename, body in render_environment(config.get(env)).items():
            files[Path(env) / filename] = body
    return files


def _problems(out: Path, envs: list[str], files: dict[Path, str]) -> list[str]:
    problems = []
    for rel, body in files.items():
        path = out / rel
        if not path.exists():
            problems.append(f"missing: {path}")
        elif path.read_text() != body:
            problems.append(f"stale:   {path}")
    for env in envs:
        for path in sorted((out / env).glob("*.yaml")):
            if path.relative_to(out) not in files:
                problems.append(f"extra:   {path} (no stack produces it)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="all", help=f"one of: all, {', '.join(config.ENVIRONMENTS)}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: out/)")
    parser.add_argument("--check", action="store_true", help="verify out/ is current; write nothing")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    try:
        envs = list(config.ENVIRONMENTS) if args.env == "all" else [config.get(args.env).name]
        files = _expected(envs)
    except HanaError as err:
        if args.debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    readme = STACK_TABLE_DOC.read_text() if STACK_TABLE_DOC.exists() else None
    if args.check:
        problems = _problems(args.out, envs, files)
        if readme is not None and _readme_with_table(readme) != readme:
            problems.append(f"stale:   {STACK_TABLE_DOC} (stack table)")
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("out/ is out of date: run `make templates`", file=sys.stderr)
            return 1
        return 0
    written = 0
    for rel, body in files.items():
        path = args.out / rel
        if path.exists() and path.read_text() == body:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        written += 1
    for env in envs:  # a stack that no longer exists leaves no template behind
        for path in (args.out / env).glob("*.yaml"):
            if path.relative_to(args.out) not in files:
                path.unlink()
                written += 1
    if readme is not None and _readme_with_table(readme) != readme:
        STACK_TABLE_DOC.write_text(_readme_with_table(readme))
        written += 1
    print(f"{len(files)} templates for {', '.join(envs)} in {args.out} ({written} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
