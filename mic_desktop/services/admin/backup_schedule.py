"""The daily backup: the manager's schedule (time, folder, how many to keep) and the job.

Every PC's worker asks :meth:`DailyBackup.run_if_due` every few minutes; PostgreSQL
makes one of them do it. The day's backup is due once the clinic's time passes the
set time (a PC that was off then does it when it starts). Holding the backup lock
(:meth:`BackupService.locked`), a PC claims "the backup of day D" with
``INSERT ... ON CONFLICT DO NOTHING`` on a unique index of running and verified daily
backups, so a day gets one; a failed one is tried again an hour later, three tries
a day at most. Only a PC that can reach the folder takes part. After a verified
backup the files of older daily backups in the folder are deleted, keeping the newest
``keep`` verified ones.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import BackupKind, BackupRecord, BackupState
from mic_desktop.services.admin.backup_records import BackupOutcome, BackupService
from mic_desktop.services.admin.backup_tools import PgTools
from mic_desktop.services.base import ManagerService
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.records import check_version, clinic_settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_AFTER = dt.timedelta(hours=1)
KEEP_RANGE = (1, 365)


@dataclass(frozen=True)
class BackupSchedule:
    folder: str  # "" when there is no daily backup
    time: dt.time  # clinic time
    keep: int
    since: dt.datetime | None  # when the time or folder was last set
    version: int  # of the clinic settings row, for a save

    @property
    def enabled(self) -> bool:
        return bool(self.folder)


def _schedule(session: Session) -> tuple[BackupSchedule, ZoneInfo]:
    row = clinic_settings(session)
    schedule = BackupSchedule(
        row.backup_folder or "",
        row.backup_time,
        row.backup_keep,
        row.backup_schedule_since,
        row.version,
    )
    return schedule, ZoneInfo(row.time_zone or "UTC")


class BackupScheduleService(ManagerService):
    """The manager's daily backup settings (a part of the clinic's settings row)."""

    def load(self) -> BackupSchedule:
        with self._sessions.begin() as session:
            return _schedule(session)[0]

    def save(self, folder: str, at: dt.time, keep: int, *, expected_version: int) -> BackupSchedule:
        """Set (or with an empty folder, stop) the daily backup."""
        folder = folder.strip()
        if folder:
            path = Path(folder).expanduser()
            if not path.is_absolute():
                raise ValidationError(
                    "Choose a whole folder path, such as D:\\Backups or \\\\server\\backups.",
                    "folder",
                )
            if not path.is_dir():
                raise ValidationError(
                    f"The folder {folder} does not exist on this PC. Create it, or choose one "
                    "every PC that may run the backup can reach (e.g. a network share).",
                    "folder",
                )
            folder = str(path)
        if isinstance(keep, bool) or not KEEP_RANGE[0] <= keep <= KEEP_RANGE[1]:
            raise ValidationError(f"Keep {KEEP_RANGE[0]} to {KEEP_RANGE[1]} daily backups.", "keep")
        at = at.replace(second=0, microsecond=0)
        with self._sessions.begin() as session:
            row = clinic_settings(session)
            session.refresh(row, with_for_update=True)
            check_version(
                session, row.version, expected_version, "The clinic's setup", "clinic_settings", 1
            )
            changes = {
                name: {"from": _plain(getattr(row, column)), "to": _plain(value)}
                for name, column, value in (
                    ("folder", "backup_folder", folder),
                    ("time", "backup_time", at),
                    ("keep", "backup_keep", keep),
                )
                if getattr(row, column) != value
            }
            if changes:
                if "folder" in changes or "time" in changes:
                    row.backup_schedule_since = self._clock()
                row.backup_folder, row.backup_time, row.backup_keep = folder, at, keep
                session.flush()
                self._audit(session, "backup_schedule_changed", "clinic_settings", 1, changes)
                notify(session, LiveChannel.SETTINGS, "clinic")
                notify(session, LiveChannel.BACKUP, "schedule")
            return _schedule(session)[0]


def _plain(value: object) -> object:
    return value.strftime("%H:%M") if isinstance(value, dt.time) else value


def due_day(schedule: BackupSchedule, zone: ZoneInfo, now: dt.datetime) -> dt.date | None:
    """The clinic day whose backup time has passed most recently (not before it was set)."""
    if not schedule.enabled:
        return None
    local = now.astimezone(zone)
    day = local.date()
    if local.time() < schedule.time:
        day -= dt.timedelta(days=1)
    slot = dt.datetime.combine(day, schedule.time, zone)
    if schedule.since is not None and slot < schedule.since:
        return None
    return day


class DailyBackup:
    """The daily backup job of one PC (or of ``mic-desktop worker``)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        url: URL,
        *,
        workstation: str,
        clock: Clock = utc_now,
        candidates: list[PgTools] | None = None,
    ) -> None:
        self._sessions = session_factory
        self._url = url
        self._workstation = workstation
        self._clock = clock
        self._candidates = candidates

    def run_if_due(self, cancel: threading.Event | None = None) -> BackupOutcome | None:
        """Make today's backup if it is due, this PC can reach the folder and no PC has."""
        with self._sessions() as session:
            schedule, zone = _schedule(session)
        now = self._clock()
        day = due_day(schedule, zone, now)
        if day is None or not self._wanted(day, now):
            return None
        folder = Path(schedule.folder)
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            log.info("Daily backup due, but %s is not reachable from this PC", folder)
            return None
        service = BackupService(
            self._sessions,
            self._url,
            actor=None,
            workstation=self._workstation,
            clock=self._clock,
            candidates=self._candidates,
        )
        with service.locked() as got:
            if not got or not self._wanted(day, self._clock()):
                return None
            target = _free_name(folder, f"mic-backup-{now.astimezone(zone):%Y-%m-%d-%H%M}")
            log.info("Daily backup of %s into %s", day, target)
            outcome = service.run_locked(target, BackupKind.SCHEDULED, day, cancel=cancel)
        if outcome is not None and outcome.verified:
            removed = self.rotate(folder, schedule.keep)
            if removed:
                log.info("Deleted %d older daily backups from %s", len(removed), folder)
        return outcome

    def _wanted(self, day: dt.date, now: dt.datetime) -> bool:
        """No running or verified backup of ``day`` yet, and tries left."""
        with self._sessions() as session:
            rows = session.execute(
                select(BackupRecord.status, BackupRecord.finished_at).where(
                    BackupRecord.scheduled_day == day
                )
            ).all()
        if any(status != BackupState.FAILED.value for status, _ in rows):
            return False
        if len(rows) >= MAX_ATTEMPTS:
            return False
        last = max((finished for _, finished in rows if finished is not None), default=None)
        return last is None or now - last >= RETRY_AFTER

    def rotate(self, folder: Path, keep: int) -> list[Path]:
        """Delete the files of daily backups in ``folder`` older than the newest ``keep``
        verified ones (only files this product recorded; a missing file is noted as gone)."""
        removed: list[Path] = []
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(BackupRecord)
                .where(
                    BackupRecord.kind == BackupKind.SCHEDULED.value,
                    BackupRecord.removed_at.is_(None),
                    BackupRecord.status != BackupState.RUNNING.value,
                )
                .order_by(BackupRecord.started_at.desc(), BackupRecord.id.desc())
            ).all()
            here = [row for row in rows if _same_folder(Path(row.file_path).parent, folder)]
            verified = 0
            for index, row in enumerate(here):
                if row.status == BackupState.VERIFIED.value:
                    verified += 1
                if verified == keep:
                    older = here[index + 1 :]
                    break
            else:
                older = []
            for row in older:
                path = Path(row.file_path)
                try:
                    path.unlink(missing_ok=True)
                except OSError as exc:
                    log.warning("Could not delete the old backup %s: %s", path, exc)
                    continue
                row.removed_at = self._clock()
                removed.append(path)
            if removed:
                notify(session, LiveChannel.BACKUP, "rotated")
        return removed


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return os.path.normcase(a.resolve()) == os.path.normcase(b.resolve())
    except OSError:
        return False


def _free_name(folder: Path, stem: str) -> Path:
    target = folder / f"{stem}.dump"
    number = 2
    while target.exists():
        target = folder / f"{stem}-{number}.dump"
        number += 1
    return target
