"""``mic-desktop backup FILE`` and ``mic-desktop restore FILE [--yes]``.

Wired into :mod:`mic_desktop.cli` by :func:`register` (the subcommands) and
:data:`HANDLERS` (``command name -> handler(args, target)``). The database password
comes from the keyring or is asked for on the terminal, and reaches ``pg_dump`` /
``pg_restore`` only through their environment. A restore replaces the clinic's
data, so it asks the person to type the database's name (or takes ``--yes``), and
is refused while anyone else is connected.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.engine import URL

from mic_desktop.config import DatabaseTarget
from mic_desktop.db import connect_target
from mic_desktop.services.admin.backup import (
    BackupError,
    BackupProgress,
    backup_database,
    check_archive,
    check_not_in_use,
    restore_database,
)
from mic_desktop.startup import password_need, remember_password, stored_password


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``backup`` and ``restore`` to the ``mic-desktop`` subcommands."""
    backup = commands.add_parser(
        "backup",
        help="write a backup of the clinic database to FILE",
        description="Write a backup (a pg_dump custom-format archive) of the clinic database.",
        parents=[common],
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    restore = commands.add_parser(
        "restore",
        help="replace the clinic database's contents with a backup",
        description=(
            "Replace the contents of the clinic database with the backup FILE. Refused "
            "while any other program or PC is connected to the database."
        ),
        parents=[common],
    )
    restore.add_argument(
        "file", type=Path, metavar="FILE", help="a backup made by mic-desktop backup"
    )
    restore.add_argument(
        "--yes", action="store_true", help="do not ask to type the database name to confirm"
    )


def backup_command(args: argparse.Namespace, target: DatabaseTarget) -> int:
    path: Path = args.file
    if path.exists() and not args.force:
        raise BackupError(f"{path} exists: choose another name or add --force to replace it.")
    url = _url(target)
    result = backup_database(url, path, progress=_printer(sys.stderr))
    megabytes = result.size_bytes / 1_000_000
    print(
        f"Backup of {url.database} written to {result.path} "
        f"({megabytes:.1f} MB, {result.tables} tables, {result.seconds:.1f} s)."
    )
    return 0


def restore_command(
    args: argparse.Namespace, target: DatabaseTarget, *, stdin: TextIO | None = None
) -> int:
    stdin = stdin or sys.stdin
    tables = check_archive(args.file)
    url = _url(target)
    check_not_in_use(url)  # before asking: no point confirming a restore that cannot run
    if not args.yes:
        print(
            f"This replaces ALL data in the database {url.database} with the backup "
            f"{args.file.name} ({tables} tables).\n"
            f"Type the database name ({url.database}) to confirm: ",
            end="",
            file=sys.stderr,
            flush=True,
        )
        answer = stdin.readline().strip()
        if answer != url.database:
            print("Not restored: the name did not match.", file=sys.stderr)
            return 1
    result = restore_database(url, args.file, progress=_printer(sys.stderr))
    print(
        f"Restored {result.tables} tables into {result.database} from {args.file} "
        f"in {result.seconds:.1f} s. Start MIC Desktop to check the schema version."
    )
    return 0


HANDLERS: dict[str, Callable[[argparse.Namespace, DatabaseTarget], int]] = {
    "backup": backup_command,
    "restore": restore_command,
}


def _url(target: DatabaseTarget) -> URL:
    """The database's URL with its password (from the keyring or the terminal)."""
    password = stored_password(target)
    need = password_need(target)
    if password is None and need is not None and sys.stdin.isatty():
        password = getpass.getpass(f"Password for {need.user} on {need.server}: ")
        if need.keyring_available and password:
            remember_password(need, password)
    try:
        return connect_target(target, password).url
    except Exception as exc:  # the embedded server failed to start, a bad URL ...
        raise BackupError(f"Cannot reach the database: {exc}") from exc


def _printer(stream: TextIO) -> Callable[[BackupProgress], None]:
    """Progress on one refreshed line on a terminal, a line per table otherwise."""
    interactive = stream.isatty()

    def show(progress: BackupProgress) -> None:
        line = f"  [{progress.done}/{progress.total}] {progress.message}"
        if interactive:
            end = "\n" if progress.total and progress.done >= progress.total else ""
            print(f"\r{line:<70}", end=end, file=stream, flush=True)
        else:
            print(line, file=stream)

    return show
