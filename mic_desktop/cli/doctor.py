"""``mic-desktop doctor``: a short diagnosis of this workstation to read to support."""

from __future__ import annotations

import argparse
from typing import Any

from mic_desktop.cli.common import ask_password
from mic_desktop.config import DatabaseTarget


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``doctor`` to the ``mic-desktop`` subcommands."""
    commands.add_parser(
        "doctor",
        help="diagnose this workstation (exit 0 when all is well)",
        parents=[common],
    )


def doctor_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    from mic_desktop.db import connect_target, make_engine
    from mic_desktop.diagnostics import diagnose, print_report
    from mic_desktop.startup import stored_password

    def open_engine(chosen: DatabaseTarget):  # type: ignore[no-untyped-def]
        password = ask_password(chosen) or stored_password(chosen)
        return make_engine(connect_target(chosen, password).url)

    print(f"MIC Desktop doctor, database from {target.source or target.kind.value}")
    return print_report(diagnose(target, open_engine))


HANDLERS = {"doctor": doctor_command}
