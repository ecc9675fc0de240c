"""What the dashboard's charts count, written once: the sentences under the charts'
titles (``DEFINITION_*``), the SQL conditions they describe (:func:`counts_as_appointment`,
:func:`is_due` ...) and the :class:`QueryContext` every query of one dashboard shares
(the period's bounds in the clinic's time zone, the modality filter, the currency).

Charts that show the same thing share both, so two charts never count it two ways: the
volume chart, the scan-type chart and the attendance chart count the same appointments;
revenue by scan type and by payment method add up the same payments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Select, and_, cast, func
from sqlalchemy.sql.elements import ColumnElement

from mic_desktop.models import SLOT_RELEASING_STATUSES, Appointment, AppointmentStatus
from mic_desktop.services.analytics.periods import Period, format_bucket

# -- what the charts count: each sentence once, next to the SQL it describes ----------

DEFINITION_APPOINTMENTS = (
    "appointments = bookings starting in the period, cancelled ones excluded (no-shows included)"
)
DEFINITION_DUE = (
    "due = those appointments of days gone by, and today's that already have an outcome "
    "(completed or no-show)"
)
DEFINITION_BOOKED_AHEAD = "booked ahead = appointments of the period that have not started yet"
DEFINITION_COMPLETION_RATE = "completion rate = completed / due"
DEFINITION_NO_SHOW_RATE = (
    "no-show rate = no-shows / appointments that were due, cancelled ones excluded"
)
DEFINITION_LATE_CANCELLATION_RATE = (
    "late-cancellation rate = cancellations less than {hours} h before the start / "
    "all bookings of the period's days up to today, cancelled ones included"
)
DEFINITION_REVENUE = "revenue = payments received less refunds, by the day they were taken"
DEFINITION_REVENUE_BY_SCAN = (
    "a payment counts under the scan of the appointment it pays for; "
    "top scan types shown, the rest grouped"
)
DEFINITION_MEDICAL_AID = (
    "completed appointments of the period by the patient's medical aid at booking: "
    "cover and co-payment as quoted; shortfall = claimed less paid by the medical aid "
    "on settled or rejected claims, owed by the patient"
)
DEFINITION_SATISFACTION = (
    "average rating (1-5) per question of the feedback given in the period; "
    "would-recommend rate = 'yes' answers / responses"
)
DEFINITION_TURNAROUND = (
    "turnaround = scan completed to report finalised, for reports finalised in the period; "
    "median and 90th percentile in hours, per signing radiologist"
)
DEFINITION_UTILISATION = (
    "utilisation = booked minutes of appointments holding their slot "
    "(not cancelled, not no-show) / open minutes from the room's opening hours"
)

CANCELLED = AppointmentStatus.CANCELLED.value


def counts_as_appointment() -> ColumnElement[bool]:
    """A booking the charts count: anything but a cancellation."""
    return Appointment.status != CANCELLED


def is_due(now: dt.datetime) -> ColumnElement[bool]:
    """A counted appointment whose start has passed: the base of the attendance rates."""
    return and_(counts_as_appointment(), Appointment.start_at < now)


def holds_slot() -> ColumnElement[bool]:
    """Still takes the room's time (the double-booking constraint's condition)."""
    return Appointment.status.not_in([status.value for status in SLOT_RELEASING_STATUSES])


def is_late_cancellation() -> ColumnElement[bool]:
    return and_(Appointment.status == CANCELLED, Appointment.is_late_cancellation)


def starts_between(start: dt.datetime, end: dt.datetime) -> ColumnElement[bool]:
    return and_(Appointment.start_at >= start, Appointment.start_at < end)


@dataclass(frozen=True)
class QueryContext:
    """What every query of one dashboard shares."""

    period: Period
    zone: ZoneInfo
    start: dt.datetime  # UTC
    end: dt.datetime
    now: dt.datetime
    modality_id: int | None
    currency: str
    late_cancellation_hours: int

    @property
    def tz(self) -> str:
        return self.zone.key

    def local(self, column: ColumnElement[dt.datetime]) -> ColumnElement[dt.datetime]:
        """``column AT TIME ZONE <clinic zone>``: the wall-clock time in the clinic."""
        return func.timezone(self.tz, column)

    def bucket_of(self, local: ColumnElement[dt.datetime]) -> ColumnElement[dt.date]:
        return cast(func.date_trunc(self.period.bucket.value, local), Date)

    def by_modality(self, query: Select, modality_column: ColumnElement[int]) -> Select:  # type: ignore[type-arg]
        return (
            query if self.modality_id is None else query.where(modality_column == self.modality_id)
        )


def bucket_labels(period: Period) -> list[tuple[dt.date, str]]:
    return [(start, format_bucket(start, period.bucket)) for start in period.bucket_starts()]
