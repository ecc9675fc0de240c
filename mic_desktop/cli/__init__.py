"""The ``mic-desktop`` command: the GUI by default, administration as subcommands.

mic-desktop [--demo | --database-url URL]           start the application
mic-desktop db upgrade [--app-role ROLE]            migrate the schema (as the owner role)
mic-desktop db current                              show the schema revision
mic-desktop user add --username U --role R          add a staff account
mic-desktop user passwd U | user disable U          change a password, disable an account
mic-desktop catalogue modality|room|scan-type|closure add|list   set the clinic up
mic-desktop demo-data --patients N --months M --seed S
mic-desktop doctor | worker | credentials | backup | restore
mic-desktop dicom serve | modality add|list|remove | echo   the scanners' worklist and MPPS

One module per command group; each has ``register(commands, common)`` (its
subcommands) and ``HANDLERS`` (``command name -> handler(args, target)``). The groups
import only :mod:`mic_desktop.cli.common`, never this package or each other.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mic_desktop import APP_TITLE, __version__
from mic_desktop.cli import (
    backup,
    catalogue,
    credentials,
    db,
    demo,
    dicom,
    doctor,
    user,
    worker,
)
from mic_desktop.cli.common import CommandError
from mic_desktop.config import SettingsError, resolve_database
from mic_desktop.schema import SchemaError
from mic_desktop.services.errors import ServiceError

GROUPS = (db, user, catalogue, demo, doctor, worker, credentials, backup, dicom)
"""The command groups, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The whole ``mic-desktop`` parser: global options and every group's subcommands."""
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("database")
    where.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        help="clinic server, e.g. postgresql://mic_app@server/mic (password from the keyring); "
        "overrides MIC_DATABASE_URL and the settings file",
    )
    where.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use the separate embedded demo database (never the clinic's data)",
    )

    parser = argparse.ArgumentParser(
        prog="mic-desktop",
        description=f"{APP_TITLE}: radiology clinic workstation.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the login window offscreen on a throwaway database, then exit (0 = works)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    for group in GROUPS:
        group.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mic-desktop`` with ``argv``; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None and args.self_test:
        from mic_desktop.ui.common.self_test import self_test

        return self_test()
    try:
        target = resolve_database(
            option_url=getattr(args, "database_url", None), demo=getattr(args, "demo", False)
        )
        if args.command is None:
            from mic_desktop.app import run

            return run(target)
        handlers = {name: run for group in GROUPS for name, run in group.HANDLERS.items()}
        handler = handlers[args.command]
        return handler(args, target)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if not isinstance(exc, _said_in_one_line()):
            raise
        print(f"mic-desktop: {exc}", file=sys.stderr)
        return 1


def _said_in_one_line() -> tuple[type[Exception], ...]:
    """The errors a command reports as one sentence (exit 1) instead of a traceback."""
    known: tuple[type[Exception], ...] = (CommandError, ServiceError, SchemaError, SettingsError)
    db = sys.modules.get("mic_desktop.db")  # never imported: none of its errors can occur
    return (*known, db.DatabaseUnavailableError) if db is not None else known
