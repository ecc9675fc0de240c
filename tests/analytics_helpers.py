"""A small fixed clinic for the analytics, chart and export tests.

The clinic is in Africa/Harare (UTC+2, no daylight saving) unless
``MIC_TEST_CLINIC_ZONE`` names another (tests/fixed_time.py); "now" is Sunday
22 November 2026, 12:00 there. Every number the tests expect is worked out by
hand from the rows below (see the comments in tests/test_analytics.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    MedicalAidClaim,
    MedicalAidPlan,
    MedicalAidScheme,
    Modality,
    Patient,
    PatientFeedback,
    Payment,
    Report,
    Room,
    RoomOpeningHours,
    ScanType,
    StaffUser,
)
from mic_desktop.services.analytics.periods import Period
from tests.fixed_time import CLINIC_ZONE

HARARE = CLINIC_ZONE  # Africa/Harare unless MIC_TEST_CLINIC_ZONE names another
NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=HARARE).astimezone(dt.UTC)
TODAY = dt.date(2026, 11, 22)
NOVEMBER = Period.this_month(TODAY)


def at(day: dt.date | tuple[int, int, int], hhmm: str) -> dt.datetime:
    """A clinic wall-clock time as a UTC instant."""
    if isinstance(day, tuple):
        day = dt.date(*day)
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), HARARE).astimezone(dt.UTC)


BEN_NIGHT_HOURS = (at((2026, 11, 1), "06:50") - at((2026, 11, 1), "00:50")) / dt.timedelta(hours=1)
"""Ben's report of the night into 1 November, 00:50 to 06:50 on the clinic's clock: 6 h,
or 7 h where the clocks go back that night (America/New_York). Turnaround counts real hours."""


@dataclass
class Clinic:
    """The ids of the fixed data set, for the tests to refer to."""

    xr: int = 0
    ct: int = 0
    appointments: dict[int, int] = field(default_factory=dict)  # number in the plan -> id
    radiologists: dict[str, int] = field(default_factory=dict)


def _add_appointment(
    session: Session,
    clinic: Clinic,
    number: int,
    start: dt.datetime,
    minutes: int,
    scan: ScanType,
    room: Room,
    patient: Patient,
    status: str,
    *,
    late: bool = False,
    plan: MedicalAidPlan | None = None,
    cover: str = "0",
    copay: str | None = None,
) -> Appointment:
    appointment = Appointment(
        reference=f"A{number:04d}",
        patient_id=patient.id,
        scan_type_id=scan.id,
        room_id=room.id,
        start_at=start,
        end_at=start + dt.timedelta(minutes=minutes),
        status=status,
        price=scan.price,
        medical_aid_plan_id=plan.id if plan else None,
        medical_aid_cover=Decimal(cover),
        patient_copay=Decimal(copay) if copay is not None else scan.price - Decimal(cover),
        is_late_cancellation=late,
        cancelled_at=start - dt.timedelta(hours=2) if status == "cancelled" else None,
        scan_completed_at=start + dt.timedelta(minutes=20) if status == "completed" else None,
    )
    session.add(appointment)
    session.flush()
    clinic.appointments[number] = appointment.id
    return appointment


def build_clinic(session: Session) -> Clinic:
    """The fixed data set (numbers in comments refer to the appointment plan)."""
    clinic = Clinic()
    xr = Modality(code="XR", name="X-ray")
    ct = Modality(code="CT", name="Computed tomography")
    session.add_all([xr, ct])
    session.flush()
    clinic.xr, clinic.ct = xr.id, ct.id
    xray_room = Room(name="X-ray 1", modality_id=xr.id, sort_order=1)
    ct_room = Room(name="CT 1", modality_id=ct.id, sort_order=2)
    closed_room = Room(name="Old X-ray", modality_id=xr.id, sort_order=3, is_active=False)
    session.add_all([xray_room, ct_room, closed_room])
    session.flush()
    for weekday in range(5):  # X-ray 1: Monday-Friday 08:00-16:00 (480 minutes)
        session.add(
            RoomOpeningHours(
                room_id=xray_room.id, weekday=weekday, opens_at=dt.time(8), closes_at=dt.time(16)
            )
        )
        session.add(
            RoomOpeningHours(
                room_id=closed_room.id, weekday=weekday, opens_at=dt.time(8), closes_at=dt.time(16)
            )
        )
    for weekday in range(6):  # CT 1: Monday-Saturday 08:00-12:00 (240 minutes)
        session.add(
            RoomOpeningHours(
                room_id=ct_room.id, weekday=weekday, opens_at=dt.time(8), closes_at=dt.time(12)
            )
        )
    chest = ScanType(
        code="XRCH",
        name="X-ray chest",
        modality_id=xr.id,
        duration_minutes=15,
        price=Decimal("50.00"),
    )
    knee = ScanType(
        code="XRKN",
        name="X-ray knee",
        modality_id=xr.id,
        duration_minutes=15,
        price=Decimal("60.00"),
    )
    head = ScanType(
        code="CTHD", name="CT head", modality_id=ct.id, duration_minutes=30, price=Decimal("300.00")
    )
    cimas = MedicalAidScheme(name="CIMAS", code="CIM")
    psmas = MedicalAidScheme(name="PSMAS", code="PSM")
    session.add_all([chest, knee, head, cimas, psmas])
    session.flush()
    gold = MedicalAidPlan(scheme_id=cimas.id, name="Gold", default_coverage_percent=80)
    basic = MedicalAidPlan(scheme_id=psmas.id, name="Basic", default_coverage_percent=50)
    patient = Patient(first_name="Tendai", last_name="Moyo", date_of_birth=dt.date(1980, 1, 1))
    ann = StaffUser(username="ann", full_name="Dr Ann Adams", role="radiologist", password_hash="x")
    ben = StaffUser(username="ben", full_name="Dr Ben Brown", role="radiologist", password_hash="x")
    session.add_all([gold, basic, patient, ann, ben])
    session.flush()
    clinic.radiologists = {"ann": ann.id, "ben": ben.id}

    def add(number, day, hhmm, scan, status, minutes=None, **kwargs):  # type: ignore[no-untyped-def]
        room = ct_room if scan is head else xray_room
        return _add_appointment(
            session,
            clinic,
            number,
            at(day, hhmm),
            minutes or scan.duration_minutes,
            scan,
            room,
            patient,
            status,
            **kwargs,
        )

    nov = lambda d: (2026, 11, d)  # noqa: E731
    a1 = add(1, nov(2), "09:00", chest, "completed")
    add(2, nov(2), "09:15", chest, "no_show", plan=gold, cover="40")
    a3 = add(3, nov(2), "10:00", head, "completed", plan=gold, cover="240")
    a4 = add(4, nov(3), "09:00", knee, "completed", plan=basic, cover="30")
    add(5, nov(3), "09:30", chest, "cancelled", late=True)
    add(6, nov(3), "10:00", head, "cancelled")
    a7 = add(7, nov(10), "09:00", chest, "completed", plan=gold, cover="40")
    add(8, nov(10), "09:00", head, "no_show")
    add(9, nov(20), "14:00", knee, "confirmed")  # due, but nobody updated it
    add(10, nov(25), "09:00", chest, "confirmed")
    add(11, nov(26), "10:00", head, "pending")
    add(12, nov(27), "09:00", chest, "cancelled", late=True)
    add(13, (2025, 11, 3), "09:00", chest, "completed")  # 364 days before Mon 2 Nov 2026
    add(14, (2025, 11, 3), "10:00", head, "cancelled")
    add(15, (2025, 12, 1), "09:00", chest, "no_show")  # 364 days before Mon 30 Nov 2026
    add(16, (2025, 11, 1), "09:00", chest, "completed")  # before the comparison period
    a17 = add(17, (2026, 10, 31), "23:30", chest, "completed")  # 21:30 UTC, still October
    a18 = add(18, nov(1), "00:30", chest, "completed")  # 22:30 UTC on 31 Oct: November here
    add(19, nov(30), "23:50", chest, "confirmed", minutes=20)  # 10 of its minutes in November

    # Payments: net November revenue 430.00 (see test_revenue).
    def pay(number, appointment, method, amount, when, reason=None):  # type: ignore[no-untyped-def]
        session.add(
            Payment(
                receipt_number=f"R{number:04d}",
                patient_id=patient.id,
                appointment_id=appointment.id if appointment else None,
                method=method,
                amount=Decimal(amount),
                refund_reason=reason,
                received_at=when,
            )
        )

    pay(1, a1, "cash", "50.00", at(nov(2), "09:30"))
    pay(2, a3, "card", "100.00", at(nov(2), "10:45"))
    pay(3, a3, "medical_aid", "160.00", at(nov(15), "08:00"))
    pay(4, a4, "eft", "60.00", at(nov(3), "09:30"))
    pay(5, a4, "eft", "-20.00", at(nov(5), "11:00"), reason="Overcharged")
    pay(6, None, "cash", "30.00", at(nov(10), "12:00"))
    pay(7, a17, "cash", "50.00", at((2026, 10, 31), "23:00"))  # October
    pay(8, a18, "cash", "50.00", at(nov(1), "00:15"))  # November in the clinic

    def claim(appointment, plan, claimed, status, settled=None, shortfall="0"):  # type: ignore[no-untyped-def]
        session.add(
            MedicalAidClaim(
                appointment_id=appointment.id,
                plan_id=plan.id,
                member_number="M1",
                claimed_amount=Decimal(claimed),
                status=status,
                settled_amount=Decimal(settled) if settled else None,
                shortfall=Decimal(shortfall),
            )
        )

    claim(a3, gold, "240", "settled", "160", "80")
    claim(a4, basic, "30", "submitted")
    claim(a7, gold, "40", "settled", "40")

    def feedback(appointment, ratings, recommend, comment, when):  # type: ignore[no-untyped-def]
        overall, professionalism, cleanliness, clarity = ratings
        session.add(
            PatientFeedback(
                appointment_id=appointment.id,
                overall=overall,
                professionalism=professionalism,
                cleanliness=cleanliness,
                report_clarity=clarity,
                would_recommend=recommend,
                comments=comment,
                submitted_at=when,
            )
        )

    feedback(a1, (5, 5, 4, 5), True, "Very quick", at(nov(2), "12:00"))
    feedback(a3, (3, 4, 3, None), False, "Waited long", at(nov(3), "08:00"))
    feedback(a4, (4, 4, 5, 4), True, "  ", at(nov(4), "08:00"))
    feedback(a7, (2, 3, 2, 3), False, "Cold room", at(nov(11), "08:00"))
    feedback(a17, (1, 1, 1, 1), False, "October", at((2026, 10, 31), "20:00"))

    def report(appointment, radiologist, completed, finalised):  # type: ignore[no-untyped-def]
        appointment.scan_completed_at = completed
        session.add(
            Report(
                appointment_id=appointment.id,
                status="completed",
                radiologist_id=radiologist.id,
                finalised_by_id=radiologist.id,
                finalised_at=finalised,
                signed_name=radiologist.full_name,
            )
        )

    report(a1, ann, at(nov(2), "09:20"), at(nov(2), "11:20"))  # 2 h
    report(a3, ann, at(nov(2), "10:40"), at(nov(3), "10:40"))  # 24 h
    report(a4, ann, at(nov(3), "09:20"), at(nov(3), "13:20"))  # 4 h
    report(a7, ben, at(nov(10), "09:20"), at(nov(10), "10:20"))  # 1 h
    report(a18, ben, at(nov(1), "00:50"), at(nov(1), "06:50"))  # BEN_NIGHT_HOURS
    report(a17, ben, at((2026, 10, 31), "23:50"), at((2026, 10, 31), "23:59"))  # October
    return clinic
