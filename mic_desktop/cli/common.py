"""What the command groups share: the error a command stops with, opening the database,
asking for its password on the terminal.

The command modules only describe their arguments when imported; the database stack
and the services load when a command runs, so starting the GUI stays light.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from mic_desktop.config import DatabaseTarget

if TYPE_CHECKING:
    from mic_desktop.db import Database


class CommandError(Exception):
    """A command cannot go on; the message is printed and the exit status is 1."""


def positive(value: str) -> int:
    """An argparse type: a whole number above zero."""
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return number


def ask_password(target: DatabaseTarget) -> str | None:
    """The database password from the terminal when the keyring has none (else ``None``)."""
    from mic_desktop.startup import password_need, remember_password

    need = password_need(target)
    if need is None or not sys.stdin.isatty():
        return None  # libpq may still find PGPASSWORD or a .pgpass entry
    password = getpass.getpass(f"Password for {need.user} on {need.server}: ")
    if need.keyring_available and password:
        remember_password(need, password)
    return password


def open_checked(target: DatabaseTarget, *, for_upgrade: bool = False) -> Database:
    """The database, connected and at this program's schema (an embedded one is upgraded)."""
    from mic_desktop.db import DatabaseUnavailableError
    from mic_desktop.schema import SchemaError, schema_status
    from mic_desktop.startup import open_database, upgrade_schema

    password = ask_password(target)
    try:
        database = open_database(target, password)
    except (SchemaError, DatabaseUnavailableError):
        raise
    except Exception as exc:  # driver errors: unreachable host, wrong password, ...
        raise CommandError(f"Cannot connect to the database: {first_line(exc)}") from exc
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


def first_line(exc: BaseException) -> str:
    """The first line of a driver error, fit for one sentence on the terminal."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
