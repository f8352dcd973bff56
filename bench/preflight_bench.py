#!/usr/bin/env python3
"""Benchmark preflight (deploy/engine/preflight.py): what it adds to `all`, `stack` and `main`.

On the local emulator (in this process), for every environment: a first deploy (no stack yet:
every check, incl. quotas and existing names) and a re-run after `all` (live stacks: the database
version and image checks). The target is at most ~2 s; on real AWS each check is one or two
read-only calls, all in parallel, so the figure is set by the slowest round trip, not their sum.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = 7


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        for var in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            os.environ[var] = str(Path(home) / "empty")
        Path(home, "empty").write_text("")
        import boto3
        from click.testing import CliRunner

        import hana_emulator as emulator
        from deploy.aws.session import Aws, Settings
        from deploy.commands import App, cli
        from deploy.engine import preflight
        from deploy.engine.project import Project
        from hana_templates import config

        with emulator.start() as emu:
            for env in config.ENVIRONMENTS:
                cfg = config.get(env)
                if cfg.domain:
                    emu.add_hosted_zone(cfg.domain.name.split(".", 1)[1], cfg.domain.hosted_zone_id)
                session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
                aws = Aws(Settings(env=env, endpoint_url=emu.url), "us-east-1", session=session)
                project = Project.default(env)
                preflight.run(project, aws)  # warm the clients
                first = [preflight.run(project, aws).seconds for _ in range(RUNS)]
                app = App(project_factory=Project.default, aws_factory=lambda s, r, a=aws: a, interactive=lambda: False)
                result = CliRunner().invoke(cli, ["--env", env, "all"], obj=app)
                assert result.exit_code == 0, result.output
                again = [preflight.run(project, aws).seconds for _ in range(RUNS)]
                print(
                    f"preflight {env:8s}: first deploy median {statistics.median(first):.2f} s, "
                    f"after deploy median {statistics.median(again):.2f} s (max {max(first + again):.2f} s)"
                )
                emu.reset()


if __name__ == "__main__":
    main()
