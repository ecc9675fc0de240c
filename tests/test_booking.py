"""Booking: quotes, the booking transaction, double booking, status moves, the 24-hour rule."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import func, select

from mic_desktop.db import Connection, Database
from mic_desktop.models import (
    Appointment,
    AppointmentStatusChange,
    AuditLog,
    DocumentCounter,
    OutboxMessage,
    Report,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.billing.pricing import PricingService
from mic_desktop.services.errors import (
    AuthenticationError,
    ServiceError,
    SlotTakenError,
    StaleRecordError,
    ValidationError,
)
from mic_desktop.services.patients.feedback import (
    FeedbackInput,
    FeedbackRefusedError,
    FeedbackService,
)
from mic_desktop.services.scheduling.booking import (
    BookingRequest,
    BookingService,
    ReferralLetter,
)
from mic_desktop.services.scheduling.cancellation import (
    LateCancellationError,
    ManagerAuthorisation,
)
from mic_desktop.services.scheduling.referring_doctors import ReferringDoctorDirectory
from tests.bad_input_files import png_bytes
from tests.conftest import TEST_PASSWORD
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, build_clinic, register
from tests.reporting_helpers import valid_pdf

TUESDAY = MONDAY + dt.timedelta(days=1)
PDF = valid_pdf("Referral letter")


@pytest.fixture
def clinic(database: Database, staff: dict[str, StaffAccount]) -> Clinic:
    return build_clinic(database, staff)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(MONDAY, 7))


@pytest.fixture
def desk(database: Database, staff: dict[str, StaffAccount], clock: FakeClock) -> BookingService:
    return BookingService(database.session_factory, staff["reception"], "desk-1", clock=clock)


def _patient(database: Database, staff: dict[str, StaffAccount], **fields: object) -> int:
    return register(database, staff["reception"], phone="0771234567", **fields).id


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("plan", "cover", "copay", "preauth", "text"),
    [
        (None, "0.00", "150.00", False, "No medical aid"),
        ("percent_plan", "120.00", "30.00", False, "80 %"),
        ("capped_plan", "100.00", "50.00", True, "90 % up to USD 100.00"),
        ("uncovered_plan", "0.00", "150.00", False, "Not covered"),
    ],
)
def test_copayment_by_percentage_cap_or_no_cover(
    database: Database, clinic: Clinic, plan: str | None, cover: str, copay: str, preauth: bool,
    text: str,
) -> None:  # fmt: skip
    plan_id = getattr(clinic, plan) if plan else None
    quote = PricingService(database.session_factory).quote(clinic.ct_head, plan_id)
    assert quote.price == Decimal("150.00")
    assert quote.medical_aid_cover == Decimal(cover)
    assert quote.patient_copay == Decimal(copay)
    assert quote.requires_preauthorisation is preauth
    assert quote.coverage_text == text


def test_plan_default_percentage_applies_without_a_rule(database: Database, clinic: Clinic) -> None:
    pricing = PricingService(database.session_factory)
    quote = pricing.quote(clinic.chest_xray, clinic.default_plan)
    assert (quote.medical_aid_cover, quote.patient_copay) == (Decimal("25.00"), Decimal("25.00"))
    assert pricing.quote(clinic.chest_xray, clinic.percent_plan).patient_copay == Decimal("50.00")


def test_booking_keeps_the_quote_and_needs_preauthorisation_when_required(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService
) -> None:
    patient = _patient(
        database, staff, medical_aid_plan_id=clinic.capped_plan, medical_aid_member_number="C-1"
    )
    request = BookingRequest(patient, clinic.ct_head, clinic.ct_room, at(MONDAY, 9))
    with pytest.raises(ValidationError, match="pre-authorisation") as error:
        desk.book(request)
    assert error.value.field == "preauthorisation_number"
    booked = desk.book(
        BookingRequest(
            patient, clinic.ct_head, clinic.ct_room, at(MONDAY, 9), preauthorisation_number="PA-9"
        )
    )
    assert (booked.price, booked.medical_aid_cover, booked.patient_copay) == (
        Decimal("150.00"), Decimal("100.00"), Decimal("50.00"),
    )  # fmt: skip
    assert booked.plan_name == "CIMAS Capped"
    assert booked.preauthorisation_number == "PA-9"
    private = desk.book(
        BookingRequest(
            patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9), use_medical_aid=False
        )
    )
    assert (private.medical_aid_cover, private.patient_copay) == (Decimal(0), Decimal("50.00"))


# ------------------------------------------------------------------------- booking


def test_booking_writes_everything_in_one_go(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService
) -> None:
    patient = _patient(database, staff)
    first = desk.book(
        BookingRequest(
            patient,
            clinic.ct_head,
            clinic.ct_room,
            at(MONDAY, 9),
            clinical_notes="Headache for 3 weeks",
            urgency="urgent",
            referral_letter=ReferralLetter("C:\\Scans\\letter.pdf", PDF),
        )
    )
    second = desk.book(BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9)))
    assert (first.reference, second.reference) == ("A0000001", "A0000002")
    assert first.end_at - first.start_at == dt.timedelta(minutes=30)
    assert first.status.value == "pending"
    assert first.radiologist_id == clinic.radiologist.id  # CT needs one on site
    assert second.radiologist_id is None
    assert [(a.filename, a.content_type, a.size_bytes) for a in first.attachments] == [
        ("letter.pdf", "application/pdf", len(PDF))
    ]
    name, kind, content = desk.referral_letter(first.attachments[0].id)
    assert (name, kind, content) == ("letter.pdf", "application/pdf", PDF)
    history = desk.history(first.id)
    assert [(h.from_status, h.to_status.value, h.changed_by, h.workstation) for h in history] == [
        (None, "pending", "Test Reception", "desk-1")
    ]
    with database.session() as session:
        messages = session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.appointment_id == first.id)
        ).all()
        booked_audit = session.scalars(
            select(AuditLog.entity_id).where(AuditLog.action == "appointment_booked")
        ).all()
    assert messages == ["booking_confirmation"]
    assert booked_audit == [str(first.id), str(second.id)]


def test_other_desks_hear_of_a_booking_when_it_commits(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService
) -> None:
    url = database.connection.url.set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute("LISTEN mic_appointment")
        patient = _patient(database, staff)
        with pytest.raises(SlotTakenError):  # a refused booking announces nothing
            desk.book(BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 8)))
            desk.book(BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 8)))
        # Wait for a second notice only briefly: there must not be one.
        heard = [n.payload for n in listener.notifies(timeout=1, stop_after=2)]
    with database.session() as session:
        ids = session.scalars(select(Appointment.id)).all()
    assert heard == [str(ids[0])]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Dear colleague, please scan.", "not a PDF or an image"),
        (b"", "empty file"),
        (b"%PDF-" + b"0" * (1024 * 1024 + 1), "may be at most 1.0 MB"),
    ],
)
def test_referral_letters_are_checked_by_content_and_size(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    content: bytes, message: str,
) -> None:  # fmt: skip
    from sqlalchemy import update

    from mic_desktop.models import ClinicSettings

    with database.session() as session:
        session.execute(update(ClinicSettings).values(report_pdf_max_mb=1))
    patient = _patient(database, staff)
    request = BookingRequest(
        patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9),
        referral_letter=ReferralLetter("letter.pdf", content),
    )  # fmt: skip
    with pytest.raises(ValidationError, match=message) as error:
        desk.book(request)
    assert error.value.field == "referral_letter"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_png_referral_letter_can_be_added_later(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService
) -> None:
    booked = desk.book(
        BookingRequest(
            _patient(database, staff), clinic.chest_xray, clinic.xray_room, at(MONDAY, 9)
        )
    )
    png = png_bytes()
    info = desk.attach_referral_letter(booked.id, ReferralLetter("scan.png", png))
    assert (info.content_type, info.size_bytes, len(info.sha256)) == ("image/png", len(png), 64)
    assert desk.get(booked.id).attachments == (info,)


@pytest.mark.parametrize(
    ("start", "field", "message"),
    [
        (at(MONDAY, 12), "start_at", "closed"),  # X-ray closes at 12:00
        (at(MONDAY, 11, 50), "start_at", "closes at 12:00; this scan would end at 12:05"),
        (at(MONDAY + dt.timedelta(days=5), 9), "start_at", "closed"),  # Saturday
        (at(MONDAY, 6, 40), "start_at", "already passed"),
    ],
)
def test_slots_outside_opening_hours_or_past_are_refused(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    start: dt.datetime, field: str, message: str,
) -> None:  # fmt: skip
    patient = _patient(database, staff)
    with pytest.raises(ValidationError, match=message) as error:
        desk.book(BookingRequest(patient, clinic.chest_xray, clinic.xray_room, start))
    assert error.value.field == field


def test_wrong_room_for_the_scan_is_refused(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService
) -> None:
    patient = _patient(database, staff)
    with pytest.raises(ValidationError, match="does not do CT scans"):
        desk.book(BookingRequest(patient, clinic.ct_head, clinic.xray_room, at(MONDAY, 9)))


def test_overlapping_booking_is_refused_and_gives_its_number_back(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService
) -> None:
    patient = _patient(database, staff)
    desk.book(BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9)))
    with pytest.raises(SlotTakenError, match="just taken"):
        desk.book(BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9, 10)))
    third = desk.book(
        BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9, 15))
    )
    assert third.reference == "A0000002"  # no gap in the series


def _race(
    database: Database, requests: list[BookingRequest], actor: StaffAccount, clock: FakeClock
) -> list[object]:
    """Book ``requests`` at the same moment from two desks, each with its own engine."""
    other_pc = Database(Connection(database.connection.url, database.connection.kind))
    desks = [
        BookingService(database.session_factory, actor, "desk-1", clock=clock),
        BookingService(other_pc.session_factory, actor, "desk-2", clock=clock),
    ]
    start = threading.Barrier(2)
    results: list[object] = [None, None]

    def attempt(index: int) -> None:
        start.wait()
        try:
            results[index] = desks[index].book(requests[index])
        except Exception as error:  # recorded and asserted by the caller
            results[index] = error

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    other_pc.dispose()
    return results


def _counts(database: Database) -> tuple[int, ...]:
    with database.session() as session:
        return tuple(
            session.scalar(query)
            for query in (
                select(func.count()).select_from(Appointment),
                select(func.count()).select_from(AppointmentStatusChange),
                select(func.count()).select_from(OutboxMessage),
                select(func.count()).where(AuditLog.action == "appointment_booked"),
                select(DocumentCounter.next_value).where(DocumentCounter.name == "appointment"),
            )
        )


def test_two_desks_booking_the_same_slot_at_once_one_wins(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock
) -> None:
    patients = [_patient(database, staff), _patient(database, staff, first_name="Rudo")]
    requests = [
        BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 10))
        for patient in patients
    ]
    results = _race(database, requests, staff["reception"], clock)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], SlotTakenError)
    assert "slot was just taken" in str(errors[0])
    # One appointment, one history row, one message, one audit row, one number used.
    assert _counts(database) == (1, 1, 1, 1, 2)


def test_two_desks_taking_the_only_radiologist_at_once_one_wins(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock
) -> None:
    patients = [_patient(database, staff), _patient(database, staff, first_name="Rudo")]
    requests = [
        BookingRequest(patients[0], clinic.ct_head, clinic.ct_room, at(MONDAY, 10)),
        BookingRequest(patients[1], clinic.ct_head, clinic.ct_room_2, at(MONDAY, 10, 15)),
    ]
    results = _race(database, requests, staff["reception"], clock)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], (SlotTakenError, ValidationError))
    assert "Test Radiologist" in str(errors[0]) or "with another patient" in str(errors[0])
    assert _counts(database) == (1, 1, 1, 1, 2)


def test_radiologist_on_leave_or_busy_blocks_ct(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService
) -> None:
    patient = _patient(database, staff)
    desk.book(BookingRequest(patient, clinic.ct_head, clinic.ct_room, at(MONDAY, 10)))
    with pytest.raises(ValidationError, match="with another patient") as error:
        desk.book(BookingRequest(patient, clinic.ct_head, clinic.ct_room_2, at(MONDAY, 10, 15)))
    assert error.value.field == "radiologist"
    with pytest.raises(ValidationError, match="No radiologist"):  # works until 16:00
        desk.book(BookingRequest(patient, clinic.ct_head, clinic.ct_room_2, at(MONDAY, 15, 45)))
    assert (
        desk.book(
            BookingRequest(patient, clinic.ct_head, clinic.ct_room_2, at(MONDAY, 10, 30))
        ).radiologist_id
        == clinic.radiologist.id
    )


# -------------------------------------------------------------------- status moves


def test_a_visit_from_booking_to_completed_scan(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    clock: FakeClock,
) -> None:  # fmt: skip
    booked = desk.book(
        BookingRequest(_patient(database, staff), clinic.ct_head, clinic.ct_room, at(MONDAY, 9))
    )
    assert booked.next_statuses == {
        booked.status.CONFIRMED, booked.status.ARRIVED, booked.status.CANCELLED,
        booked.status.NO_SHOW,
    }  # fmt: skip
    confirmed = desk.confirm(booked.id, booked.version)
    clock.now = at(MONDAY, 8, 50)
    arrived = desk.check_in(confirmed.id, confirmed.version)
    assert arrived.checked_in_at == clock.now
    with pytest.raises(ServiceError, match="arrived appointment cannot be completed"):
        desk.complete_scan(arrived.id, arrived.version)
    clock.now = at(MONDAY, 9, 2)
    scanning = desk.start_scan(arrived.id, arrived.version)
    clock.now = at(MONDAY, 9, 31)
    done = desk.complete_scan(scanning.id, scanning.version)
    assert (done.status.value, done.scan_started_at, done.scan_completed_at) == (
        "completed", at(MONDAY, 9, 2), at(MONDAY, 9, 31),
    )  # fmt: skip
    assert done.version == booked.version + 4
    with database.session() as session:
        report = session.scalars(select(Report).where(Report.appointment_id == done.id)).one()
    assert report.status == "pending"
    history = desk.history(done.id)
    assert [(h.from_status and h.from_status.value, h.to_status.value) for h in history] == [
        (None, "pending"),
        ("pending", "confirmed"),
        ("confirmed", "arrived"),
        ("arrived", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert history[3].changed_at == at(MONDAY, 9, 2)
    with pytest.raises(ServiceError, match="completed appointment cannot be cancelled"):
        desk.cancel(done.id, done.version)


def test_no_show_only_after_the_start_time(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    clock: FakeClock,
) -> None:  # fmt: skip
    booked = desk.book(
        BookingRequest(
            _patient(database, staff), clinic.chest_xray, clinic.xray_room, at(MONDAY, 9)
        )
    )
    clock.now = at(MONDAY, 8, 59)
    with pytest.raises(ServiceError, match=r"only after the start time \(09:00\)"):
        desk.mark_no_show(booked.id, booked.version)
    assert desk.get(booked.id).status.value == "pending"
    clock.now = at(MONDAY, 9, 20)
    assert desk.mark_no_show(booked.id, booked.version).status.value == "no_show"
    # The slot is free again.
    assert desk.book(
        BookingRequest(booked.patient_id, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9, 30))
    )


def test_stale_version_is_refused_naming_who_changed_it(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    clock: FakeClock,
) -> None:  # fmt: skip
    booked = desk.book(
        BookingRequest(
            _patient(database, staff), clinic.chest_xray, clinic.xray_room, at(MONDAY, 9)
        )
    )
    manager_desk = BookingService(database.session_factory, staff["manager"], "office", clock=clock)
    manager_desk.confirm(booked.id, booked.version)
    with pytest.raises(StaleRecordError, match="changed by manager1 at"):
        desk.check_in(booked.id, booked.version)
    assert desk.get(booked.id).status.value == "confirmed"


# ---------------------------------------------------------------- cancellations


def test_cancelling_a_day_ahead_needs_no_authorisation(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService
) -> None:
    booked = desk.book(
        BookingRequest(
            _patient(database, staff), clinic.chest_xray, clinic.xray_room, at(TUESDAY, 8)
        )
    )  # 25 hours ahead
    assert not desk.is_late_cancellation(booked.id)
    cancelled = desk.cancel(booked.id, booked.version)
    assert (cancelled.status.value, cancelled.is_late_cancellation) == ("cancelled", False)
    assert cancelled.cancellation_authorised_by is None


def test_late_cancellation_needs_reason_and_manager_authorisation(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService
) -> None:
    booked = desk.book(
        BookingRequest(
            _patient(database, staff), clinic.chest_xray, clinic.xray_room, at(MONDAY, 11)
        )
    )  # four hours ahead
    assert desk.is_late_cancellation(booked.id)
    with pytest.raises(ValidationError, match="needs a reason") as no_reason:
        desk.cancel(booked.id, booked.version)
    assert no_reason.value.field == "reason"
    with pytest.raises(LateCancellationError, match="manager's authorisation"):
        desk.cancel(booked.id, booked.version, "Patient is ill")
    with pytest.raises(AuthenticationError, match="for a manager"):
        desk.cancel(
            booked.id, booked.version, "Patient is ill",
            ManagerAuthorisation("manager1", "not-the-password"),
        )  # fmt: skip
    with pytest.raises(AuthenticationError):  # a receptionist cannot authorise
        desk.cancel(
            booked.id, booked.version, "Patient is ill",
            ManagerAuthorisation("reception1", TEST_PASSWORD),
        )  # fmt: skip
    unchanged = desk.get(booked.id)
    assert (unchanged.status.value, unchanged.version, unchanged.cancellation_reason) == (
        "pending", booked.version, None,
    )  # fmt: skip
    with database.session() as session:
        assert session.scalar(
            select(func.count()).where(OutboxMessage.kind == "cancellation")
        ) == 0  # fmt: skip
    cancelled = desk.cancel(
        booked.id, booked.version, "Patient is ill", ManagerAuthorisation("MANAGER1", TEST_PASSWORD)
    )
    assert cancelled.status.value == "cancelled"
    assert cancelled.is_late_cancellation
    assert cancelled.cancellation_reason == "Patient is ill"
    assert cancelled.cancellation_authorised_by == "Test Manager"
    with database.session() as session:
        row = session.get(Appointment, booked.id)
        assert row is not None
        assert row.cancellation_authorised_by_id == staff["manager"].id
        assert session.scalar(
            select(func.count()).where(OutboxMessage.kind == "cancellation")
        ) == 1  # fmt: skip
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.action.like("authorisation%"))
        ).all()
    assert actions == ["authorisation_failed", "authorisation_failed", "authorisation_given"]
    assert desk.history(booked.id)[-1].reason == "Patient is ill"


# ---------------------------------------------------------------------- reschedule


def test_reschedule_moves_the_slot_and_tells_the_patient(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService
) -> None:
    patient = _patient(database, staff)
    booked = desk.book(BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9)))
    other = desk.book(BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 10)))
    with pytest.raises(SlotTakenError):
        desk.reschedule(booked.id, booked.version, clinic.xray_room, at(MONDAY, 10, 5))
    assert desk.get(booked.id).start_at == at(MONDAY, 9)
    moved = desk.reschedule(booked.id, booked.version, clinic.xray_room, at(MONDAY, 9, 5))
    assert (moved.start_at, moved.end_at) == (at(MONDAY, 9, 5), at(MONDAY, 9, 20))
    assert moved.reference == booked.reference
    assert desk.history(moved.id)[-1].reason == (
        "Moved from Mon 23 Nov 2026 09:00 (X-ray 1) to Mon 23 Nov 2026 09:05 (X-ray 1)"
    )
    with database.session() as session:
        kinds = session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.appointment_id == booked.id)
        ).all()
    assert "reschedule" in kinds
    assert other.status.value == "pending"


# ------------------------------------------------------------ feedback and doctors


def test_one_feedback_per_completed_visit(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    clock: FakeClock,
) -> None:  # fmt: skip
    booked = desk.book(
        BookingRequest(
            _patient(database, staff), clinic.chest_xray, clinic.xray_room, at(MONDAY, 9)
        )
    )
    kiosk = FeedbackService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    answers = FeedbackInput(5, 4, 5, None, True, "Quick and kind.")
    with pytest.raises(FeedbackRefusedError, match="after a completed visit"):
        kiosk.submit(booked.id, answers)
    visit = desk.check_in(booked.id, booked.version)
    visit = desk.start_scan(visit.id, visit.version)
    visit = desk.complete_scan(visit.id, visit.version)
    with pytest.raises(ValidationError, match="1 to 5") as error:
        kiosk.submit(visit.id, FeedbackInput(6, 4, 5, None, True))
    assert error.value.field == "overall"
    assert kiosk.visit(visit.id).first_name == "Tendai"
    saved = kiosk.submit(visit.id, answers)
    assert (saved.overall, saved.report_clarity, saved.comments) == (5, None, "Quick and kind.")
    assert kiosk.visit(visit.id).already_given
    with pytest.raises(FeedbackRefusedError, match="already been given"):
        kiosk.submit(visit.id, answers)


def test_referring_doctor_directory(database: Database, staff: dict[str, StaffAccount]) -> None:
    directory = ReferringDoctorDirectory(database.session_factory, staff["reception"], "desk-1")
    doctor = directory.add(
        "Dr Thandiwe Ndlovu", practice_name="Avenues Clinic", practice_number="PR 0012",
        phone="024 270 1234", email="ndlovu@avenues.test",
    )  # fmt: skip
    assert doctor.phone == "+263242701234"
    directory.add("Dr Émile Zóla")
    assert [d.id for d in directory.search("ndl THAN")] == [doctor.id]
    assert [d.full_name for d in directory.search("emile")] == ["Dr Émile Zóla"]
    assert [d.id for d in directory.search("avenues")] == [doctor.id]
    assert [d.id for d in directory.search("pr0012")] == [doctor.id]
    with pytest.raises(ValidationError, match="already in the directory") as error:
        directory.add("Dr T. Ndlovu", practice_number="pr-0012")
    assert error.value.field == "practice_number"
    with pytest.raises(ValidationError) as bad_email:
        directory.add("Dr X", email="not-an-address")
    assert bad_email.value.field == "email"
