"""`python -m deploy`.

Run with an interpreter that lacks the project's dependencies (the system `python3`, another
project's venv), the first import would end in a long ModuleNotFoundError traceback. The
dependencies are looked up first (importlib.util.find_spec: nothing is imported, so `--help`
stays fast) and a missing one is one line naming the interpreter to use, exit 1.
"""

import importlib.util
import os
import sys
from pathlib import Path

# The importable module of each dependency in pyproject.toml (all are needed by some command).
DEPENDENCIES = {
    "click": "click",
    "boto3": "boto3",
    "yaml": "PyYAML",
    "troposphere": "troposphere",
    "awacs": "awacs",
    "cfnlint": "cfn-lint",
    "moto": "moto",
}


def missing_dependencies() -> list[str]:
    """The distributions of DEPENDENCIES this interpreter cannot import."""
    return [dist for module, dist in DEPENDENCIES.items() if importlib.util.find_spec(module) is None]


def wrong_interpreter_text(missing: list[str]) -> str:
    root = Path(__file__).resolve().parent.parent
    venv_python = root / ".venv" / "bin" / "python"
    here = os.path.relpath(venv_python) if Path.cwd() in venv_python.parents else str(venv_python)
    where = (
        f"use {here} -m deploy ... (or `source {os.path.dirname(os.path.dirname(here))}/bin/activate` first)"
        if venv_python.exists()
        else f"run `make install` in {root} first, then {here} -m deploy ..."
    )
    return f"error: {sys.executable} lacks the project's dependencies ({', '.join(missing)} not installed): {where}"


def main() -> None:
    missing = missing_dependencies()
    if missing:
        print(wrong_interpreter_text(missing), file=sys.stderr)
        sys.exit(1)
    from deploy.commands import cli

    cli()


if __name__ == "__main__":
    main()
