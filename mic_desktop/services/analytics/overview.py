"""Read-only figures for the home pages: today's appointments, this month's key figures.

Counting and summing happen in SQL; the results are plain frozen dataclasses,
detached from any session. Day and month boundaries are the clinic's (its time
zone), turned into UTC instants for the query. The month's figures count the way
the manager's analytics do: cancelled appointments are not bookings, "due" ones
have started, payments are net of refunds. Studies awaiting a report come from
:mod:`mic_desktop.services.reporting.worklist`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    Modality,
    Patient,
    Payment,
    Room,
    ScanType,
    Urgency,
)
from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.dicom.steps import latest_mark
from mic_desktop.services.formats import local_day_bounds


@dataclass(frozen=True)
class DayAppointment:
    """One line of a day's appointment list."""

    id: int
    reference: str
    start_at: dt.datetime
    end_at: dt.datetime
    patient_name: str
    mrn: str
    scan: str
    modality: str
    room: str
    status: AppointmentStatus
    urgency: Urgency
    scanner: str | None = None  # what a scanner last reported (DICOM), "started by CT1"

    @property
    def is_urgent(self) -> bool:
        return self.urgency is Urgency.URGENT


@dataclass(frozen=True)
class MonthFigures:
    """Key figures of one calendar month in the clinic's time zone.

    ``by_status``: appointments starting in the month, per current status.
    ``booked``: those not cancelled. ``due``: booked ones whose start has passed
    (the no-show rate's base). ``payments_total``: money received in the month,
    refunds subtracted.
    """

    period: Period
    as_of: dt.datetime
    by_status: dict[AppointmentStatus, int]
    due: int
    late_cancellations: int
    payments_total: Decimal
    payments_count: int

    @property
    def booked(self) -> int:
        return sum(n for s, n in self.by_status.items() if s is not AppointmentStatus.CANCELLED)

    @property
    def completed(self) -> int:
        return self.by_status[AppointmentStatus.COMPLETED]

    @property
    def no_shows(self) -> int:
        return self.by_status[AppointmentStatus.NO_SHOW]

    @property
    def cancelled(self) -> int:
        return self.by_status[AppointmentStatus.CANCELLED]

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.due if self.due else None


class OverviewService:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        zone: ZoneInfo | str,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = session_factory
        self._zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        self._clock = clock

    def today(self) -> dt.date:
        """Today's date in the clinic."""
        return self._clock().astimezone(self._zone).date()

    def day_appointments(self, day: dt.date | None = None) -> list[DayAppointment]:
        """Every appointment starting on ``day`` (default today), cancelled ones included."""
        start, end = local_day_bounds(day or self.today(), self._zone)
        query = (
            select(
                Appointment.id,
                Appointment.reference,
                Appointment.start_at,
                Appointment.end_at,
                Patient.first_name,
                Patient.last_name,
                Patient.mrn,
                ScanType.name,
                Modality.code,
                Room.name,
                Appointment.status,
                Appointment.urgency,
                latest_mark(),
            )
            .join(Patient, Patient.id == Appointment.patient_id)
            .join(ScanType, ScanType.id == Appointment.scan_type_id)
            .join(Modality, Modality.id == ScanType.modality_id)
            .join(Room, Room.id == Appointment.room_id)
            .where(
                Appointment.start_at >= start,
                Appointment.start_at < end,
                Patient.deleted_at.is_(None),
            )
            .order_by(Appointment.start_at, Room.sort_order, Room.name)
        )
        with self._sessions() as session:
            rows = session.execute(query).all()
        return [
            DayAppointment(
                id=row[0],
                reference=row[1],
                start_at=row[2],
                end_at=row[3],
                patient_name=f"{row[4]} {row[5]}",
                mrn=row[6],
                scan=row[7],
                modality=row[8],
                room=row[9],
                status=AppointmentStatus(row[10]),
                urgency=Urgency(row[11]),
                scanner=row[12],
            )
            for row in rows
        ]

    def month_figures(self, month: dt.date | None = None) -> MonthFigures:
        """This month's (or ``month``'s) key figures in one round trip."""
        period = Period.this_month(month or self.today())
        start, end = period.bounds(self._zone)
        now = self._clock()
        cancelled = Appointment.status == AppointmentStatus.CANCELLED.value
        statuses = list(AppointmentStatus)
        appointments = (
            select(
                *(func.count().filter(Appointment.status == s.value) for s in statuses),
                func.count().filter(~cancelled, Appointment.start_at < now),
                func.count().filter(cancelled, Appointment.is_late_cancellation),
            )
            .where(Appointment.start_at >= start, Appointment.start_at < end)
            .subquery()
        )
        payments = (
            select(func.coalesce(func.sum(Payment.amount), 0), func.count())
            .where(Payment.received_at >= start, Payment.received_at < end)
            .subquery()
        )
        # Both subqueries return exactly one row: joining them on TRUE is one row.
        query = select(appointments, payments).select_from(appointments.join(payments, true()))
        with self._sessions() as session:
            row = session.execute(query).one()
        n = len(statuses)
        return MonthFigures(
            period=period,
            as_of=now,
            by_status=dict(zip(statuses, row[:n], strict=True)),
            due=row[n],
            late_cancellations=row[n + 1],
            payments_total=Decimal(row[n + 2]),
            payments_count=row[n + 3],
        )
