"""Recorded backups: one at a time per clinic database, each checked and written down.

:class:`BackupService` takes a PostgreSQL advisory lock for the whole run (on its own
connection, so a PC that dies lets go of it at once), records the backup as
``running``, writes it, checks it by restoring it into a scratch database
(:mod:`.backup_check`) and records ``verified``, or ``failed`` with the reason,
together with the time, size, SHA-256, the tools and the PC. Holding the lock it also
closes records left ``running`` by a PC that died and drops their scratch databases.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import BackupKind, BackupRecord, BackupState, StaffUser
from mic_desktop.services.admin.backup import (
    BackupResult,
    Progress,
    backup_database,
    open_connection,
    sha256_of,
)
from mic_desktop.services.admin.backup_check import (
    CheckResult,
    drop_leftover_scratch,
    verify_backup,
)
from mic_desktop.services.admin.backup_contents import Contents
from mic_desktop.services.admin.backup_process import BackupCancelledError
from mic_desktop.services.admin.backup_tools import BackupError, PgTools
from mic_desktop.services.base import ManagerService
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.formats import format_datetime
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.records import clinic_zone

if TYPE_CHECKING:
    from mic_desktop.services.accounts.auth import StaffAccount

LOCK_KEY = (0x4D4943, 0x424B)  # pg_try_advisory_lock(int, int): "MIC", "BK"


class BackupBusyError(BackupError):
    """Another backup or check of this database is running (on this or another PC)."""


@dataclass(frozen=True)
class BackupEntry:
    """One recorded backup, for lists and the status light."""

    id: int
    kind: BackupKind
    status: BackupState
    started_at: dt.datetime
    finished_at: dt.datetime | None
    workstation: str
    started_by: str  # a person's name, or "" for the daily job and the command line
    file_path: str
    size_bytes: int | None
    sha256: str | None
    failure_reason: str | None
    verified_on: str | None
    verified_at: dt.datetime | None
    tools: str | None
    server_version: str | None
    dump_seconds: float | None
    verify_seconds: float | None
    removed_at: dt.datetime | None
    scheduled_day: dt.date | None

    @property
    def file_name(self) -> str:
        return Path(self.file_path).name


@dataclass(frozen=True)
class BackupOutcome:
    """A backup that was written: its record, and how its check went."""

    entry: BackupEntry
    result: BackupResult
    check: CheckResult

    @property
    def verified(self) -> bool:
        return self.entry.status is BackupState.VERIFIED


@dataclass(frozen=True)
class FileCheck:
    """``mic-desktop backup FILE --verify``: the check, and the record it was compared with."""

    check: CheckResult
    entry: BackupEntry | None  # None: the file is not recorded in this database


def size_text(size: int | None) -> str:
    if size is None:
        return "–"
    if size >= 1024 * 1024 * 1024:
        return f"{size / 1024**3:.2f} GB"
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


class BackupService(ManagerService):
    """Backups of the database at ``url`` (which carries the password for the tools)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        url: URL,
        *,
        actor: StaffAccount | None,
        workstation: str,
        clock: Clock = utc_now,
        candidates: Sequence[PgTools] | None = None,
    ) -> None:
        super().__init__(session_factory, actor=actor, workstation=workstation, clock=clock)
        self.url = url
        self.candidates = candidates

    # -- the lock ----------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[bool]:
        """Hold the backup lock for the block; yields False when someone else holds it."""
        conn = open_connection(self.url)
        try:
            got = bool(conn.execute("SELECT pg_try_advisory_lock(%s, %s)", LOCK_KEY).fetchone()[0])  # type: ignore[index]
            if got:
                self._close_interrupted()
                drop_leftover_scratch(self.url)
            yield got
        finally:
            conn.close()  # ends the session, and with it the lock

    def _busy(self) -> BackupBusyError:
        running = next((e for e in self.recent(5) if e.status is BackupState.RUNNING), None)
        if running is None:
            return BackupBusyError("Another backup or check is running; try again shortly.")
        with self._sessions() as session:
            zone = clinic_zone(session)
        return BackupBusyError(
            f"A backup is already running on {running.workstation} (started "
            f"{format_datetime(running.started_at, zone)}); try again when it has finished."
        )

    def _close_interrupted(self) -> None:
        """Records left ``running`` while nobody holds the lock: their PC stopped mid-way."""
        with self._sessions.begin() as session:
            session.execute(
                update(BackupRecord)
                .where(BackupRecord.status == BackupState.RUNNING.value)
                .values(
                    status=BackupState.FAILED.value,
                    finished_at=self._clock(),
                    failure_reason=(
                        BackupRecord.workstation
                        + " stopped before the backup finished (closed, restarted or lost power)"
                    ),
                )
            )

    # -- backing up --------------------------------------------------------------------------

    def back_up(
        self,
        target: Path | str,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> BackupOutcome:
        """Write, check and record a backup to ``target``; BackupBusyError if one is running."""
        with self.locked() as got:
            if not got:
                raise self._busy()
            outcome = self.run_locked(
                Path(target), BackupKind.MANUAL, None, progress=progress, cancel=cancel
            )
        assert outcome is not None
        return outcome

    def run_locked(
        self,
        target: Path,
        kind: BackupKind,
        scheduled_day: dt.date | None,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> BackupOutcome | None:
        """The backup itself, under :meth:`locked`. None when the day's backup is claimed."""
        record_id = self._claim(target, kind, scheduled_day)
        if record_id is None:
            return None
        try:
            result = backup_database(
                self.url, target, progress=progress, cancel=cancel, candidates=self.candidates
            )
        except BackupError as error:  # stopped (BackupCancelledError) included
            self._finish(record_id, failure=str(error))
            raise
        except Exception as error:
            self._finish(record_id, failure=f"unexpected error: {error}")
            raise
        self._written(record_id, result)
        try:
            check = verify_backup(
                self.url,
                target,
                result.contents,
                progress=progress,
                cancel=cancel,
                candidates=self.candidates,
            )
        except BackupCancelledError as error:
            self._finish(record_id, failure=f"written, but the check was stopped: {error}")
            raise
        except Exception as error:
            self._finish(record_id, failure=f"written, but the check failed: {error}")
            raise
        entry = self._finish(
            record_id,
            check=check,
            failure=None if check.ok else f"the check failed: {check.reason}",
        )
        return BackupOutcome(entry, result, check)

    def _claim(self, target: Path, kind: BackupKind, day: dt.date | None) -> int | None:
        with self._sessions.begin() as session:
            statement = (
                insert(BackupRecord)
                .values(
                    kind=kind.value,
                    status=BackupState.RUNNING.value,
                    scheduled_day=day,
                    started_at=self._clock(),
                    workstation=self._workstation,
                    staff_id=self._actor_id,
                    file_path=str(target.absolute()),
                )
                .on_conflict_do_nothing(
                    index_elements=["scheduled_day"],
                    index_where=BackupRecord.scheduled_day.is_not(None)
                    & (BackupRecord.status != BackupState.FAILED.value),
                )
                .returning(BackupRecord.id)
            )
            record_id = session.scalar(statement)
            if record_id is not None:
                notify(session, LiveChannel.BACKUP, record_id)
            return record_id

    def _written(self, record_id: int, result: BackupResult) -> None:
        with self._sessions.begin() as session:
            row = session.get_one(BackupRecord, record_id)
            row.size_bytes = result.size_bytes
            row.sha256 = result.sha256
            row.server_version = result.server_version[:80]
            row.tools = result.tools
            row.dump_seconds = round(result.seconds, 3)
            row.contents = result.contents.to_json() if result.contents else None

    def _finish(
        self, record_id: int, *, check: CheckResult | None = None, failure: str | None = None
    ) -> BackupEntry:
        with self._sessions.begin() as session:
            row = session.get_one(BackupRecord, record_id)
            row.finished_at = self._clock()
            row.status = (BackupState.FAILED if failure else BackupState.VERIFIED).value
            row.failure_reason = failure
            if check is not None:
                row.verified_on = check.where
                row.verify_seconds = round(check.seconds, 3)
                row.verified_at = row.finished_at
            notify(session, LiveChannel.BACKUP, record_id)
            session.flush()
            return entry_of(session, row)

    # -- checking a file again ---------------------------------------------------------------

    def verify_file(
        self,
        path: Path | str,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> FileCheck:
        """Restore a backup file into a scratch database and compare it with its record."""
        path = Path(path)
        if not path.is_file():
            raise BackupError(f"{path} does not exist.")
        digest = sha256_of(path)
        with self._sessions.begin() as session:
            row = session.scalars(
                select(BackupRecord)
                .where(BackupRecord.sha256 == digest)
                .order_by(BackupRecord.started_at.desc())
                .limit(1)
            ).first()
            expected = Contents.from_json(row.contents) if row is not None else None
            record_id = row.id if row is not None else None
        with self.locked() as got:
            if not got:
                raise self._busy()
            check = verify_backup(
                self.url, path, expected, progress=progress, cancel=cancel,
                candidates=self.candidates,
            )  # fmt: skip
        if record_id is None:
            return FileCheck(check, None)
        with self._sessions.begin() as session:
            row = session.get_one(BackupRecord, record_id)
            row.status = (BackupState.VERIFIED if check.ok else BackupState.FAILED).value
            row.failure_reason = None if check.ok else f"the check failed: {check.reason}"
            row.verified_on = check.where
            row.verify_seconds = round(check.seconds, 3)
            row.verified_at = self._clock()
            notify(session, LiveChannel.BACKUP, record_id)
            session.flush()
            return FileCheck(check, entry_of(session, row))

    # -- reading -----------------------------------------------------------------------------

    def recent(self, limit: int = 50) -> list[BackupEntry]:
        return recent_backups(self._sessions, limit)


def recent_backups(sessions: sessionmaker[Session], limit: int = 50) -> list[BackupEntry]:
    """The newest recorded backups first."""
    with sessions() as session:
        rows = session.execute(
            select(BackupRecord, StaffUser.full_name)
            .outerjoin(StaffUser, StaffUser.id == BackupRecord.staff_id)
            .order_by(BackupRecord.started_at.desc(), BackupRecord.id.desc())
            .limit(limit)
        ).all()
        return [entry_of(session, row, name or "") for row, name in rows]


def entry_of(session: Session, row: BackupRecord, started_by: str | None = None) -> BackupEntry:
    """The record as a plain value (``started_by``: the person's name, looked up if None)."""
    if started_by is None:
        started_by = (
            session.scalar(select(StaffUser.full_name).where(StaffUser.id == row.staff_id)) or ""
            if row.staff_id
            else ""
        )
    return BackupEntry(
        id=row.id,
        kind=BackupKind(row.kind),
        status=BackupState(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        workstation=row.workstation,
        started_by=started_by,
        file_path=row.file_path,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        failure_reason=row.failure_reason,
        verified_on=row.verified_on,
        verified_at=row.verified_at,
        tools=row.tools,
        server_version=row.server_version,
        dump_seconds=row.dump_seconds,
        verify_seconds=row.verify_seconds,
        removed_at=row.removed_at,
        scheduled_day=row.scheduled_day,
    )
