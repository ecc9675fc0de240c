"""Test data for the home pages, written straight into the test database, and small waits."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from pytestqt.qtbot import QtBot
from sqlalchemy import insert, update

from mic_desktop.db import Database
from mic_desktop.models import (
    Appointment,
    Modality,
    Patient,
    Payment,
    Report,
    Room,
    ScanType,
    StaffUser,
)
from mic_desktop.services.patients.registry import PatientService
from mic_desktop.services.scheduling.appointments import AppointmentDetails
from mic_desktop.services.scheduling.booking import BookingRequest, BookingService
from mic_desktop.services.scheduling.slots import Slot
from mic_desktop.ui.common.tasks import pending_task_count
from tests.fixed_time import CLINIC_ZONE

# Where UI tests leave the pictures a person looks at (git-ignored).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
SCREENSHOTS.mkdir(exist_ok=True)

HARARE = ZoneInfo("Africa/Harare")  # the demo clinic's time zone
_numbers = itertools.count(1)


def wait_for_tasks_delivered(qtbot: QtBot, timeout: int = 10_000) -> None:
    """Until every worker task has finished and its outcome reached the GUI thread."""
    qtbot.waitUntil(lambda: pending_task_count() == 0, timeout=timeout)


def clinic_time(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """``day`` at ``hour:minute`` in the test database's clinic (tests/fixed_time.py)."""
    return dt.datetime.combine(day, dt.time(hour, minute), CLINIC_ZONE)


class ClinicData:
    """A modality, two rooms and two scan types; patients, appointments, reports, payments."""

    def __init__(self, database: Database) -> None:
        self.database = database
        ct = self._insert(Modality, code="CT", name="Computed tomography")
        us = self._insert(Modality, code="US", name="Ultrasound")
        self.room_ids = [
            self._insert(Room, name="CT 1", modality_id=ct),
            self._insert(Room, name="Ultrasound 2", modality_id=us),
        ]
        self.scan_ids = [
            self._insert(
                ScanType,
                code="CT-HEAD",
                name="CT head with contrast",
                modality_id=ct,
                duration_minutes=30,
                price=Decimal("250.00"),
            ),
            self._insert(
                ScanType,
                code="US-ABD",
                name="Ultrasound abdomen",
                modality_id=us,
                duration_minutes=20,
                price=Decimal("80.00"),
            ),
        ]

    # Core inserts name only the columns a test needs, so a column another change adds to a
    # model before its migration lands does not break these helpers.
    def _insert(self, model: type, **values: object) -> int:
        with self.database.session() as session:
            return session.execute(insert(model).values(**values).returning(model.id)).scalar_one()

    def patient(self, first: str, last: str) -> int:
        return self._insert(
            Patient, first_name=first, last_name=last, date_of_birth=dt.date(1980, 5, 17)
        )

    def appointment(
        self,
        patient_id: int,
        start: dt.datetime,
        *,
        status: str = "confirmed",
        urgency: str = "routine",
        scan: int = 0,
        minutes: int = 30,
        late_cancellation: bool = False,
        completed_at: dt.datetime | None = None,
    ) -> int:
        return self._insert(
            Appointment,
            reference=f"A{next(_numbers):06d}",
            patient_id=patient_id,
            scan_type_id=self.scan_ids[scan],
            room_id=self.room_ids[scan],
            start_at=start,
            end_at=start + dt.timedelta(minutes=minutes),
            status=status,
            urgency=urgency,
            price=Decimal("250.00"),
            patient_copay=Decimal("250.00"),
            is_late_cancellation=late_cancellation,
            scan_completed_at=completed_at,
        )

    def report(self, appointment_id: int, status: str, **signed: object) -> int:
        """A report row; a signed one takes its text now (the database keeps it as signed)."""
        final = status in ("completed", "reviewed")
        return self._insert(
            Report,
            appointment_id=appointment_id,
            status=status,
            finalised_at=dt.datetime.now(dt.UTC) if final else None,
            **signed,
        )

    def payment(
        self, patient_id: int, amount: str, received_at: dt.datetime, refund_of: int | None = None
    ) -> int:
        return self._insert(
            Payment,
            receipt_number=f"R{next(_numbers):06d}",
            patient_id=patient_id,
            method="cash",
            amount=Decimal(amount),
            received_at=received_at,
            refund_of_id=refund_of,
            refund_reason="overcharged" if Decimal(amount) < 0 else None,
        )


def set_staff(database: Database, username: str, **values: object) -> None:
    """Change a staff row directly (lock periods, flags) the way an admin tool would."""
    with database.session() as session:
        session.execute(update(StaffUser).where(StaffUser.username == username).values(**values))


def book_demo_patient_in(
    booking: BookingService, patients: PatientService, scan_id: int, slot: Slot
) -> AppointmentDetails:
    """Book the first demo patient matching "mo" into ``slot``, paying cash."""
    patient = patients.search("mo")[0]
    return booking.book(
        BookingRequest(
            patient.id,
            scan_id,
            slot.room_id,
            slot.start_at,
            radiologist_id=slot.radiologist_id,
            use_medical_aid=False,  # the demo patient's plan may want a pre-authorisation
        )
    )
