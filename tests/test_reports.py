"""Report statuses and the refused transitions, addenda, reviews, critical results, outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from mic_desktop.db import Database
from mic_desktop.models import (
    AuditLog,
    ClinicSettings,
    CriticalFinding,
    OutboxMessage,
    Patient,
    Report,
    ReportAccessLog,
    ReportStatus,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.errors import PermissionDeniedError, StaleRecordError, ValidationError
from mic_desktop.services.reporting.critical_findings import (
    CommunicationMethod,
    CriticalFindingService,
)
from mic_desktop.services.reporting.errors import (
    AlreadyReviewedError,
    CriticalFindingAlreadyAcknowledgedError,
    NotClaimedError,
    ReportAlreadyFinalError,
    ReportLockedError,
    ReportNotFinalError,
    SelfReviewError,
)
from mic_desktop.services.reporting.reports import ReportDetail, ReportService
from mic_desktop.services.reporting.worklist import WorklistService
from tests.fixed_time import CLINIC_ZONE
from tests.reporting_helpers import NOW, ClinicBuilder, FakeClock, Study, valid_pdf

FINDINGS = "No focal lesion. Ventricles normal in size."
IMPRESSION = "Normal CT head."


@pytest.fixture
def clinic(database: Database) -> ClinicBuilder:
    return ClinicBuilder(database)


@pytest.fixture
def author(clinic: ClinicBuilder, staff: dict[str, StaffAccount]) -> StaffAccount:
    return clinic.radiologist("rmutasa", "Dr Rudo Mutasa", "MBChB, MMed (Rad)")


@pytest.fixture
def colleague(clinic: ClinicBuilder, staff: dict[str, StaffAccount]) -> StaffAccount:
    return clinic.radiologist("pncube", "Dr Peter Ncube")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def reports(database: Database, actor: StaffAccount, clock: FakeClock) -> ReportService:
    return ReportService(database.session_factory, actor, "reading-2", clock)


def claimed(database: Database, actor: StaffAccount, study: Study) -> int:
    claim = WorklistService(database.session_factory, actor, "reading-2").claim(
        study.appointment_id
    )
    return claim.version


def finalised(
    database: Database, actor: StaffAccount, clock: FakeClock, study: Study, **kwargs: object
) -> ReportDetail:
    version = claimed(database, actor, study)
    assert study.report_id is not None
    return reports(database, actor, clock).finalise(
        study.report_id,
        findings=FINDINGS,
        impression=IMPRESSION,
        expected_version=version,
        **kwargs,  # type: ignore[arg-type]
    )


def audit_actions(database: Database) -> list[str]:
    with database.session() as session:
        return list(
            session.scalars(
                select(AuditLog.action)
                .where(AuditLog.entity == "report", ~AuditLog.action.startswith("row."))
                .order_by(AuditLog.id)
            )
        )


def test_draft_then_final_then_reviewed(
    database: Database,
    clinic: ClinicBuilder,
    author: StaffAccount,
    colleague: StaffAccount,
    clock: FakeClock,
) -> None:
    study = clinic.study()
    assert study.report_id is not None
    version = claimed(database, author, study)
    service = reports(database, author, clock)

    draft = service.save_draft(
        study.report_id, findings="No focal\r\nlesion.  ", impression="", expected_version=version
    )
    assert draft.status is ReportStatus.IN_PROGRESS
    assert draft.findings == "No focal\nlesion."
    assert draft.version == version + 1
    assert draft.can_edit(author.id) and not draft.can_edit(colleague.id)
    assert draft.updated_by_name == "Dr Rudo Mutasa"

    clock.advance(minutes=20)
    final = service.finalise(
        study.report_id, findings=FINDINGS, impression=IMPRESSION, expected_version=draft.version
    )
    assert final.status is ReportStatus.COMPLETED and final.is_final
    assert final.signed_name == "Dr Rudo Mutasa, MBChB, MMed (Rad)"
    assert final.finalised_at == NOW + dt.timedelta(minutes=20)
    assert final.finalised_by_id == author.id
    assert (final.findings, final.impression) == (FINDINGS, IMPRESSION)
    assert final.can_review(colleague.id) and not final.can_review(author.id)

    clock.advance(hours=2)
    reviewed = reports(database, colleague, clock).review(
        study.report_id, expected_version=final.version
    )
    assert reviewed.status is ReportStatus.REVIEWED
    assert reviewed.reviewed_by_name == "Dr Peter Ncube"
    assert reviewed.reviewed_at == NOW + dt.timedelta(hours=2, minutes=20)
    assert audit_actions(database) == [
        "report_claimed",
        "report_draft_saved",
        "report_finalised",
        "report_reviewed",
    ]
    with database.session() as session:
        workstations = set(
            session.scalars(
                select(AuditLog.workstation).where(
                    AuditLog.entity == "report", ~AuditLog.action.startswith("row.")
                )
            )
        )
    assert workstations == {"reading-2"}


def test_a_final_report_is_never_edited_nor_finalised_twice(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    study = clinic.study()
    assert study.report_id is not None
    final = finalised(database, author, clock, study)
    service = reports(database, author, clock)

    with pytest.raises(ReportLockedError, match="Add an addendum"):
        service.save_draft(
            study.report_id, findings="changed", impression="", expected_version=final.version
        )
    with pytest.raises(ReportAlreadyFinalError, match="already finalised by Dr Rudo Mutasa"):
        service.finalise(
            study.report_id, findings="again", impression="", expected_version=final.version
        )
    with pytest.raises(ReportLockedError):
        service.attach_pdf(study.report_id, valid_pdf(), "new.pdf", expected_version=final.version)

    with database.session() as session:
        report = session.get(Report, study.report_id)
        assert report is not None
        assert (report.findings, report.version) == (FINDINGS, final.version)
    assert audit_actions(database).count("report_finalised") == 1


def test_addenda_only_on_final_reports_dated_and_signed(
    database: Database,
    clinic: ClinicBuilder,
    author: StaffAccount,
    colleague: StaffAccount,
    clock: FakeClock,
) -> None:
    study = clinic.study()
    assert study.report_id is not None
    version = claimed(database, author, study)
    with pytest.raises(ReportNotFinalError, match="still a draft"):
        reports(database, author, clock).add_addendum(study.report_id, "Too early.")
    reports(database, author, clock).finalise(
        study.report_id, findings=FINDINGS, impression=IMPRESSION, expected_version=version
    )
    with pytest.raises(ValidationError):
        reports(database, author, clock).add_addendum(study.report_id, "   ")

    clock.advance(days=1)
    detail = reports(database, colleague, clock).add_addendum(
        study.report_id, "Compared with the outside MRI of 2024: unchanged."
    )

    assert detail.status is ReportStatus.COMPLETED  # both show: the report and its addendum
    assert detail.findings == FINDINGS
    [addendum] = detail.addenda
    assert addendum.text == "Compared with the outside MRI of 2024: unchanged."
    assert addendum.signed_name == "Dr Peter Ncube"
    assert addendum.created_at == NOW + dt.timedelta(days=1)
    assert addendum.document_id is None
    assert audit_actions(database)[-1] == "report_addendum_added"


def test_self_review_and_review_of_a_draft_are_refused(
    database: Database,
    clinic: ClinicBuilder,
    author: StaffAccount,
    colleague: StaffAccount,
    clock: FakeClock,
) -> None:
    study = clinic.study()
    assert study.report_id is not None
    version = claimed(database, author, study)
    with pytest.raises(ReportNotFinalError):
        reports(database, colleague, clock).review(study.report_id, expected_version=version)
    final = reports(database, author, clock).finalise(
        study.report_id, findings=FINDINGS, impression=IMPRESSION, expected_version=version
    )
    with pytest.raises(SelfReviewError, match="second radiologist"):
        reports(database, author, clock).review(study.report_id, expected_version=final.version)
    reviewed = reports(database, colleague, clock).review(
        study.report_id, expected_version=final.version
    )
    third = ClinicBuilder(database).radiologist("third", "Dr Third")
    with pytest.raises(AlreadyReviewedError, match="Dr Peter Ncube"):
        reports(database, third, clock).review(study.report_id, expected_version=reviewed.version)


def test_only_the_claiming_radiologist_writes_the_draft(
    database: Database,
    clinic: ClinicBuilder,
    author: StaffAccount,
    colleague: StaffAccount,
    staff: dict[str, StaffAccount],
    clock: FakeClock,
) -> None:
    study = clinic.study()
    assert study.report_id is not None
    with pytest.raises(NotClaimedError, match="Claim this study"):
        reports(database, author, clock).save_draft(
            study.report_id, findings="x", impression="", expected_version=1
        )
    version = claimed(database, author, study)
    with pytest.raises(NotClaimedError, match="claimed by Dr Rudo Mutasa"):
        reports(database, colleague, clock).save_draft(
            study.report_id, findings="x", impression="", expected_version=version
        )
    with pytest.raises(PermissionDeniedError):
        reports(database, staff["manager"], clock).finalise(
            study.report_id, findings="x", impression="", expected_version=version
        )
    with pytest.raises(ValidationError, match="Write the findings"):
        reports(database, author, clock).finalise(
            study.report_id, findings=" ", impression="", expected_version=version
        )


def test_a_stale_save_says_who_changed_the_report_and_when(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    study = clinic.study()
    assert study.report_id is not None
    version = claimed(database, author, study)
    first_window = reports(database, author, clock)
    first_window.save_draft(
        study.report_id, findings="first", impression="", expected_version=version
    )
    when = NOW.astimezone(CLINIC_ZONE).strftime("%a %-d %b %Y %H:%M")  # 11:00 in Harare
    with pytest.raises(StaleRecordError, match=f"changed by Dr Rudo Mutasa at {when}"):
        first_window.save_draft(
            study.report_id, findings="second", impression="", expected_version=version
        )
    with database.session() as session:
        report = session.get(Report, study.report_id)
        assert report is not None and report.findings == "first"


def test_finalising_queues_report_ready_for_patient_and_doctor(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    both = clinic.study(phone="+263772000111", doctor_email="farai@avenues.example")
    opted_out = clinic.study(first_name="Quiet", sms_opt_in=False, doctor_email=None)
    no_phone = clinic.study(first_name="Nophone", phone=None, doctor_email="gp@example.org")

    for study in (both, opted_out, no_phone):
        finalised(database, author, clock, study)

    with database.session() as session:
        rows = session.execute(
            select(OutboxMessage.report_id, OutboxMessage.kind, OutboxMessage.channel,
                   OutboxMessage.recipient, OutboxMessage.body)
        ).all()  # fmt: skip
    by_report: dict[int | None, list[tuple[str, str, str]]] = {}
    for report_id, kind, channel, recipient, _ in rows:
        by_report.setdefault(report_id, []).append((kind, channel, recipient))
    assert sorted(by_report[both.report_id]) == [
        ("report_ready_doctor", "email", "farai@avenues.example"),
        ("report_ready_patient", "sms", "+263772000111"),
    ]
    assert opted_out.report_id not in by_report
    assert by_report[no_phone.report_id] == [("report_ready_doctor", "email", "gp@example.org")]
    assert any("CT head with contrast" in body for *_, body in rows)


def test_the_editor_shows_notes_referral_letters_and_prior_reports_newest_first(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    older = clinic.study(completed_at=NOW - dt.timedelta(days=400), scan="X-ray chest",
                         modality="XR")  # fmt: skip
    newer = clinic.study(patient_id=older.patient_id, completed_at=NOW - dt.timedelta(days=30))
    unfinished = clinic.study(patient_id=older.patient_id, completed_at=NOW - dt.timedelta(days=2))
    other_patient = clinic.study(first_name="Other")
    for study in (older, newer, other_patient):
        finalised(database, author, clock, study)
    current = clinic.study(
        patient_id=older.patient_id,
        clinical_notes="Follow-up of lung nodule.",
        referral_letter=valid_pdf("Referral letter"),
    )
    assert current.report_id is not None
    claimed(database, author, current)

    detail = reports(database, author, clock).open(current.report_id)

    assert detail.clinical_notes == "Follow-up of lung nodule."
    assert [letter.filename for letter in detail.referral_letters] == ["referral.pdf"]
    letter = reports(database, author, clock).referral_letter(detail.referral_letters[0].id)
    assert letter.content.startswith(b"%PDF-")
    assert [prior.report_id for prior in detail.prior_reports] == [
        newer.report_id,
        older.report_id,
    ]
    assert unfinished.report_id not in [p.report_id for p in detail.prior_reports]
    assert detail.prior_reports[1].scan_type == "X-ray chest"
    assert detail.prior_reports[0].impression == IMPRESSION
    assert detail.referring_doctor == "Dr Farai Chikwanha"
    with database.session() as session:
        views = session.execute(
            select(ReportAccessLog.report_id, ReportAccessLog.action, ReportAccessLog.staff_id,
                   ReportAccessLog.workstation)
        ).all()  # fmt: skip
    assert views == [(current.report_id, "view", author.id, "reading-2")]


def test_a_critical_finding_stays_open_until_someone_records_who_was_told(
    database: Database,
    clinic: ClinicBuilder,
    author: StaffAccount,
    staff: dict[str, StaffAccount],
    clock: FakeClock,
) -> None:
    with database.session() as session:
        session.get(ClinicSettings, 1).critical_escalation_minutes = 30  # type: ignore[union-attr]
    study = clinic.study(urgency="urgent")
    finalised(database, author, clock, study, critical_finding="Large left subdural haematoma.")
    clock.advance(minutes=5)
    later = clinic.study(first_name="Second")
    finalised(database, author, clock, later, critical_finding="Tension pneumothorax.")
    routine = clinic.study(first_name="Routine")
    finalised(database, author, clock, routine)
    manager = CriticalFindingService(database.session_factory, staff["manager"], "office", clock)
    radiologist = CriticalFindingService(database.session_factory, author, "reading-2", clock)

    open_results = manager.unacknowledged()
    assert [r.description for r in open_results] == [
        "Large left subdural haematoma.",
        "Tension pneumothorax.",
    ]  # oldest first
    first = open_results[0]
    assert (first.report_id, first.flagged_by_name, first.flagged_at) == (
        study.report_id,
        "Dr Rudo Mutasa",
        NOW,
    )
    assert first.referring_doctor_phone == "+263242700999"
    assert [r.escalated for r in open_results] == [False, False]

    clock.advance(minutes=25)  # the first is 30 minutes old now, the second 25
    assert [(r.escalated, r.minutes_open) for r in radiologist.unacknowledged()] == [
        (True, 30),
        (False, 25),
    ]

    clock.advance(minutes=2)
    acknowledged = radiologist.acknowledge(
        first.id,
        communicated_to="Dr Farai Chikwanha (referring GP)",
        method=CommunicationMethod.PHONE,
        communicated_at=clock.now - dt.timedelta(minutes=1),
    )
    assert acknowledged.is_acknowledged
    assert acknowledged.acknowledged_at == clock.now
    assert acknowledged.communicated_at == clock.now - dt.timedelta(minutes=1)
    assert acknowledged.communication_method is CommunicationMethod.PHONE
    assert acknowledged.acknowledged_by_name == "Dr Rudo Mutasa"
    assert [r.description for r in manager.unacknowledged()] == ["Tension pneumothorax."]
    with pytest.raises(CriticalFindingAlreadyAcknowledgedError, match="Farai"):
        manager.acknowledge(first.id, communicated_to="someone", method="phone")
    detail = reports(database, author, clock).open(study.report_id)  # type: ignore[arg-type]
    assert detail.critical_finding is not None
    assert detail.critical_finding.communicated_to == "Dr Farai Chikwanha (referring GP)"
    with database.session() as session:
        flagged = session.scalar(select(AuditLog.action).where(
            AuditLog.action == "critical_finding_acknowledged"))  # fmt: skip
        assert flagged == "critical_finding_acknowledged"
        assert session.scalar(select(CriticalFinding.id).where(
            CriticalFinding.report_id == routine.report_id)) is None  # fmt: skip


def test_acknowledging_needs_who_and_how_and_the_right_role(
    database: Database,
    clinic: ClinicBuilder,
    author: StaffAccount,
    staff: dict[str, StaffAccount],
    clock: FakeClock,
) -> None:
    study = clinic.study()
    finalised(database, author, clock, study, critical_finding="Free air under the diaphragm.")
    service = CriticalFindingService(database.session_factory, author, "reading-2", clock)
    [result] = service.unacknowledged()
    with pytest.raises(ValidationError) as missing_who:
        service.acknowledge(result.id, communicated_to="  ", method="phone")
    assert missing_who.value.field == "communicated_to"
    with pytest.raises(ValidationError) as bad_method:
        service.acknowledge(result.id, communicated_to="Dr X", method="carrier pigeon")
    assert bad_method.value.field == "method"
    with pytest.raises(ValidationError, match="future"):
        service.acknowledge(
            result.id,
            communicated_to="Dr X",
            method="phone",
            communicated_at=clock.now + dt.timedelta(hours=1),
        )
    reception = CriticalFindingService(database.session_factory, staff["reception"], "desk", clock)
    with pytest.raises(PermissionDeniedError):
        reception.unacknowledged()
    assert len(service.unacknowledged()) == 1


def test_a_soft_deleted_patient_leaves_the_worklist(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    study = clinic.study()
    with database.session() as session:
        session.execute(
            update(Patient).where(Patient.id == study.patient_id).values(deleted_at=NOW)
        )
    worklist = WorklistService(database.session_factory, author, "reading-2", clock)
    assert worklist.items() == []
    assert worklist.counts().total == 0
