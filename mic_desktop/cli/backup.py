"""``mic-desktop backup FILE [--verify]``, ``backup --list`` and ``restore FILE [--yes]``.

Wired into :mod:`mic_desktop.cli` by :func:`register` (the subcommands) and
:data:`HANDLERS` (``command name -> handler(args, target)``). The database password
comes from the keyring or is asked for on the terminal, and reaches ``pg_dump`` /
``pg_restore`` only through their environment. Every backup is checked by restoring
it into a scratch database and recorded (``backup --list`` shows the record);
``backup FILE --verify`` checks an existing file again. A restore replaces the
clinic's data, so it asks the person to type the database's name (or takes
``--yes``), and is refused while anyone else is connected. The database stack loads
only when a command runs.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mic_desktop.cli.common import CommandError
from mic_desktop.config import DatabaseTarget

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from mic_desktop.db import Database
    from mic_desktop.services.admin.backup import BackupProgress

BACKUP_HELP = """\
Write a backup of the clinic database (a pg_dump custom-format archive) to FILE with
the pg_dump that fits the server's PostgreSQL version, check it by restoring it into
a scratch database and comparing row counts and checksums, and record the result.
  backup FILE            make, check and record a backup (exit 1 if the check failed)
  backup FILE --verify   check an existing backup file again (exit 0 when it restores
                         and matches what was recorded when it was made)
  backup --list          the recorded backups, newest first
"""


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``backup`` and ``restore`` to the ``mic-desktop`` subcommands."""
    backup = commands.add_parser(
        "backup",
        help="write, check and record a backup of the clinic database",
        description=BACKUP_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    backup.add_argument(
        "file", type=Path, metavar="FILE", nargs="?", help="the backup file to write or check"
    )
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.add_argument(
        "--verify", action="store_true", help="check the existing backup FILE instead"
    )
    backup.add_argument("--list", action="store_true", help="list the recorded backups")
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
    path: Path | None = args.file
    if args.list:
        if path is not None or args.verify:
            raise CommandError("backup --list takes no FILE and no --verify.")
        return _list(target)
    if path is None:
        raise CommandError("Name the backup FILE (or use backup --list).")
    if args.verify:
        return _verify(path, target)
    from mic_desktop.services.admin.backup import BackupError

    if path.exists() and not args.force:
        raise BackupError(f"{path} exists: choose another name or add --force to replace it.")
    url = _url(target)
    database = _recording_database(url, target)
    if database is None:
        return _unrecorded_backup(url, path)
    from mic_desktop.config import workstation_name
    from mic_desktop.services.admin.backup_records import BackupService, size_text

    try:
        service = BackupService(
            database.session_factory, url, actor=None, workstation=workstation_name()
        )
        outcome = service.back_up(path, progress=_printer(sys.stderr))
    finally:
        database.dispose()
    result, check = outcome.result, outcome.check
    print(
        f"Backup of {url.database} written to {result.path} ({size_text(result.size_bytes)}, "
        f"{result.tables} tables, {result.seconds:.1f} s), SHA-256 {result.sha256}."
    )
    if outcome.verified:
        print(f"Verified in {check.seconds:.1f} s: {_checked(check)}")
        return 0
    print(f"NOT verified: {outcome.entry.failure_reason}", file=sys.stderr)
    return 1


def _checked(check: Any) -> str:
    contents = check.contents
    figures = (
        f"{contents.total_rows:,} rows in {len(contents.rows)} tables, "
        f"{len(contents.checksums)} tables checksummed"
        if contents is not None
        else "restored"
    )
    return f"restored into {check.where} and compared ({figures})."


def _verify(path: Path, target: DatabaseTarget) -> int:
    from mic_desktop.config import workstation_name
    from mic_desktop.services.admin.backup_check import verify_backup
    from mic_desktop.services.admin.backup_records import BackupService
    from mic_desktop.services.formats import format_datetime
    from mic_desktop.services.records import clinic_zone

    url = _url(target)
    database = _recording_database(url, target)
    if database is None:
        check = verify_backup(url, path, None, progress=_printer(sys.stderr))
        entry = None
    else:
        try:
            service = BackupService(
                database.session_factory, url, actor=None, workstation=workstation_name()
            )
            found = service.verify_file(path, progress=_printer(sys.stderr))
            with database.session_factory() as session:
                zone = clinic_zone(session)
        finally:
            database.dispose()
        check, entry = found.check, found.entry
    if not check.ok:
        print(f"{path.name}: NOT verified: {check.reason}", file=sys.stderr)
        return 1
    if entry is None:
        print(
            f"{path.name}: restores cleanly into {check.where} "
            f"({check.contents.total_rows if check.contents else 0:,} rows). It is not "
            "recorded in this database, so its contents could not be compared."
        )
        return 0
    made = f"{format_datetime(entry.started_at, zone)} on {entry.workstation}"
    print(f"{path.name}: verified, the backup made {made}: {_checked(check)}")
    return 0


def _list(target: DatabaseTarget) -> int:
    from mic_desktop.services.admin.backup_records import recent_backups, size_text
    from mic_desktop.services.formats import format_datetime
    from mic_desktop.services.records import clinic_zone

    url = _url(target)
    database = _recording_database(url, target)
    if database is None:
        raise CommandError(
            "This database records no backups: its schema is older than this program."
        )
    try:
        entries = recent_backups(database.session_factory, 100)
        with database.session_factory() as session:
            zone = clinic_zone(session)
    finally:
        database.dispose()
    if not entries:
        print("No backups are recorded yet. Make one with: mic-desktop backup FILE")
        return 0
    print(f"{'When (' + zone.key + ')':<24} {'Kind':<10} {'Result':<9} {'Size':>9}  PC / file")
    for entry in entries:
        gone = " (deleted)" if entry.removed_at else ""
        print(
            f"{format_datetime(entry.started_at, zone):<24} {entry.kind.value:<10} "
            f"{entry.status.value:<9} {size_text(entry.size_bytes):>9}  {entry.workstation}: "
            f"{entry.file_path}{gone}"
        )
        if entry.sha256:
            print(f"{'':<56}SHA-256 {entry.sha256}")
        if entry.failure_reason:
            print(f"{'':<56}{entry.failure_reason}")
    return 0


def _recording_database(url: URL, target: DatabaseTarget) -> Database | None:
    """The database to record backups in; None when its schema has no backup record."""
    from sqlalchemy import inspect

    from mic_desktop.db import Connection, Database

    database = Database(Connection(url, target.kind))
    try:
        with database.engine.connect() as conn:
            recorded = inspect(conn).has_table("backup_record")
    except Exception:
        database.dispose()
        return None  # the tools will say what is wrong with the connection
    if not recorded:
        database.dispose()
        return None
    return database


def _unrecorded_backup(url: URL, path: Path) -> int:
    """A backup of a database whose schema records none: written and checked only."""
    from mic_desktop.services.admin.backup import backup_database
    from mic_desktop.services.admin.backup_check import verify_backup
    from mic_desktop.services.admin.backup_records import size_text

    result = backup_database(url, path, progress=_printer(sys.stderr))
    print(
        f"Backup of {url.database} written to {result.path} ({size_text(result.size_bytes)}, "
        f"{result.tables} tables, {result.seconds:.1f} s), SHA-256 {result.sha256}. "
        "Not recorded: the database's schema is older than this program."
    )
    check = verify_backup(url, path, result.contents, progress=_printer(sys.stderr))
    if check.ok:
        print(f"Verified in {check.seconds:.1f} s: {_checked(check)}")
        return 0
    print(f"NOT verified: {check.reason}", file=sys.stderr)
    return 1


def restore_command(
    args: argparse.Namespace, target: DatabaseTarget, *, stdin: TextIO | None = None
) -> int:
    from mic_desktop.services.admin.backup import (
        check_archive,
        check_not_in_use,
        restore_database,
    )

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
        f"in {result.seconds:.1f} s with {result.tools}. Start MIC Desktop to check the "
        "schema version."
    )
    return 0


HANDLERS: dict[str, Callable[[argparse.Namespace, DatabaseTarget], int]] = {
    "backup": backup_command,
    "restore": restore_command,
}


def _url(target: DatabaseTarget) -> URL:
    """The database's URL with its password (from the keyring or the terminal)."""
    from mic_desktop.db import connect_target
    from mic_desktop.services.admin.backup import BackupError
    from mic_desktop.startup import password_need, remember_password, stored_password

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
            print(f"\r{line[:78]:<78}", end=end, file=stream, flush=True)
        else:
            print(line, file=stream)

    return show
