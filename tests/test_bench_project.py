"""bench/sceptre/config is what bench/noop_bench.py derives from the registry: a stack contract
that changes (a new input) must not leave `make bench` refusing to run (it checks the same)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_sceptre_bench_project_matches_the_registry():
    spec = importlib.util.spec_from_file_location("noop_bench", ROOT / "bench" / "noop_bench.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    stale = [
        str(path.relative_to(ROOT))
        for path, text in bench.sceptre_files().items()
        if not path.exists() or path.read_text() != text
    ]
    assert not stale, f"stale: {stale}; run `python bench/noop_bench.py --write-sceptre`"
