"""``mic-desktop db upgrade [--app-role ROLE]`` and ``mic-desktop db current``."""

from __future__ import annotations

import argparse
from typing import Any

from mic_desktop.cli.common import open_checked
from mic_desktop.config import DatabaseTarget

UPGRADE_HELP = """\
Bring the clinic database's schema to this version of MIC Desktop.

On a clinic server, run it with the schema-owner role (the role that owns the
tables; used only for migrations), and name the application role that the
workstations connect as, so it gets exactly the rights it needs and owns nothing:

  mic-desktop db upgrade --database-url postgresql://mic_owner@server/mic --app-role mic_app

The application role may read and write the clinic's tables but only read and
append to the audit log. Workstations then use
  postgresql://mic_app@server/mic
as their database URL. The embedded database (one PC or the demo) uses one role.
"""


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``db`` and its actions to the ``mic-desktop`` subcommands."""
    db = commands.add_parser("db", help="schema migrations", parents=[common])
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser(
        "upgrade",
        help="migrate the schema to this version",
        description=UPGRADE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    upgrade.add_argument("--app-role", help="application role to grant workstation rights to")
    db_commands.add_parser("current", help="show the database's schema revision", parents=[common])


def db_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    from mic_desktop.schema import SchemaState, grant_application_role, schema_status
    from mic_desktop.startup import upgrade_schema

    database = open_checked(target, for_upgrade=True)
    try:
        status = schema_status(database.engine)
        if args.db_command == "current":
            print(f"database:  {database.connection.label}")
            print(f"revision:  {status.database_revision or '(empty database)'}")
            print(f"this app:  {status.head_revision}")
            print(f"state:     {status.state.value}")
            return 0 if status.state is SchemaState.CURRENT else 3
        before = status.database_revision
        upgrade_schema(database)
        after = schema_status(database.engine).database_revision
        if before == after:
            print(f"Schema already at {after}.")
        else:
            print(f"Schema upgraded from {before or '(empty)'} to {after}.")
        if args.app_role:
            grant_application_role(database.engine, args.app_role)
            print(f"Granted workstation rights to role {args.app_role}.")
        return 0
    finally:
        database.dispose()


HANDLERS = {"db": db_command}
