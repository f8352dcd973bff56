"""One emulator per test process (xdist worker), reset around every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import hana_emulator as emulator


@pytest.fixture(scope="session")
def _server() -> Iterator[emulator.Emulator]:
    with emulator.start() as emu:
        yield emu


@pytest.fixture
def emu(_server: emulator.Emulator) -> Iterator[emulator.Emulator]:
    # moto's backends are per process: other tests in this worker may have left resources.
    _server.reset()
    yield _server
    _server.reset()


@pytest.fixture
def cfn(emu: emulator.Emulator) -> Any:
    return emu.client("cloudformation")
