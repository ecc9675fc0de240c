"""The backup status light of the manager's home page (and the doctor's backup line).

Red when no backup was verified in the last 36 hours, or when the newest backup
failed; green otherwise. A backup shown as running is one whose PC still holds the
backup lock (see :mod:`.backup_records`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, text
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import BackupKind, BackupRecord, BackupState
from mic_desktop.services.admin.backup_records import LOCK_KEY, BackupEntry, entry_of, size_text
from mic_desktop.services.formats import format_datetime

STALE_AFTER = dt.timedelta(hours=36)


@dataclass(frozen=True)
class BackupHealth:
    """Green or red, with one line to show and one to explain."""

    red: bool
    headline: str
    detail: str
    last_verified: BackupEntry | None
    last_attempt: BackupEntry | None  # the newest finished one
    running: BackupEntry | None


def backup_health(
    sessions: sessionmaker[Session], now: dt.datetime, zone: ZoneInfo
) -> BackupHealth:
    """Red when no backup was verified in the last 36 hours or the latest one failed.

    A backup's time is when it started: the moment of the data it holds.
    """
    with sessions() as session:
        running = _newest(session, BackupRecord.status == BackupState.RUNNING.value)
        attempt = _newest(session, BackupRecord.status != BackupState.RUNNING.value)
        verified = _newest(session, BackupRecord.status == BackupState.VERIFIED.value)
    if running is not None and not _lock_held(sessions):
        running = None  # left by a PC that stopped; the next backup closes the record
    when = verified.started_at if verified is not None else None
    if verified is not None and when is not None:
        last = f"Last verified backup: {format_datetime(when, zone)}"
        kind = "daily" if verified.kind is BackupKind.SCHEDULED else "manual"
        where = f" ({kind}, on {verified.workstation}, {size_text(verified.size_bytes)})"
    else:
        last, where = "No verified backup yet", ""
    if attempt is not None and attempt.status is BackupState.FAILED:
        failed_at = attempt.finished_at or attempt.started_at
        return BackupHealth(
            True,
            f"The last backup failed ({format_datetime(failed_at, zone)}, on "
            f"{attempt.workstation})",
            f"{_sentence(attempt.failure_reason or 'no reason recorded')} {last}{where}.",
            verified,
            attempt,
            running,
        )
    if verified is None or when is None:
        return BackupHealth(
            True,
            "No verified backup yet",
            "Set a daily backup or back up now on the Backup page.",
            None,
            attempt,
            running,
        )
    age = now - when
    if age > STALE_AFTER:
        hours = int(age.total_seconds() // 3600)
        return BackupHealth(
            True,
            f"No verified backup for {hours} hours",
            f"{last}{where}. Check the daily backup on the Backup page.",
            verified,
            attempt,
            running,
        )
    return BackupHealth(
        False,
        last,
        f"Restored into a scratch database and compared{where}.",
        verified,
        attempt,
        running,
    )


def _newest(session: Session, condition: ColumnElement[bool]) -> BackupEntry | None:
    row = session.scalars(
        select(BackupRecord)
        .where(condition)
        .order_by(BackupRecord.started_at.desc(), BackupRecord.id.desc())
        .limit(1)
    ).first()
    return entry_of(session, row) if row is not None else None


def _lock_held(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        return bool(
            session.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND classid = :a AND objid = :b AND objsubid = 2"
                ),
                {"a": LOCK_KEY[0], "b": LOCK_KEY[1]},
            )
        )


def _sentence(words: str) -> str:
    words = words.strip()
    words = words[:1].upper() + words[1:]
    return words if words.endswith(".") else words + "."
