"""``mic-desktop db upgrade [--app-role ROLE] [--worker-role ROLE]`` and ``db current``."""

from __future__ import annotations

import argparse
from typing import Any

from mic_desktop.cli.common import open_checked
from mic_desktop.config import DatabaseTarget

UPGRADE_HELP = """\
Bring the clinic database's schema to this version of MIC Desktop and grant each
kind of login its rights.

On a clinic server, run it with the schema-owner role (it owns the tables and may
create roles: CREATEROLE), naming the pre-login role that workstations connect as
before anyone logs in, and the worker's login:

  mic-desktop db upgrade --database-url postgresql://mic_owner@server/mic \\
      --app-role mic_app --worker-role mic_worker_pc

Each person logs in as their own PostgreSQL login, made by `mic-desktop user add`
or the manager's Staff page; the server checks their password. The pre-login role
(--app-role) can only read the clinic's name and check logins: its password on a
PC grants nothing else. An older version's shared application role passed here
loses its rights on the tables and becomes the pre-login role. The worker's login
(--worker-role) may send messages and run backups, nothing more.
"""

UPGRADED_TO_PERSONAL_LOGINS = """\
People now log in with their own database login. Do this once:
  1. give each person a temporary password, which they change at their next login:
       mic-desktop user passwd USERNAME --must-change-password   (as this owner role)
     accounts without a password: {names}
  2. keep workstations' database URL on the pre-login role (--app-role): it no
     longer reads or writes the clinic's tables;
  3. give the headless worker its own login: CREATE ROLE mic_worker_pc LOGIN PASSWORD
     '...'; then run db upgrade with --worker-role mic_worker_pc and use that login
     in the worker's database URL.
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
    upgrade.add_argument(
        "--app-role", help="the pre-login role workstations connect as before a person logs in"
    )
    upgrade.add_argument(
        "--worker-role",
        action="append",
        default=[],
        help="a login of the headless worker (may be given more than once)",
    )
    db_commands.add_parser("current", help="show the database's schema revision", parents=[common])


def db_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    from mic_desktop.db_access import accounts_without_password, apply_grants
    from mic_desktop.schema import SchemaState, schema_status
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
        apply_grants(
            database.engine,
            login_roles=(args.app_role,) if args.app_role else (),
            worker_roles=tuple(args.worker_role),
        )
        if args.app_role:
            print(f"Role {args.app_role} is the pre-login role: it checks logins, nothing more.")
        for role in args.worker_role:
            print(f"Role {role} is a worker login.")
        without = accounts_without_password(database.engine)
        if before is not None and before < "0011" <= (after or "") and without is not None:
            print(UPGRADED_TO_PERSONAL_LOGINS.format(names=", ".join(without) or "(none)"))
        elif without:
            print(f"Accounts without a password yet: {', '.join(without)}")
        return 0
    finally:
        database.dispose()


HANDLERS = {"db": db_command}
