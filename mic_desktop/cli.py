"""The ``mic-desktop`` command: the GUI by default, administration as subcommands.

mic-desktop [--demo | --database-url URL]           start the application
mic-desktop db upgrade [--app-role ROLE]            migrate the schema (as the owner role)
mic-desktop db current                              show the schema revision
mic-desktop user add --username U --role R          add a staff account
mic-desktop user passwd U | user disable U          change a password, disable an account
mic-desktop demo-data --patients N --months M --seed S
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Sequence

from mic_desktop import APP_TITLE, __version__
from mic_desktop.config import DatabaseTarget, SettingsError, resolve_database, workstation_name
from mic_desktop.db import Database, DatabaseUnavailableError
from mic_desktop.models import Role
from mic_desktop.schema import SchemaError, SchemaState, grant_application_role, schema_status
from mic_desktop.services.errors import ServiceError
from mic_desktop.startup import open_database, password_need, remember_password, upgrade_schema

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


class CommandError(Exception):
    """A command cannot go on; the message is printed and the exit status is 1."""


def build_parser() -> argparse.ArgumentParser:
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

    user = commands.add_parser("user", help="staff accounts", parents=[common])
    user_commands = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_commands.add_parser("add", help="add a staff account", parents=[common])
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--full-name", help="name shown in windows and on signed reports")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument(
        "--must-change-password",
        action="store_true",
        help="make the person choose a new password at first login",
    )
    passwd = user_commands.add_parser("passwd", help="set a staff password", parents=[common])
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.add_argument(
        "--must-change-password", action="store_true", help="force a change at next login"
    )
    disable = user_commands.add_parser("disable", help="disable an account", parents=[common])
    disable.add_argument("username")
    enable = user_commands.add_parser("enable", help="enable an account again", parents=[common])
    enable.add_argument("username")
    user_commands.add_parser("list", help="list staff accounts", parents=[common])

    demo = commands.add_parser(
        "demo-data",
        help="load deterministic demo data into an empty database",
        parents=[common],
    )
    demo.add_argument("--patients", type=_positive, default=3000)
    demo.add_argument("--months", type=_positive, default=24)
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument(
        "--today", type=dt.date.fromisoformat, help="anchor date YYYY-MM-DD (default: today)"
    )
    commands.add_parser(
        "doctor",
        help="diagnose this workstation (exit 0 when all is well)",
        parents=[common],
    )
    for module in _command_modules():
        module.register(commands, common)
    return parser


def _command_modules() -> list:  # type: ignore[type-arg]
    """Subcommands that live beside their services: each has register() and HANDLERS."""
    from mic_desktop import admin_cli, notifications_cli

    return [notifications_cli, admin_cli]


def _positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return number


def main(argv: Sequence[str] | None = None) -> int:
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
        handlers = {
            "db": _db_command,
            "user": _user_command,
            "demo-data": _demo_data_command,
            "doctor": _doctor_command,
        }
        for module in _command_modules():
            handlers.update(module.HANDLERS)
        handler = handlers[args.command]
        return handler(args, target)
    except (CommandError, ServiceError, SchemaError, SettingsError) as exc:
        print(f"mic-desktop: {exc}", file=sys.stderr)
        return 1
    except DatabaseUnavailableError as exc:
        print(f"mic-desktop: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _ask_password(target: DatabaseTarget) -> str | None:
    need = password_need(target)
    if need is None or not sys.stdin.isatty():
        return None  # libpq may still find PGPASSWORD or a .pgpass entry
    password = getpass.getpass(f"Password for {need.user} on {need.server}: ")
    if need.keyring_available and password:
        remember_password(need, password)
    return password


def _open(target: DatabaseTarget, *, for_upgrade: bool = False) -> Database:
    password = _ask_password(target)
    try:
        database = open_database(target, password)
    except (SchemaError, DatabaseUnavailableError):
        raise
    except Exception as exc:  # driver errors: unreachable host, wrong password, ...
        raise CommandError(f"Cannot connect to the database: {_first_line(exc)}") from exc
    status = schema_status(database.engine)
    if status.needs_upgrade and not for_upgrade:
        if target.is_embedded:
            upgrade_schema(database)
        else:
            database.dispose()
            raise CommandError(
                f"The clinic database's schema is {status.state.value} "
                f"({status.database_revision or 'none'}); run `mic-desktop db upgrade` first."
            )
    return database


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _db_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    database = _open(target, for_upgrade=True)
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


def _read_new_password(args: argparse.Namespace, username: str) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise CommandError("No terminal to ask for the password: use --password-stdin.")
        password = getpass.getpass(f"New password for {username}: ")
        if getpass.getpass("Repeat it: ") != password:
            raise CommandError("The two passwords differ.")
    if not password:
        raise CommandError("An empty password is not allowed.")
    return password


def _user_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    from mic_desktop.services.admin.staff import StaffService

    database = _open(target)
    try:
        staff = StaffService(database.session_factory, actor=None, workstation=workstation_name())
        if args.user_command == "add":
            password = _read_new_password(args, args.username)
            account = staff.add(
                args.username,
                args.full_name or args.username,
                args.role,
                password,
                must_change_password=args.must_change_password,
            )
            print(f"Added {account.role.value} account {account.username}.")
        elif args.user_command == "passwd":
            password = _read_new_password(args, args.username)
            staff.set_password(args.username, password, must_change=args.must_change_password)
            print(f"Password of {args.username} changed.")
        elif args.user_command == "disable":
            staff.disable(args.username)
            print(f"Account {args.username} disabled.")
        elif args.user_command == "enable":
            staff.enable(args.username)
            print(f"Account {args.username} enabled.")
        else:
            for account in staff.list_accounts():
                state = "" if account.is_active else "  (disabled)"
                print(f"{account.username:<20} {account.role.value:<12} {account.full_name}{state}")
        return 0
    finally:
        database.dispose()


def _demo_data_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    from mic_desktop.services.demo.generator import DemoSpec, load_demo

    database = _open(target)
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


def _doctor_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    from mic_desktop.db import connect_target, make_engine
    from mic_desktop.diagnostics import diagnose, print_report
    from mic_desktop.startup import stored_password

    def open_engine(chosen: DatabaseTarget):  # type: ignore[no-untyped-def]
        password = _ask_password(chosen) or stored_password(chosen)
        return make_engine(connect_target(chosen, password).url)

    print(f"MIC Desktop doctor, database from {target.source or target.kind.value}")
    return print_report(diagnose(target, open_engine))
