"""``mic-desktop demo-data``: load the deterministic demo clinic into an empty database."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from mic_desktop.cli.common import open_checked, positive
from mic_desktop.config import DatabaseTarget


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``demo-data`` to the ``mic-desktop`` subcommands."""
    demo = commands.add_parser(
        "demo-data",
        help="load deterministic demo data into an empty database",
        parents=[common],
    )
    demo.add_argument("--patients", type=positive, default=16500)  # DemoSpec's default
    demo.add_argument("--months", type=positive, default=24)
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument(
        "--today", type=dt.date.fromisoformat, help="anchor date YYYY-MM-DD (default: today)"
    )


def demo_data_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    from mic_desktop.services.demo.loader import load_demo
    from mic_desktop.services.demo.spec import DemoSpec

    database = open_checked(target)
    try:
        spec = DemoSpec(
            patients=args.patients, months=args.months, seed=args.seed, today=args.today
        )

        def progress(done: int, total: int, what: str) -> None:
            print(f"  [{done}/{total}] {what}", file=sys.stderr)

        summary = load_demo(database.session_factory, spec, progress=progress)
        counts = ", ".join(f"{count} {table}" for table, count in summary.counts.items() if count)
        label = database.connection.label
        print(f"Demo data loaded into {label} in {summary.seconds:.1f} s: {counts}")
        return 0
    finally:
        database.dispose()


HANDLERS = {"demo-data": demo_data_command}
