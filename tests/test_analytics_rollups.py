"""The dashboard's roll-ups stay exactly what they add up, however the data changes.

Triggers keep the daily roll-ups of appointments, completed visits and payments, and
each final report's turnaround, in the transaction of every change. After changes made
the way desks make them (one row at a time through the ORM), in bulk (one statement
over many rows) and from two desks at once, every roll-up must equal the one built from
scratch, and the charts must move with the change. A new clinic time zone moves every
appointment to the day it has there.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from mic_desktop.db import Database
from mic_desktop.models import (
    Appointment,
    ClinicSettings,
    MedicalAidClaim,
    Payment,
    Report,
    ScanType,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.analytics.queries import AnalyticsService
from tests.analytics_helpers import HARARE, NOVEMBER, NOW, TODAY, Clinic, at, build_clinic

TABLES = (
    "analytics_appointment_day",
    "analytics_completed_day",
    "analytics_payment_day",
    "analytics_report_turnaround",
)


@pytest.fixture
def clinic(database: Database) -> Clinic:
    with database.session() as session:
        return build_clinic(session)


@pytest.fixture
def analytics(database: Database, staff: dict[str, StaffAccount]) -> AnalyticsService:
    return AnalyticsService(
        database.session_factory, actor=staff["manager"], workstation="office", clock=lambda: NOW
    )


def rollups(database: Database) -> dict[str, list[tuple[object, ...]]]:
    with database.engine.connect() as conn:
        return {
            table: sorted(tuple(row) for row in conn.execute(text(f"SELECT * FROM {table}")))
            for table in TABLES
        }


def assert_rollups_match_their_rows(database: Database) -> None:
    kept = rollups(database)
    with database.engine.connect() as conn:
        conn.execute(text("SELECT mic_analytics_rebuild()"))
        rebuilt = {
            table: sorted(tuple(row) for row in conn.execute(text(f"SELECT * FROM {table}")))
            for table in TABLES
        }
        conn.rollback()
    assert all(kept[table] for table in TABLES)
    for table in TABLES:
        assert kept[table] == rebuilt[table], table


def test_rollups_follow_every_change_a_desk_makes(
    database: Database, clinic: Clinic, analytics: AnalyticsService
) -> None:
    assert_rollups_match_their_rows(database)
    a = clinic.appointments
    with database.session() as session:  # 10 (25 Nov, confirmed) cancelled late
        appointment = session.get(Appointment, a[10])
        appointment.status = "cancelled"
        appointment.is_late_cancellation = True
    assert_rollups_match_their_rows(database)
    assert analytics.volume(NOVEMBER).total == 10
    assert analytics.attendance(NOVEMBER).total.late_cancellations == 3

    with database.session() as session:  # 4 (3 Nov, paid, claimed) moved to 4 Nov, CT head
        appointment = session.get(Appointment, a[4])
        head = session.scalar(select(ScanType).where(ScanType.code == "CTHD"))
        appointment.start_at += dt.timedelta(days=1)
        appointment.end_at += dt.timedelta(days=1)
        appointment.scan_type_id = head.id
    assert_rollups_match_their_rows(database)
    revenue = {series.name: series.total for series in analytics.revenue(NOVEMBER).series}
    assert revenue["CT head"] == Decimal("300.00")  # 260 + its 60 - 20
    assert "X-ray knee" not in revenue

    with database.session() as session:  # the open claim of 4 settled short; a refund
        claim = session.scalar(
            select(MedicalAidClaim).where(MedicalAidClaim.appointment_id == a[4])
        )
        claim.status, claim.settled_amount, claim.shortfall = "settled", Decimal("25"), Decimal("5")
        payment = session.scalar(select(Payment).where(Payment.appointment_id == a[1]))
        session.add(
            Payment(
                receipt_number="R0100",
                patient_id=payment.patient_id,
                appointment_id=a[1],
                method="cash",
                amount=Decimal("-50.00"),
                refund_reason="Duplicate",
                received_at=at((2026, 11, 21), "10:00"),
            )
        )
    assert_rollups_match_their_rows(database)
    basic = next(row for row in analytics.medical_aid(NOVEMBER).rows if row.name == "PSMAS")
    assert (basic.settled, basic.shortfall, basic.open_claims) == (Decimal("25"), Decimal("5"), 0)

    with database.session() as session:  # a report reviewed (signed ones keep their times);
        report = session.scalar(select(Report).where(Report.appointment_id == a[1]))
        report.status = "reviewed"  # a scan time corrected
        appointment = session.get(Appointment, a[3])
        appointment.scan_completed_at -= dt.timedelta(hours=1)
    assert_rollups_match_their_rows(database)

    # A payment is never removed (a refund is a new row): the database refuses.
    with pytest.raises(DBAPIError, match="kept as written"), database.session() as session:
        session.execute(delete(Payment).where(Payment.receipt_number == "R0100"))
    assert_rollups_match_their_rows(database)
    assert analytics.revenue(NOVEMBER).total == Decimal("380.00")


def test_rollups_follow_changes_in_bulk(database: Database, clinic: Clinic) -> None:
    with database.session() as session:
        session.execute(
            update(Appointment)
            .where(Appointment.status.in_(("confirmed", "pending")))
            .values(status="no_show")
        )
        session.execute(
            update(Appointment)
            .where(Appointment.status == "completed")
            .values(
                start_at=Appointment.start_at + dt.timedelta(days=2),
                end_at=Appointment.end_at + dt.timedelta(days=2),
            )
        )
        session.execute(delete(MedicalAidClaim).where(MedicalAidClaim.status == "submitted"))
    assert_rollups_match_their_rows(database)


def test_payments_taken_at_two_desks_at_once_all_count(
    database: Database, clinic: Clinic, analytics: AnalyticsService
) -> None:
    before = analytics.revenue(NOVEMBER).total
    with database.session() as session:
        patient_id = session.get(Appointment, clinic.appointments[1]).patient_id

    def desk(name: str) -> None:
        for number in range(15):
            with database.session() as session:
                session.add(
                    Payment(
                        receipt_number=f"{name}{number}",
                        patient_id=patient_id,
                        appointment_id=clinic.appointments[1],
                        method="cash",
                        amount=Decimal("2.00"),
                        received_at=at((2026, 11, 2), "15:00"),
                    )
                )

    desks = [threading.Thread(target=desk, args=(name,)) for name in ("A", "B")]
    for thread in desks:
        thread.start()
    for thread in desks:
        thread.join()
    assert analytics.revenue(NOVEMBER).total == before + 30 * Decimal("2.00")
    assert_rollups_match_their_rows(database)


def test_a_new_time_zone_moves_every_day(
    database: Database, clinic: Clinic, analytics: AnalyticsService
) -> None:
    assert analytics.volume(NOVEMBER).total == 11
    # A zone two or more hours behind the clinic's (whole hours: an Etc/GMT zone).
    offset = HARARE.utcoffset(dt.datetime(2026, 11, 1, 0, 30))
    assert offset is not None
    behind = math.floor(offset.total_seconds() / 3600) - 2
    zone = f"Etc/GMT{-behind:+d}" if behind else "Etc/GMT"  # Etc/GMT+3 is UTC-3
    with database.session() as session:
        settings = session.get(ClinicSettings, 1)
        if settings is None:
            session.add(ClinicSettings(id=1, time_zone=zone))
        else:
            settings.time_zone = zone
    assert_rollups_match_their_rows(database)
    # 18 (1 Nov 00:30 in the clinic) falls on 31 October there; 19 (30 Nov 23:50) stays.
    moved = analytics.volume(Period.this_month(TODAY))
    assert moved.total == 10
    assert {p.start.day: p.appointments for p in moved.points}[1] == 0
