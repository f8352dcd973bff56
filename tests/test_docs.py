"""The documentation's examples are true: every `python -m deploy ...` it shows, and every command
in the README's table of the spec's commands, parses as written (command, subcommand, options,
arguments), through the same global-option handling the CLI applies. Nothing is executed.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from deploy.commands import cli
from deploy.commands.group import hoist_global_options

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHOWN = re.compile(r"python -m deploy((?: [^`|#()\n]*)?)")
PLACEHOLDER = re.compile(r"<[^>]*>")


def _shown_commands() -> list[pytest.param]:
    found = {}
    for page in PAGES:
        for line in page.read_text().splitlines():
            for match in SHOWN.finditer(line):
                found.setdefault(match.group(1).strip(), f"{page.name}: {line.strip()[:60]}")
    return [pytest.param(args, id=f"{where} -> {args[:50]}") for args, where in sorted(found.items())]


def _mapping_table() -> list[pytest.param]:
    text = (ROOT / "README.md").read_text()
    table = text.split("## The spec's commands and ours", 1)[1].split("\n## ", 1)[0]
    found = []
    for row in table.splitlines()[2:]:
        cells = row.split("|")
        if len(cells) < 3:
            continue
        for snippet in re.findall(r"`([^`]+)`", cells[2]):
            first = snippet.split()[0]
            if first in cli.commands or first.startswith("--"):
                found.append(pytest.param(snippet, id=f"table: {snippet[:50]}"))
    return found


def _words(args: str) -> list[str]:
    """The command as a user would paste it: optional parts `[...]` included, placeholders filled."""
    text = PLACEHOLDER.sub("X", args).replace("[", " ").replace("]", " ")
    return shlex.split(text)


def parse(words: list[str]) -> list[str]:
    """Parse like `python -m deploy WORDS` would, without invoking anything; returns the command path."""
    if not words:
        return []  # bare `python -m deploy`: the help
    words = hoist_global_options(words, cli.commands)
    try:
        ctx = cli.make_context("python -m deploy", list(words))
    except click.exceptions.Exit as done:  # --help, --version: printed, exit 0
        assert done.exit_code == 0
        return []
    path = []
    command: click.Command = cli
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, command, remaining = command.resolve_command(ctx, rest)
        path.append(name)
        try:
            ctx = command.make_context(name, remaining, parent=ctx)
        except click.exceptions.Exit as done:
            assert done.exit_code == 0
            break
    return path


def test_the_pages_show_commands():
    """Guards the collectors: an empty list would make the tests below vacuous."""
    assert len(_shown_commands()) > 15
    assert len(_mapping_table()) > 15


def test_a_wrong_command_is_caught():
    with pytest.raises(click.UsageError):
        parse(["stack"])  # NAME is required
    with pytest.raises(click.UsageError):
        parse(["deploy-everything"])
    with pytest.raises(click.UsageError):
        parse(["logs", "--no-such-option"])


@pytest.mark.parametrize("args", _shown_commands())
def test_every_command_the_docs_show_parses(args):
    if "…" in args or "..." in args:
        pytest.skip("an elided example")
    parse(_words(args))


@pytest.mark.parametrize("args", _mapping_table())
def test_every_command_in_the_mapping_table_parses(args):
    if "…" in args or "..." in args:
        pytest.skip("an elided example")
    parse(_words(args))
