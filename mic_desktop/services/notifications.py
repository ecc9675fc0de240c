"""What the clinic tells patients and doctors, queued in the outbox from templates.

The clinic's rules call these hooks inside their own transaction: booking,
cancelling or moving an appointment, a payment, a report made final. Templates
are editable rows (``notification_template``); the built-in texts below are used
when a clinic has not stored its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    Channel,
    ClinicSettings,
    NotificationTemplate,
    OutboxMessage,
    OutboxStatus,
    Patient,
    Payment,
    ReferringDoctor,
    Report,
)
from mic_desktop.services.outbox import enqueue


@dataclass(frozen=True)
class DefaultTemplate:
    key: str
    name: str
    channel: Channel
    subject: str
    body: str


DEFAULT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    DefaultTemplate(
        "booking_confirmation",
        "Booking confirmation",
        Channel.SMS,
        "",
        "Hi {first_name}, your {scan_type} at {clinic_name} is booked for {date} at {time}, "
        "{room}. {preparation} Questions: {clinic_phone}",
    ),
    DefaultTemplate(
        "reminder_24h",
        "Reminder 24 hours before",
        Channel.SMS,
        "",
        "Reminder: {first_name}, your {scan_type} is tomorrow, {date} at {time} ({room}). "
        "{preparation} To change it call {clinic_phone}. {clinic_name}",
    ),
    DefaultTemplate(
        "reminder_2h",
        "Reminder 2 hours before",
        Channel.SMS,
        "",
        "{first_name}, see you at {time} today for your {scan_type}. {clinic_name}",
    ),
    DefaultTemplate(
        "reschedule",
        "Appointment moved",
        Channel.SMS,
        "",
        "{first_name}, your {scan_type} has moved to {date} at {time} ({room}). "
        "Questions: {clinic_phone}. {clinic_name}",
    ),
    DefaultTemplate(
        "cancellation",
        "Appointment cancelled",
        Channel.SMS,
        "",
        "{first_name}, your {scan_type} on {date} at {time} is cancelled. "
        "To book again call {clinic_phone}. {clinic_name}",
    ),
    DefaultTemplate(
        "report_ready_patient",
        "Report ready (patient)",
        Channel.SMS,
        "",
        "{first_name}, the report of your {scan_type} is ready. {clinic_name}, {clinic_phone}",
    ),
    DefaultTemplate(
        "report_ready_doctor",
        "Report ready (referring doctor)",
        Channel.EMAIL,
        "Report ready: {patient_name}, {scan_type}",
        "Dear {doctor_name},\n\nThe report of {patient_name}'s {scan_type} of {date} is final "
        "and attached.\n\nKind regards,\n{clinic_name}\n{clinic_phone}",
    ),
    DefaultTemplate(
        "payment_confirmation",
        "Payment confirmation",
        Channel.SMS,
        "",
        "{first_name}, we received {amount} (receipt {receipt_number}). Thank you. {clinic_name}",
    ),
    DefaultTemplate(
        "balance_reminder",
        "Outstanding balance reminder",
        Channel.SMS,
        "",
        "{first_name}, your balance at {clinic_name} is {amount}. "
        "Please pay at reception or call {clinic_phone}.",
    ),
)
DEFAULTS_BY_KEY = {template.key: template for template in DEFAULT_TEMPLATES}
PLACEHOLDERS = (
    "first_name", "patient_name", "scan_type", "date", "time", "room", "preparation",
    "clinic_name", "clinic_phone", "amount", "receipt_number", "doctor_name",
)  # fmt: skip


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(text: str, context: dict[str, Any]) -> str:
    """Fill ``{placeholders}``; unknown ones become empty rather than failing a booking."""
    return " ".join(Formatter().vformat(text, (), _Blank(context)).split(" ")).strip()


def template_text(session: Session, key: str) -> tuple[Channel, str, str] | None:
    """(channel, subject, body) of the clinic's template, or the built-in one."""
    row = session.scalars(
        select(NotificationTemplate).where(NotificationTemplate.key == key)
    ).first()
    if row is not None:
        if not row.is_active:
            return None
        return Channel(row.channel), row.subject, row.body
    default = DEFAULTS_BY_KEY[key]
    return default.channel, default.subject, default.body


def _clinic(session: Session) -> ClinicSettings:
    settings = session.get(ClinicSettings, 1)
    return settings if settings is not None else ClinicSettings()


def appointment_context(session: Session, appointment: Appointment) -> dict[str, Any]:
    clinic = _clinic(session)
    zone = ZoneInfo(clinic.time_zone or "UTC")
    local = appointment.start_at.astimezone(zone)
    patient = appointment.patient
    return {
        "first_name": patient.first_name,
        "patient_name": patient.full_name,
        "scan_type": appointment.scan_type.name,
        "date": local.strftime("%a %d %b %Y"),
        "time": local.strftime("%H:%M"),
        "room": appointment.room.name,
        "preparation": appointment.scan_type.preparation or "",
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
    }


def _queue(
    session: Session,
    key: str,
    idempotency_key: str,
    patient: Patient | None,
    context: dict[str, Any],
    due_at: dt.datetime,
    *,
    appointment_id: int | None = None,
    report_id: int | None = None,
    recipient: str | None = None,
) -> bool:
    found = template_text(session, key)
    if found is None:
        return False
    channel, subject, body = found
    if recipient is None and patient is not None:
        if channel is Channel.SMS:
            recipient = patient.phone if patient.sms_opt_in else None
        else:
            recipient = patient.email if patient.email_opt_in else None
    if not recipient:
        return False
    return enqueue(
        session,
        idempotency_key=idempotency_key,
        kind=key,
        channel=channel,
        recipient=recipient,
        subject=render(subject, context),
        body=render(body, context),
        due_at=due_at,
        patient_id=patient.id if patient is not None else None,
        appointment_id=appointment_id,
        report_id=report_id,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def queue_booking_confirmation(session: Session, appointment: Appointment) -> bool:
    return _queue(
        session,
        "booking_confirmation",
        f"booking:{appointment.id}",
        appointment.patient,
        appointment_context(session, appointment),
        _now(),
        appointment_id=appointment.id,
    )


def _cancel_pending_reminders(session: Session, appointment_id: int) -> int:
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.appointment_id == appointment_id,
            OutboxMessage.kind.in_(("reminder_24h", "reminder_2h")),
            OutboxMessage.status == OutboxStatus.QUEUED.value,
        )
        .values(status=OutboxStatus.CANCELLED.value, last_error="appointment changed")
    )
    return result.rowcount or 0


def appointment_cancelled(session: Session, appointment: Appointment) -> bool:
    """Cancel the appointment's pending reminders and tell the patient."""
    _cancel_pending_reminders(session, appointment.id)
    return _queue(
        session,
        "cancellation",
        f"cancellation:{appointment.id}",
        appointment.patient,
        appointment_context(session, appointment),
        _now(),
        appointment_id=appointment.id,
    )


def appointment_rescheduled(session: Session, appointment: Appointment) -> bool:
    """Cancel reminders for the old time (new ones are keyed by the new start) and notify."""
    _cancel_pending_reminders(session, appointment.id)
    start = appointment.start_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M")
    return _queue(
        session,
        "reschedule",
        f"reschedule:{appointment.id}:{start}",
        appointment.patient,
        appointment_context(session, appointment),
        _now(),
        appointment_id=appointment.id,
    )


def queue_payment_confirmation(session: Session, payment: Payment, currency: str) -> bool:
    if payment.amount <= 0:
        return False
    patient = session.get(Patient, payment.patient_id)
    clinic = _clinic(session)
    context = {
        "first_name": patient.first_name if patient else "",
        "patient_name": patient.full_name if patient else "",
        "amount": f"{currency} {payment.amount:,.2f}",
        "receipt_number": payment.receipt_number,
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
    }
    return _queue(
        session, "payment_confirmation", f"payment:{payment.id}", patient, context, _now()
    )


def queue_report_ready(session: Session, report: Report) -> int:
    """Queue "report ready" for the patient (SMS) and the referring doctor (e-mail)."""
    appointment = session.get(Appointment, report.appointment_id)
    assert appointment is not None
    context = appointment_context(session, appointment)
    queued = 0
    queued += _queue(
        session,
        "report_ready_patient",
        f"report-ready-patient:{report.id}",
        appointment.patient,
        context,
        _now(),
        appointment_id=appointment.id,
        report_id=report.id,
    )
    doctor = (
        session.get(ReferringDoctor, appointment.referring_doctor_id)
        if appointment.referring_doctor_id
        else None
    )
    if doctor is not None and doctor.email:
        queued += _queue(
            session,
            "report_ready_doctor",
            f"report-ready-doctor:{report.id}",
            None,
            {**context, "doctor_name": doctor.full_name},
            _now(),
            appointment_id=appointment.id,
            report_id=report.id,
            recipient=doctor.email,
        )
    return queued
