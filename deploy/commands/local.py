"""`python -m deploy local`: the local AWS emulator in the foreground (imported lazily from hana_emulator).

Exported: COMMANDS.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("local", short_help="Run the local AWS emulator in the foreground (Ctrl-C stops it).")
@click.option("--port", type=click.IntRange(1, 65535), default=4566, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Load the emulator's state from FILE if it exists, save it there on exit.",
)
def local_emulator(port: int, state: Path | None) -> None:
    """An embedded AWS emulator on 127.0.0.1 (moto, with hana-infra's CloudFormation extensions):
    every deploy command works against it with --local. State is in memory unless --state.

    \b
    Examples:
    python -m deploy local                          on 127.0.0.1:4566; then `python -m deploy all --local`
    python -m deploy local --port 4567 --state .emulator.json
    """
    import os

    from deploy.errors import BadInput, DeployError
    from hana_emulator import EmulatorError, local
    from hana_emulator.state import StateError

    if state is not None:  # checked now, not at exit, when the session's state would be lost
        folder = state.parent if str(state.parent) else Path(".")
        if not folder.is_dir():
            raise BadInput(
                f"--state {state}: the folder {folder} does not exist; create it (mkdir -p {folder}) or pick another"
            )
        if not os.access(folder, os.W_OK):
            raise BadInput(f"--state {state}: the folder {folder} is not writable; pick another")
    try:
        local.serve(port=port, state=state, echo=lambda line: click.echo(line, err=True), hosted_zones=hosted_zones())
    except (EmulatorError, StateError) as err:
        raise DeployError(str(err)) from None
    # The process ends now: spare the collector its walk over moto's object graph at interpreter
    # exit (1.2 s of a SIGTERM stop, measured; docs/benchmarks.md). Nothing is skipped: atexit
    # handlers and stream flushes still run.
    import gc

    gc.freeze()


def hosted_zones() -> dict[str, str]:
    """{zone id: zone name} of every environment with a domain (config.py): the emulator holds them,
    so `--env prod all --local` deploys as shipped (the domain's parent is the zone's name)."""
    from hana_templates import config

    return {
        cfg.domain.hosted_zone_id: cfg.domain.name.split(".", 1)[1]
        for cfg in config.ENVIRONMENTS.values()
        if cfg.domain is not None
    }


COMMANDS = (local_emulator,)
