"""The daily backup: the manager's schedule, one PC doing it, retries, keeping the last N,
and the worker job that runs it (stopped cleanly mid-backup)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import psycopg
import pytest
from notification_fakes import FakeClock
from sqlalchemy import URL, select

from mic_desktop.db import Database
from mic_desktop.models import AuditLog, BackupRecord
from mic_desktop.services.admin.backup_health import backup_health
from mic_desktop.services.admin.backup_schedule import (
    BackupSchedule,
    BackupScheduleService,
    DailyBackup,
    due_day,
)
from mic_desktop.services.admin.backup_tools import ToolsUnavailableError
from mic_desktop.services.errors import StaleRecordError, ValidationError
from mic_desktop.worker import JOB_BACKUP, NotificationWorker, WorkerIntervals
from tests.analytics_helpers import build_clinic
from tests.fixed_time import CLINIC_ZONE

HARARE = CLINIC_ZONE  # the clinic of the test database
WAIT = 60  # seconds: a generous bound for a backup of a small clinic


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=HARARE).astimezone(dt.UTC)


@pytest.fixture
def filled(database: Database, staff: dict[str, object]) -> Database:
    with database.session() as session:
        build_clinic(session)
    return database


def _schedule(database: Database, folder: Path, keep: int = 14, at: dt.time = dt.time(22)):
    service = BackupScheduleService(
        database.session_factory, actor=None, workstation="manager-pc",
        clock=lambda: local(1, 9),
    )  # fmt: skip
    return service.save(str(folder), at, keep, expected_version=service.load().version)


def _job(database: Database, url: URL, clock: FakeClock, pc: str = "pc-1", **kwargs) -> DailyBackup:  # type: ignore[no-untyped-def]
    return DailyBackup(database.session_factory, url, workstation=pc, clock=clock, **kwargs)


def _records(database: Database) -> list[BackupRecord]:
    with database.session_factory() as session:
        return list(session.scalars(select(BackupRecord).order_by(BackupRecord.id)))


def test_the_manager_sets_the_schedule_with_errors_beside_the_fields(
    database: Database, tmp_path: Path
) -> None:
    service = BackupScheduleService(
        database.session_factory, actor=None, workstation="manager-pc", clock=lambda: local(1, 9)
    )
    first = service.load()
    assert first == BackupSchedule("", dt.time(22), 14, None, first.version)
    assert not first.enabled
    for folder, keep, field, words in (
        ("backups", 14, "folder", "whole folder path"),
        (str(tmp_path / "missing"), 14, "folder", "does not exist on this PC"),
        (str(tmp_path), 0, "keep", "Keep 1 to 365"),
    ):
        with pytest.raises(ValidationError, match=words) as raised:
            service.save(folder, dt.time(23, 30), keep, expected_version=first.version)
        assert raised.value.field == field
    saved = service.save(str(tmp_path), dt.time(23, 30, 15), 7, expected_version=first.version)
    assert saved.enabled and saved.folder == str(tmp_path)
    assert (saved.time, saved.keep, saved.since) == (dt.time(23, 30), 7, local(1, 9))
    with pytest.raises(StaleRecordError):
        service.save("", dt.time(22), 7, expected_version=first.version)
    off = service.save("", dt.time(23, 30), 7, expected_version=saved.version)
    assert not off.enabled
    with database.session_factory() as session:
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.action == "backup_schedule_changed")
        ).all()
    assert len(actions) == 2


def test_the_due_day_is_the_latest_passed_backup_time_since_it_was_set() -> None:
    schedule = BackupSchedule("/backups", dt.time(22), 14, local(1, 9), 1)
    assert due_day(schedule, HARARE, local(1, 21, 59)) is None  # set today: nothing before
    assert due_day(schedule, HARARE, local(1, 22)) == dt.date(2026, 12, 1)
    assert due_day(schedule, HARARE, local(2, 7, 30)) == dt.date(2026, 12, 1)  # PC was off
    assert due_day(schedule, HARARE, local(2, 22, 5)) == dt.date(2026, 12, 2)
    off = BackupSchedule("", dt.time(22), 14, None, 1)
    assert due_day(off, HARARE, local(2, 22, 5)) is None


def test_two_pcs_at_the_backup_time_make_one_backup(
    filled: Database, db_url: URL, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    _schedule(filled, folder)
    clock = FakeClock(local(1, 22, 1))
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def pc(name: str) -> None:
        start.wait()
        outcomes[name] = _job(filled, db_url, clock, name).run_if_due()

    threads = [threading.Thread(target=pc, args=(name,)) for name in ("pc-1", "pc-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    made = [outcome for outcome in outcomes.values() if outcome is not None]
    assert len(outcomes) == 2 and len(made) == 1
    [record] = _records(filled)
    assert record.status == "verified" and record.kind == "scheduled"
    assert record.scheduled_day == dt.date(2026, 12, 1)
    assert [p.name for p in folder.iterdir()] == ["mic-backup-2026-12-01-2201.dump"]
    clock.advance(hours=3)
    assert _job(filled, db_url, clock, "pc-3").run_if_due() is None  # done for the day
    health = backup_health(filled.session_factory, clock(), HARARE)
    assert not health.red and health.headline == "Last verified backup: Tue 1 Dec 2026 22:01"


def test_a_failed_daily_backup_is_tried_again_an_hour_later_three_times_at_most(
    filled: Database, db_url: URL, tmp_path: Path
) -> None:
    _schedule(filled, tmp_path)
    clock = FakeClock(local(1, 22, 1))
    broken = _job(filled, db_url, clock, candidates=[])  # a PC without any pg_dump
    with pytest.raises(ToolsUnavailableError):
        broken.run_if_due()
    [failed] = _records(filled)
    assert failed.status == "failed" and "Install the PostgreSQL 18 client tools" in (
        failed.failure_reason or ""
    )
    health = backup_health(filled.session_factory, clock(), HARARE)
    assert health.red and health.headline.startswith("The last backup failed (Tue 1 Dec 2026")
    assert "No pg_dump on this PC" in health.detail

    clock.advance(minutes=30)
    assert broken.run_if_due() is None  # too soon
    clock.advance(minutes=31)
    with pytest.raises(ToolsUnavailableError):
        broken.run_if_due()
    clock.advance(hours=1, minutes=1)
    with pytest.raises(ToolsUnavailableError):
        broken.run_if_due()
    clock.advance(hours=1, minutes=1)
    assert _job(filled, db_url, clock).run_if_due() is None  # three tries a day
    assert [r.status for r in _records(filled)] == ["failed"] * 3

    clock.set(local(2, 22, 5))  # the next day starts afresh, on a PC with the tools
    outcome = _job(filled, db_url, clock).run_if_due()
    assert outcome is not None and outcome.verified
    assert not backup_health(filled.session_factory, clock(), HARARE).red


def test_a_pc_that_cannot_reach_the_folder_leaves_the_backup_to_another(
    filled: Database, db_url: URL, tmp_path: Path
) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    _schedule(filled, folder)
    folder.rmdir()  # not reachable from this PC
    clock = FakeClock(local(1, 22, 1))
    assert _job(filled, db_url, clock).run_if_due() is None
    assert _records(filled) == []


def test_the_newest_verified_daily_backups_are_kept(
    filled: Database, db_url: URL, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    _schedule(filled, folder, keep=2)
    clock = FakeClock(local(1, 22, 1))
    files = []
    for day in (1, 2, 3):
        clock.set(local(day, 22, 1))
        outcome = _job(filled, db_url, clock).run_if_due()
        assert outcome is not None and outcome.verified
        files.append(Path(outcome.entry.file_path))
    other = folder / "notes.txt"  # not a backup this product recorded: never touched
    other.write_text("keep me")
    clock.set(local(4, 22, 1))
    fourth = _job(filled, db_url, clock).run_if_due()
    assert fourth is not None
    assert sorted(p.name for p in folder.iterdir()) == [
        "mic-backup-2026-12-03-2201.dump",
        "mic-backup-2026-12-04-2201.dump",
        "notes.txt",
    ]
    removed = [r.removed_at is not None for r in _records(filled)]
    assert removed == [True, True, False, False]


def test_the_worker_makes_the_daily_backup_and_stopping_it_stops_the_backup(
    filled: Database, db_url: URL, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    _schedule(filled, folder)
    clock = FakeClock(local(1, 22, 1))
    worker = NotificationWorker(filled.session_factory, workstation="desk-1", clock=clock)
    worker.run_all_once()
    [made] = _records(filled)
    assert made.status == "verified" and made.workstation == "desk-1"

    clock.set(local(2, 22, 1))
    blocker = psycopg.connect(
        db_url.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    blocker.execute("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")  # pg_dump waits
    worker = NotificationWorker(
        filled.session_factory, workstation="desk-2", clock=clock,
        intervals=WorkerIntervals(reminders=3600, dispatch=3600, delivery=3600, balances=3600),
    )  # fmt: skip
    worker.start()
    try:
        jobs = {job.id: job for job in worker.scheduler.get_jobs()}  # type: ignore[union-attr]
        assert jobs[JOB_BACKUP].trigger.interval == dt.timedelta(seconds=300)
        for _ in range(WAIT * 20):  # until the day's backup is under way (and waiting)
            if len(_records(filled)) == 2:
                break
            time.sleep(0.05)
        worker.stop()
    finally:
        blocker.close()
    stopped = _records(filled)[1]
    assert stopped.status == "failed" and stopped.workstation == "desk-2"
    assert "MIC Desktop was closing" in (stopped.failure_reason or "")
    assert sorted(p.name for p in folder.iterdir()) == ["mic-backup-2026-12-01-2201.dump"]
