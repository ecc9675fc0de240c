"""The worklist query, its filters, and claiming studies (including two at once)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg
import pytest
from sqlalchemy import URL, Engine, create_engine, func, select, text, update

from mic_desktop.db import Database
from mic_desktop.models import (
    AppointmentStatus,
    AuditLog,
    ClinicSettings,
    Report,
    ReportStatus,
    Urgency,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.errors import NotFoundError, PermissionDeniedError
from mic_desktop.services.reporting.errors import (
    AlreadyClaimedError,
    NotClaimedError,
    ReportAlreadyFinalError,
    ScanNotCompletedError,
)
from mic_desktop.services.reporting.reports import ReportService
from mic_desktop.services.reporting.worklist import (
    WorklistFilter,
    WorklistScope,
    WorklistService,
    WorklistSort,
)
from tests.reporting_helpers import NOW, ClinicBuilder, FakeClock


@pytest.fixture
def clinic(database: Database) -> ClinicBuilder:
    return ClinicBuilder(database)


@pytest.fixture
def second(clinic: ClinicBuilder, staff: dict[str, StaffAccount]) -> StaffAccount:
    return clinic.radiologist("radiologist2", "Dr Peter Ncube")


def worklist(database: Database, actor: StaffAccount, clock: FakeClock | None = None):  # type: ignore[no-untyped-def]
    return WorklistService(database.session_factory, actor, "reading-1", clock or FakeClock())


def test_lists_completed_studies_without_a_final_report(
    database: Database, staff: dict[str, StaffAccount], clinic: ClinicBuilder
) -> None:
    waiting = clinic.study(first_name="Tendai", completed_at=NOW - dt.timedelta(hours=5))
    no_report_row = clinic.study(first_name="Rudo", with_report=False)
    clinic.study(first_name="Booked", status=AppointmentStatus.CONFIRMED)
    final = clinic.study(first_name="Done")
    with database.session() as session:
        session.execute(
            update(Report)
            .where(Report.id == final.report_id)
            .values(status=ReportStatus.COMPLETED.value, finalised_at=NOW)
        )

    items = worklist(database, staff["radiologist"]).items()

    assert {item.appointment_id for item in items} == {
        waiting.appointment_id,
        no_report_row.appointment_id,
    }
    row = next(item for item in items if item.appointment_id == waiting.appointment_id)
    assert row.patient_name == "Tendai Moyo"
    assert row.mrn.startswith("MIC")
    assert (row.scan_type, row.modality, row.modality_name) == (
        "CT head with contrast",
        "CT",
        "Computed tomography",
    )
    assert row.urgency is Urgency.ROUTINE
    assert row.referring_doctor == "Dr Farai Chikwanha"
    assert row.radiologist_name is None and not row.is_claimed
    assert row.report_status is ReportStatus.PENDING
    assert row.hours_waiting == pytest.approx(5.0)
    missing = next(item for item in items if item.appointment_id == no_report_row.appointment_id)
    assert missing.report_id is None and missing.report_status is ReportStatus.PENDING


def test_overdue_follows_the_clinic_setting_and_urgent_comes_first(
    database: Database, staff: dict[str, StaffAccount], clinic: ClinicBuilder
) -> None:
    with database.session() as session:
        session.get(ClinicSettings, 1).report_overdue_hours = 24  # type: ignore[union-attr]
    old = clinic.study(first_name="Old", completed_at=NOW - dt.timedelta(hours=30))
    fresh = clinic.study(first_name="Fresh", completed_at=NOW - dt.timedelta(hours=2))
    urgent = clinic.study(
        first_name="Urgent", urgency="urgent", completed_at=NOW - dt.timedelta(hours=1)
    )
    clock = FakeClock()

    items = worklist(database, staff["radiologist"], clock).items()

    assert [item.appointment_id for item in items] == [
        urgent.appointment_id,
        old.appointment_id,
        fresh.appointment_id,
    ]
    assert [item.is_overdue for item in items] == [False, True, False]
    assert items[0].is_urgent
    clock.advance(hours=22.5)  # fresh has now waited 24.5 hours, urgent 23.5
    later = worklist(database, staff["radiologist"], clock).items()
    assert {i.appointment_id for i in later if i.is_overdue} == {
        old.appointment_id,
        fresh.appointment_id,
    }
    counts = worklist(database, staff["radiologist"], clock).counts()
    assert (counts.total, counts.urgent, counts.overdue, counts.unassigned, counts.mine) == (
        3,
        1,
        2,
        3,
        0,
    )


def test_filters_scope_modality_urgency_dates_and_search(
    database: Database,
    staff: dict[str, StaffAccount],
    clinic: ClinicBuilder,
    second: StaffAccount,
) -> None:
    me = staff["radiologist"]
    ct = clinic.study(
        first_name="Tendai", last_name="Moyo", completed_at=NOW - dt.timedelta(days=3)
    )
    mr = clinic.study(
        first_name="Chipo", last_name="Ndlovu", modality="MR", scan="MRI knee", urgency="urgent"
    )
    xr = clinic.study(
        first_name="José", last_name="Dube", modality="XR", scan="X-ray chest", doctor="Dr Sibanda"
    )
    worklist(database, me).claim(ct.appointment_id)
    worklist(database, second).claim(mr.appointment_id)
    service = worklist(database, me)

    def ids(**criteria: object) -> set[int]:
        return {item.appointment_id for item in service.items(WorklistFilter(**criteria))}

    assert ids(scope=WorklistScope.MINE) == {ct.appointment_id}
    assert ids(scope=WorklistScope.UNASSIGNED) == {xr.appointment_id}
    assert ids(scope=WorklistScope.ALL) == {ct.appointment_id, mr.appointment_id, xr.appointment_id}
    assert ids(modality="MR") == {mr.appointment_id}
    assert ids(urgency=Urgency.URGENT) == {mr.appointment_id}
    today = NOW.date()
    assert ids(completed_from=today - dt.timedelta(days=1)) == {
        mr.appointment_id,
        xr.appointment_id,
    }
    assert ids(completed_to=today - dt.timedelta(days=2)) == {ct.appointment_id}
    assert ids(search="ndlovu") == {mr.appointment_id}
    assert ids(search="jose dube") == {xr.appointment_id}  # accents and case ignored
    assert ids(search="sibanda") == {xr.appointment_id}  # the referring doctor
    assert ids(search=xr.reference.lower()) == {xr.appointment_id}
    assert ids(search="knee") == {mr.appointment_id}
    assert ids(search="100%_") == set()  # LIKE wildcards are taken literally
    mine = service.items(WorklistFilter(scope=WorklistScope.MINE))[0]
    assert mine.is_mine and mine.radiologist_name == "Test Radiologist"
    theirs = service.items(WorklistFilter(modality="MR"))[0]
    assert not theirs.is_mine and theirs.radiologist_name == "Dr Peter Ncube"
    by_patient = service.items(WorklistFilter(sort=WorklistSort.PATIENT))
    assert [item.patient_name for item in by_patient] == [
        "José Dube",
        "Tendai Moyo",
        "Chipo Ndlovu",
    ]
    newest = service.items(WorklistFilter(sort=WorklistSort.NEWEST))
    assert newest[-1].appointment_id == ct.appointment_id


def test_reception_has_no_worklist(database: Database, staff: dict[str, StaffAccount]) -> None:
    with pytest.raises(PermissionDeniedError):
        worklist(database, staff["reception"]).items()
    with pytest.raises(PermissionDeniedError):
        worklist(database, staff["manager"]).claim(1)


def test_claim_creates_a_missing_report_and_tells_the_second_radiologist_who_has_it(
    database: Database, staff: dict[str, StaffAccount], clinic: ClinicBuilder, second: StaffAccount
) -> None:
    me = staff["radiologist"]
    study = clinic.study(with_report=False)
    clock = FakeClock()

    claim = worklist(database, me, clock).claim(study.appointment_id)

    with database.session() as session:
        report = session.scalars(
            select(Report).where(Report.appointment_id == study.appointment_id)
        ).one()
        actions = session.scalars(
            select(AuditLog.action).where(
                AuditLog.entity == "report", ~AuditLog.action.startswith("row.")
            )
        ).all()
    assert claim.report_id == report.id
    assert (report.radiologist_id, report.claimed_at, report.status) == (me.id, NOW, "pending")
    assert claim.version == report.version
    assert actions == ["report_claimed"]
    with pytest.raises(AlreadyClaimedError, match="already claimed by Test Radiologist"):
        worklist(database, second).claim(study.appointment_id)
    again = worklist(database, me).claim(study.appointment_id)  # harmless for the holder
    assert again.report_id == claim.report_id


def test_release_gives_the_study_back(
    database: Database, staff: dict[str, StaffAccount], clinic: ClinicBuilder, second: StaffAccount
) -> None:
    me = staff["radiologist"]
    study = clinic.study()
    worklist(database, me).claim(study.appointment_id)
    assert study.report_id is not None
    with pytest.raises(NotClaimedError, match="claimed by Test Radiologist"):
        worklist(database, second).release(study.report_id)

    worklist(database, me).release(study.report_id)

    unassigned = worklist(database, second).items(WorklistFilter(scope=WorklistScope.UNASSIGNED))
    assert [item.report_id for item in unassigned] == [study.report_id]
    worklist(database, second).claim(study.appointment_id)
    worklist(database, staff["manager"]).release(study.report_id)  # a manager may release any
    assert worklist(database, me).counts().unassigned == 1


def test_claim_is_refused_for_scans_not_completed_and_reports_already_final(
    database: Database, staff: dict[str, StaffAccount], clinic: ClinicBuilder
) -> None:
    me = staff["radiologist"]
    booked = clinic.study(status=AppointmentStatus.ARRIVED)
    with pytest.raises(ScanNotCompletedError):
        worklist(database, me).claim(booked.appointment_id)
    with pytest.raises(NotFoundError):
        worklist(database, me).claim(999_999)
    study = clinic.study()
    claim = worklist(database, me).claim(study.appointment_id)
    ReportService(database.session_factory, me, "reading-1").finalise(
        claim.report_id, findings="Normal.", impression="Normal.", expected_version=claim.version
    )
    with pytest.raises(ReportAlreadyFinalError):
        worklist(database, me).claim(study.appointment_id)


def _wait_for_lock_waiters(
    engine: Engine, threads: list[threading.Thread], timeout: float = 60
) -> None:
    """Return once every thread's session waits on a row lock (or a thread has ended)."""
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < deadline and all(t.is_alive() for t in threads):
            waiting = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            if waiting >= len(threads):
                return
            conn.rollback()  # pg_stat_activity is read once per transaction: look again
            time.sleep(0.02)
    if all(t.is_alive() for t in threads):
        raise AssertionError(f"the claims did not queue on the lock within {timeout} s")


@pytest.mark.parametrize("with_report", [True, False], ids=["report-row", "no-report-row"])
def test_two_radiologists_claiming_at_the_same_moment_one_wins(
    db_url: URL,
    database: Database,
    staff: dict[str, StaffAccount],
    clinic: ClinicBuilder,
    second: StaffAccount,
    with_report: bool,
) -> None:
    study = clinic.study(with_report=with_report)
    radiologists = [staff["radiologist"], second]
    # Each desk has its own engine and sessions, as two PCs would.
    desks = [Database(database.connection) for _ in radiologists]
    blocker = create_engine(db_url)
    results: dict[int, object] = {}
    barrier = threading.Barrier(len(radiologists))

    def claim(index: int) -> None:
        service = WorklistService(desks[index].session_factory, radiologists[index], f"pc-{index}")
        barrier.wait()
        try:
            results[index] = service.claim(study.appointment_id)
        except Exception as error:  # reported by the assertions below
            results[index] = error

    try:
        # Hold the rows both claims need, so both are inside their transactions, waiting,
        # when the lock goes: then they really race for the same row.
        with blocker.begin() as conn:
            conn.execute(
                text("SELECT 1 FROM appointment WHERE id = :id FOR UPDATE"),
                {"id": study.appointment_id},
            )
            threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            _wait_for_lock_waiters(blocker, threads)
        for thread in threads:
            thread.join(timeout=30)
    finally:
        blocker.dispose()
        for desk in desks:
            desk.dispose()

    winners = [i for i, result in results.items() if not isinstance(result, Exception)]
    losers = [result for result in results.values() if isinstance(result, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], AlreadyClaimedError), repr(losers[0])
    winner = radiologists[winners[0]]
    assert winner.full_name in str(losers[0])
    with database.session() as session:
        reports = session.execute(
            select(Report.radiologist_id, func.count())
            .where(Report.appointment_id == study.appointment_id)
            .group_by(Report.radiologist_id)
        ).all()
        claims = session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "report_claimed")
        )
    assert reports == [(winner.id, 1)]
    assert claims == 1


def test_a_claim_is_announced_to_other_desks(
    db_url: URL, database: Database, staff: dict[str, StaffAccount], clinic: ClinicBuilder
) -> None:
    study = clinic.study()
    conninfo = db_url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute("LISTEN mic_report")
        worklist(database, staff["radiologist"]).claim(study.appointment_id)
        payloads = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert payloads == [str(study.report_id)]
