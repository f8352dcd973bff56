"""The emulator stays cheap to import: `import hana_emulator` (what `--local` and `python -m deploy
local` do first) loads no moto; only `start()` / `apply()` do. Module sizes, the ban on importing
the deployer and the absence of import loops are checked for every package in tests/test_layers.py."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_package_does_not_import_moto():
    code = "import sys, hana_emulator; print(sorted(m for m in sys.modules if m.split('.')[0] == 'moto'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
