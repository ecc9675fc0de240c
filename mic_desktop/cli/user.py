"""``mic-desktop user add | passwd | disable | enable | list``: staff accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from mic_desktop.cli.common import CommandError, open_checked
from mic_desktop.config import DatabaseTarget, workstation_name

ROLES = ("reception", "radiologist", "manager")
"""The roles of :class:`mic_desktop.models.Role` (the models load only when a command runs)."""


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``user`` and its actions to the ``mic-desktop`` subcommands."""
    user = commands.add_parser("user", help="staff accounts", parents=[common])
    user_commands = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_commands.add_parser("add", help="add a staff account", parents=[common])
    add.add_argument("--username", required=True)
    add.add_argument("--role", required=True, choices=ROLES)
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


def read_new_password(args: argparse.Namespace, username: str) -> str:
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


def user_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    from mic_desktop.services.admin.staff import StaffService

    database = open_checked(target)
    try:
        staff = StaffService(database.session_factory, actor=None, workstation=workstation_name())
        if args.user_command == "add":
            password = read_new_password(args, args.username)
            account = staff.add(
                args.username,
                args.full_name or args.username,
                args.role,
                password,
                must_change_password=args.must_change_password,
            )
            print(f"Added {account.role.value} account {account.username}.")
        elif args.user_command == "passwd":
            password = read_new_password(args, args.username)
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


HANDLERS = {"user": user_command}
