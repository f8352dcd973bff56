"""One emulator per test process (xdist worker), reset after every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deploy import emulator


@pytest.fixture(scope="session")
def _server() -> Iterator[emulator.Emulator]:
    with emulator.start() as emu:
        yield emu


@pytest.fixture
def emu(_server: emulator.Emulator) -> Iterator[emulator.Emulator]:
    yield _server
    _server.reset()


@pytest.fixture
def cfn(emu: emulator.Emulator) -> Any:
    return emu.client("cloudformation")
