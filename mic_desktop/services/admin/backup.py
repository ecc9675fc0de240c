"""Backing up and restoring the clinic database with ``pg_dump`` and ``pg_restore``.

The tools are the ones that fit the server's version (see
:mod:`~mic_desktop.services.admin.backup_tools`). A backup is a custom-format archive
(``pg_dump -Fc``) written next to the chosen file and moved into place only when
complete, so a failed backup never leaves a half-written file under the real name.
``pg_dump`` copies the snapshot of a transaction of our own, in which the row counts
and checksums a restore must give back are read too (:mod:`.backup_contents`).
Progress is reported per table from the tools' ``--verbose`` output.

The database password reaches the tools only through the child process's
``PGPASSWORD`` environment variable: never on the command line (where ``ps`` would
show it to every user of the PC), never in a log or an error message.

A restore replaces the database's contents (``--clean --if-exists``) in one
transaction (all or nothing). It is refused while anyone else is connected to the
database; the caller asks the person to confirm first.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL

from mic_desktop.db_access import ENSURE_GROUP_ROLES
from mic_desktop.services.admin.backup_contents import Contents, read_contents
from mic_desktop.services.admin.backup_process import (
    BackupCancelledError,
    clean_messages,
    restore_through_psql,
    run_tool,
)
from mic_desktop.services.admin.backup_tools import (
    BackupError,
    PgTools,
    RestorePlan,
    read_archive_info,
    tools_for_backup,
    tools_for_restore,
)

__all__ = [
    "BackupCancelledError",
    "BackupError",
    "BackupProgress",
    "BackupResult",
    "Progress",
    "RestoreRefusedError",
    "RestoreResult",
    "backup_database",
    "check_archive",
    "check_not_in_use",
    "connection_arguments",
    "count_tables",
    "open_connection",
    "restore_database",
    "restore_into",
    "server_version",
    "sha256_of",
]

APPLICATION_NAME = "MIC Desktop backup"
_TABLE_DUMPED = re.compile(r'dumping contents of table "?([^"]+)"?')
_TABLE_RESTORED = re.compile(r'processing data for table "?([^"]+)"?')


class RestoreRefusedError(BackupError):
    """The database is in use (or otherwise not safe to replace)."""


@dataclass(frozen=True)
class BackupProgress:
    """How far a backup or restore is: ``done`` of ``total`` tables, and what it is doing."""

    done: int
    total: int
    message: str

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


Progress = Callable[[BackupProgress], None]


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    tables: int
    seconds: float
    sha256: str = ""
    contents: Contents | None = None  # read in the snapshot the file holds
    tools: str = ""
    server_version: str = ""


@dataclass(frozen=True)
class RestoreResult:
    database: str
    tables: int
    seconds: float
    tools: str = ""


@dataclass(frozen=True)
class OtherSession:
    """Someone else connected to the database."""

    application: str
    client: str
    user: str

    @property
    def label(self) -> str:
        who = self.application or "a program"
        return f"{who} ({self.user}@{self.client})"


# -- what the tools are given ----------------------------------------------------------------


def connection_arguments(url: URL) -> tuple[str, dict[str, str]]:
    """The ``--dbname`` conninfo (no password) and the child environment (with it)."""
    params: dict[str, str] = {
        key: str(value[0] if isinstance(value, tuple) else value)
        for key, value in url.query.items()
        if key != "password"
    }
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = str(url.port)
    if url.username:
        params["user"] = url.username
    if not url.database:
        raise BackupError("The database URL names no database.")
    params["dbname"] = url.database
    params.setdefault("application_name", APPLICATION_NAME)
    env = dict(os.environ)  # PGPASSWORD or PGPASSFILE set by an administrator still work
    if url.password:
        env["PGPASSWORD"] = url.password
    return make_conninfo("", **params), env


def server_version(conn: psycopg.Connection) -> tuple[int, str]:
    """(major version, full version text) of the server ``conn`` is connected to."""
    number = int(conn.execute("SHOW server_version_num").fetchone()[0])  # type: ignore[index]
    text = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    return number // 10000, text


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


# -- backup --------------------------------------------------------------------------------


def backup_database(
    url: URL,
    target: Path | str,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    candidates: Sequence[PgTools] | None = None,
) -> BackupResult:
    """Write a custom-format ``pg_dump`` of the database at ``url`` to ``target``.

    The row counts and checksums of the copied snapshot come back in ``contents``.
    """
    target = Path(target)
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    if target.is_dir():
        raise BackupError(f"{target} is a folder; choose a file name.")
    report = progress or (lambda _progress: None)
    started = time.monotonic()
    conninfo, env = connection_arguments(url)
    partial = target.with_name(target.name + ".part")
    done = 0

    def on_line(line: str) -> None:
        nonlocal done
        match = _TABLE_DUMPED.search(line)
        if match:
            done += 1
            table = match.group(1).split(".")[-1]
            report(BackupProgress(done, total, f"Copying {table}"))

    with open_connection(url, autocommit=False) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = str(conn.execute("SELECT pg_export_snapshot()").fetchone()[0])  # type: ignore[index]
        major, version = server_version(conn)
        tools = tools_for_backup(major, candidates)
        total = _count_tables(conn)
        report(BackupProgress(0, total, "Reading the database's structure"))
        arguments = [
            str(tools.path("pg_dump")),
            "--format=custom",
            "--verbose",
            "--no-password",
            f"--snapshot={snapshot}",
            f"--file={partial}",
            f"--dbname={conninfo}",
        ]
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="backup-contents") as pool:
                # Counted in the same snapshot while pg_dump copies it.
                abandon = threading.Event()
                counting = pool.submit(read_contents, conn, stop=abandon)
                try:
                    errors = run_tool(arguments, env, on_line, cancel)
                    if errors:
                        raise BackupError("The backup failed: " + " ".join(clean_messages(errors)))
                except BaseException:
                    abandon.set()
                    while not counting.done():  # it may wait for a lock pg_dump waited for
                        conn.cancel_safe()
                        futures.wait([counting], timeout=0.5)
                    raise
                contents = counting.result()
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
            conn.rollback()
    report(BackupProgress(total, total, "Backup complete"))
    return BackupResult(
        target,
        target.stat().st_size,
        done,
        time.monotonic() - started,
        sha256_of(target),
        contents,
        tools.label,
        version,
    )


def count_tables(url: URL) -> int:
    """Tables in the database's own schemas (what a backup copies one by one)."""
    with open_connection(url) as conn:
        return _count_tables(conn)


def _count_tables(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', "
        "'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'"
    ).fetchone()
    return int(row[0]) if row else 0


# -- restore -------------------------------------------------------------------------------


def other_sessions(url: URL) -> list[OtherSession]:
    """Everyone connected to the database at ``url`` but this check itself."""
    with open_connection(url) as conn:
        rows = conn.execute(
            "SELECT coalesce(application_name, ''), coalesce(host(client_addr), 'this PC'), "
            "coalesce(usename, '') FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' ORDER BY backend_start"
        ).fetchall()
    return [OtherSession(*row) for row in rows]


def check_not_in_use(url: URL) -> None:
    """Refuse (RestoreRefusedError) while anyone else is connected to the database."""
    others = other_sessions(url)
    if others:
        names = ", ".join(sorted({other.label for other in others}))
        count = len(others)
        raise RestoreRefusedError(
            f"The database {url.database} is in use ({count} other "
            f"connection{'s' if count != 1 else ''}: {names}). Close MIC Desktop on every "
            "other PC (and any other program using it), then try again."
        )


def check_archive(source: Path | str, candidates: Sequence[PgTools] | None = None) -> int:
    """The number of tables with data in a backup file; BackupError when it is not one."""
    import subprocess

    source = Path(source)
    info = read_archive_info(source)
    plan = tools_for_restore(info.reader_major, info, candidates)
    listing = subprocess.run(
        [str(plan.tools.path("pg_restore")), "--list", str(source)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if listing.returncode != 0:
        message = (clean_messages(listing.stderr.splitlines()) or ["unreadable"])[0]
        raise BackupError(f"The backup file {source.name} is damaged: {message}")
    return sum(1 for line in listing.stdout.splitlines() if " TABLE DATA " in line)


def restore_into(
    url: URL,
    source: Path,
    *,
    total: int,
    clean: bool,
    privileges: bool = True,
    progress: Progress | None = None,
    message: str = "Restoring",
    cancel: threading.Event | None = None,
    candidates: Sequence[PgTools] | None = None,
) -> tuple[int, RestorePlan]:
    """Restore ``source`` into the database at ``url`` in one transaction.

    ``clean`` drops what is there first; without ``privileges`` the grants are left out
    (a scratch copy on another server has none of the clinic's roles). Returns the
    tables restored and the tools used.
    """
    report = progress or (lambda _progress: None)
    info = read_archive_info(source)
    with open_connection(url) as conn:
        major, _version = server_version(conn)
        if privileges:  # the grants name the job groups: a new server gets them first
            conn.execute(ENSURE_GROUP_ROLES)
    plan = tools_for_restore(major, info, candidates)
    conninfo, env = connection_arguments(url)
    done = 0

    def on_line(line: str) -> None:
        nonlocal done
        match = _TABLE_RESTORED.search(line)
        if match:
            done += 1
            table = match.group(1).split(".")[-1]
            report(BackupProgress(done, total, f"{message} {table}"))

    arguments = [
        str(plan.tools.path("pg_restore")),
        "--verbose",
        "--no-owner",
        "--single-transaction",
        "--no-password",
    ]
    if clean:
        arguments += ["--clean", "--if-exists"]
    if not privileges:
        arguments.append("--no-privileges")
    if plan.through_psql:
        psql = [
            str(plan.tools.path("psql")),
            "--no-psqlrc",
            "--quiet",
            "--no-password",
            "--set=ON_ERROR_STOP=1",
            f"--dbname={conninfo}",
            "--file=-",
        ]
        errors = restore_through_psql(
            [*arguments, str(source)], psql, plan.skip_settings, env, on_line, cancel
        )
    else:
        arguments += ["--exit-on-error", f"--dbname={conninfo}", str(source)]
        errors = run_tool(arguments, env, on_line, cancel)
    if errors:
        raise BackupError(" ".join(clean_messages(errors)))
    return done, plan


def restore_database(
    url: URL,
    source: Path | str,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    candidates: Sequence[PgTools] | None = None,
) -> RestoreResult:
    """Replace the contents of the database at ``url`` with the backup ``source``.

    The caller has asked the person to confirm. Refused while the database is in use.
    """
    source = Path(source)
    total = check_archive(source, candidates)
    check_not_in_use(url)
    report = progress or (lambda _progress: None)
    started = time.monotonic()
    report(BackupProgress(0, total, "Replacing the database's structure"))
    try:
        done, plan = restore_into(
            url,
            source,
            total=total,
            clean=True,
            progress=report,
            cancel=cancel,
            candidates=candidates,
        )
    except BackupCancelledError:
        raise
    except BackupError as error:
        raise BackupError(
            f"The restore failed and the database was left as it was: {error}"
        ) from None
    report(BackupProgress(total, total, "Restore complete"))
    return RestoreResult(url.database or "", done, time.monotonic() - started, plan.label)


# -- helpers -------------------------------------------------------------------------------


def open_connection(url: URL, *, autocommit: bool = True) -> psycopg.Connection:
    conninfo, env = connection_arguments(url)
    try:
        return psycopg.connect(
            conninfo, password=env.get("PGPASSWORD"), autocommit=autocommit, connect_timeout=10
        )
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackupError(f"Cannot connect to the database: {message}") from None
