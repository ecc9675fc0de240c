"""What the manager's dashboard reads instead of every appointment, payment and report.

The daily roll-ups add up the appointments (or payments) of one day in the clinic's
time zone that share a key; :class:`ReportTurnaround` keeps each final report's
turnaround without its appointment. Triggers of migration 0009 maintain them in the
transaction that changes an appointment, claim, payment or report (and rebuild them
when the clinic's time zone changes), so a dashboard snapshot sees them exactly as the
rows they come from. Roll-up keys are never NULL: ``0`` stands for "no plan" or "not
linked to a scan". The room-utilisation chart reads the appointments themselves,
through :data:`BOOKED_BY_START` alone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import DateTime, Double, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from mic_desktop.models.appointment import SLOT_RELEASING_STATUSES, Appointment
from mic_desktop.models.base import Base

RollupMoney = Numeric(14, 2)
NONE = 0  # the key of "no medical-aid plan" and of "not linked to a scan"


class AppointmentDay(Base):
    """Appointments starting on a day, by scan type, status and late cancellation."""

    __tablename__ = "analytics_appointment_day"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    scan_type_id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    is_late_cancellation: Mapped[bool] = mapped_column(primary_key=True)
    appointments: Mapped[int]


class CompletedDay(Base):
    """Completed appointments of a day by scan type and medical-aid plan: money and claims."""

    __tablename__ = "analytics_completed_day"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    scan_type_id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(primary_key=True)
    appointments: Mapped[int]
    price: Mapped[Decimal] = mapped_column(RollupMoney)
    medical_aid_cover: Mapped[Decimal] = mapped_column(RollupMoney)
    patient_copay: Mapped[Decimal] = mapped_column(RollupMoney)
    claimed: Mapped[Decimal] = mapped_column(RollupMoney)
    settled: Mapped[Decimal] = mapped_column(RollupMoney)
    shortfall: Mapped[Decimal] = mapped_column(RollupMoney)
    open_claims: Mapped[int]


class PaymentDay(Base):
    """Payments taken on a day, by the scan they pay for, method and refund or not."""

    __tablename__ = "analytics_payment_day"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    scan_type_id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(20), primary_key=True)
    is_refund: Mapped[bool] = mapped_column(primary_key=True)
    payments: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(RollupMoney)


class ReportTurnaround(Base):
    """A final report's hours from scan completed to report final, with who signed it."""

    __tablename__ = "analytics_report_turnaround"
    __table_args__ = (Index("ix_analytics_report_turnaround_finalised_at", "finalised_at"),)

    report_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    finalised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    signer_id: Mapped[int | None]  # who finalised it, else the report's radiologist
    scan_type_id: Mapped[int]
    hours: Mapped[float] = mapped_column(Double)


BOOKED_BY_START = Index(
    "ix_appointment_booked_start_at",
    Appointment.start_at,
    postgresql_include=["end_at", "room_id"],
    postgresql_where=Appointment.status.not_in([s.value for s in SLOT_RELEASING_STATUSES]),
)
"""The appointments that hold their room's time, with their end and room: a year's
booked minutes per room read from this index without visiting the table."""
