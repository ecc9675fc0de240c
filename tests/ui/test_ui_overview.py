"""The home pages' read service: day boundaries, reports awaited, this month's figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from mic_desktop.db import Database
from mic_desktop.models import AppointmentStatus, Urgency
from mic_desktop.services.analytics.overview import OverviewService
from mic_desktop.services.analytics.periods import Period
from tests.fixed_time import CLINIC_ZONE
from tests.ui.helpers import ClinicData, clinic_time

TODAY = dt.date(2026, 11, 24)
NOW = clinic_time(TODAY, 10, 0)


@pytest.fixture
def clinic(database: Database) -> ClinicData:
    return ClinicData(database)


@pytest.fixture
def overview(database: Database) -> OverviewService:
    return OverviewService(database.session_factory, CLINIC_ZONE, clock=lambda: NOW)


def test_day_appointments_are_todays_in_the_clinic_zone(
    clinic: ClinicData, overview: OverviewService
) -> None:
    ann = clinic.patient("Ann", "Moyo")
    ben = clinic.patient("Ben", "Dube")
    clinic.appointment(ann, clinic_time(TODAY, 0, 10))  # 22:10 UTC the day before
    later = clinic.appointment(ben, clinic_time(TODAY, 14, 30), status="cancelled", scan=1)
    clinic.appointment(ann, clinic_time(TODAY, 9, 0), urgency="urgent", status="arrived")
    clinic.appointment(ann, clinic_time(TODAY - dt.timedelta(days=1), 23, 40), minutes=20)
    clinic.appointment(ben, clinic_time(TODAY + dt.timedelta(days=1), 0, 0))  # tomorrow

    rows = overview.day_appointments()

    assert [r.start_at.astimezone(CLINIC_ZONE).strftime("%H:%M") for r in rows] == [
        "00:10",
        "09:00",
        "14:30",
    ]
    urgent = rows[1]
    assert (urgent.patient_name, urgent.status, urgent.urgency) == (
        "Ann Moyo",
        AppointmentStatus.ARRIVED,
        Urgency.URGENT,
    )
    assert urgent.mrn.startswith("MIC") and urgent.scan == "CT head with contrast"
    assert urgent.room == "CT 1" and urgent.modality == "CT"
    assert rows[2].id == later and rows[2].status is AppointmentStatus.CANCELLED
    assert rows[2].room == "Ultrasound 2"


def test_month_figures_count_in_sql(clinic: ClinicData, overview: OverviewService) -> None:
    patient = clinic.patient("Dan", "Sibanda")
    clinic.appointment(patient, clinic_time(dt.date(2026, 11, 2), 8), status="completed")
    clinic.appointment(patient, clinic_time(dt.date(2026, 11, 3), 8), status="no_show")
    clinic.appointment(patient, clinic_time(dt.date(2026, 11, 4), 8), status="confirmed")
    clinic.appointment(
        patient,
        clinic_time(dt.date(2026, 11, 5), 8),
        status="cancelled",
        late_cancellation=True,
    )
    clinic.appointment(patient, clinic_time(dt.date(2026, 11, 28), 8), status="confirmed")
    clinic.appointment(patient, clinic_time(dt.date(2026, 10, 31), 23), status="completed")
    clinic.appointment(patient, clinic_time(dt.date(2026, 12, 1), 0), status="confirmed")
    paid = clinic.payment(patient, "100.50", clinic_time(dt.date(2026, 11, 2), 9))
    clinic.payment(patient, "-20.25", clinic_time(dt.date(2026, 11, 3), 9), refund_of=paid)
    clinic.payment(patient, "999.00", clinic_time(dt.date(2026, 10, 30), 9))

    figures = overview.month_figures()

    assert figures.period == Period.this_month(TODAY) and figures.as_of == NOW
    assert figures.by_status == {
        AppointmentStatus.PENDING: 0,
        AppointmentStatus.CONFIRMED: 2,
        AppointmentStatus.ARRIVED: 0,
        AppointmentStatus.IN_PROGRESS: 0,
        AppointmentStatus.COMPLETED: 1,
        AppointmentStatus.CANCELLED: 1,
        AppointmentStatus.NO_SHOW: 1,
    }
    assert (figures.booked, figures.completed, figures.no_shows) == (4, 1, 1)
    assert (figures.cancelled, figures.late_cancellations) == (1, 1)
    assert figures.due == 3  # the 28th is still to come
    assert figures.no_show_rate == pytest.approx(1 / 3)
    assert figures.payments_total == Decimal("80.25")
    assert figures.payments_count == 2


def test_month_figures_of_an_empty_month(overview: OverviewService) -> None:
    figures = overview.month_figures()
    assert figures.booked == 0 and figures.no_show_rate is None
    assert figures.payments_total == Decimal("0")
