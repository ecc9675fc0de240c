"""The hooks the clinic's rules call to tell patients and doctors what changed.

Booking, moving and cancelling appointments, taking a payment and finalising a
report call these (``queue_booking_confirmation``, ``appointment_cancelled``,
``appointment_rescheduled``, ``queue_payment_confirmation``, ``queue_report_ready``)
inside their own transaction, so a message exists only if the change it announces
commits. Each renders the clinic's template (:mod:`.templates`) and queues it in
the outbox (:mod:`.compose`); a change of time or a cancellation also cancels what
was queued for the old time and, for a move, queues the new reminders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    OutboxMessage,
    OutboxStatus,
    Patient,
    Payment,
    ReferringDoctor,
    Report,
)
from mic_desktop.services.clock import utc_now
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging.compose import queue_from_template
from mic_desktop.services.messaging.reminders import queue_reminders_for
from mic_desktop.services.messaging.templates import (
    APPOINTMENT_NOTICE_KINDS,
    REMINDER_KIND_PREFIX,
    appointment_context,
    clinic_or_blank,
    money,
)


def _start_key(appointment: Appointment) -> str:
    return appointment.start_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M")


def queue_booking_confirmation(
    session: Session, appointment: Appointment, *, now: dt.datetime | None = None
) -> bool:
    """The confirmation SMS, and the e-mail with the calendar event when there is an address."""
    context = appointment_context(session, appointment)
    queue_from_template(
        session,
        "booking_confirmation_email",
        f"booking-email:{appointment.id}",
        appointment.patient,
        context,
        now or utc_now(),
        appointment=appointment,
    )
    return queue_from_template(
        session,
        "booking_confirmation",
        f"booking:{appointment.id}",
        appointment.patient,
        context,
        now or utc_now(),
        appointment=appointment,
    )


def cancel_pending_messages(
    session: Session, appointment_id: int, kinds: Iterable[str] | None = None, reason: str = ""
) -> int:
    """Cancel the appointment's messages that have not gone out (reminders by default)."""
    condition = (
        OutboxMessage.kind.in_(tuple(kinds))
        if kinds is not None
        else OutboxMessage.kind.startswith(REMINDER_KIND_PREFIX)
    )
    ids = session.scalars(
        update(OutboxMessage)
        .where(
            OutboxMessage.appointment_id == appointment_id,
            condition,
            OutboxMessage.status == OutboxStatus.QUEUED.value,
        )
        .values(status=OutboxStatus.CANCELLED.value, last_error=reason or "appointment changed")
        .returning(OutboxMessage.id)
    ).all()
    if ids:
        notify(session, LiveChannel.OUTBOX, appointment_id)
    return len(ids)


def _cancel_pending_reminders(session: Session, appointment_id: int) -> int:
    return cancel_pending_messages(session, appointment_id, reason="appointment changed")


def appointment_cancelled(
    session: Session, appointment: Appointment, *, now: dt.datetime | None = None
) -> bool:
    """Cancel the appointment's pending reminders and notices, and tell the patient."""
    cancel_pending_messages(session, appointment.id, reason="appointment cancelled")
    cancel_pending_messages(
        session, appointment.id, APPOINTMENT_NOTICE_KINDS, reason="appointment cancelled"
    )
    queue_from_template(
        session,
        "cancellation_email",
        f"cancellation-email:{appointment.id}",
        appointment.patient,
        appointment_context(session, appointment),
        now or utc_now(),
        appointment=appointment,
    )
    return queue_from_template(
        session,
        "cancellation",
        f"cancellation:{appointment.id}",
        appointment.patient,
        appointment_context(session, appointment),
        now or utc_now(),
        appointment=appointment,
    )


def appointment_rescheduled(
    session: Session, appointment: Appointment, *, now: dt.datetime | None = None
) -> bool:
    """Re-time: cancel what was written for the old time, notify, queue new reminders."""
    now = now or utc_now()
    cancel_pending_messages(session, appointment.id, reason="appointment moved")
    cancel_pending_messages(
        session, appointment.id, APPOINTMENT_NOTICE_KINDS, reason="appointment moved"
    )
    queued = queue_from_template(
        session,
        "reschedule",
        f"reschedule:{appointment.id}:{_start_key(appointment)}",
        appointment.patient,
        appointment_context(session, appointment),
        now,
        appointment=appointment,
        revive_cancelled=True,
    )
    queue_from_template(
        session,
        "reschedule_email",
        f"reschedule-email:{appointment.id}:{_start_key(appointment)}",
        appointment.patient,
        appointment_context(session, appointment),
        now,
        appointment=appointment,
        revive_cancelled=True,
    )
    queue_reminders_for(session, appointment, now)
    return queued


def queue_payment_confirmation(
    session: Session, payment: Payment, currency: str, *, now: dt.datetime | None = None
) -> bool:
    if payment.amount <= 0:
        return False
    patient = session.get(Patient, payment.patient_id)
    clinic = clinic_or_blank(session)
    context = {
        "first_name": patient.first_name if patient else "",
        "patient_name": patient.full_name if patient else "",
        "amount": money(currency, payment.amount),
        "receipt_number": payment.receipt_number,
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
    }
    return queue_from_template(
        session,
        "payment_confirmation",
        f"payment:{payment.id}",
        patient,
        context,
        now or utc_now(),
        appointment_id=payment.appointment_id,
    )


def queue_report_ready(session: Session, report: Report, *, now: dt.datetime | None = None) -> int:
    """Queue "report ready" for the patient (SMS) and the referring doctor (e-mail)."""
    now = now or utc_now()
    appointment = session.get(Appointment, report.appointment_id)
    assert appointment is not None
    context = appointment_context(session, appointment)
    queued = 0
    queued += queue_from_template(
        session,
        "report_ready_patient",
        f"report-ready-patient:{report.id}",
        appointment.patient,
        context,
        now,
        appointment_id=appointment.id,
        report_id=report.id,
    )
    doctor = (
        session.get(ReferringDoctor, appointment.referring_doctor_id)
        if appointment.referring_doctor_id
        else None
    )
    if doctor is not None and doctor.email:
        queued += queue_from_template(
            session,
            "report_ready_doctor",
            f"report-ready-doctor:{report.id}",
            None,
            {**context, "doctor_name": doctor.full_name},
            now,
            appointment_id=appointment.id,
            report_id=report.id,
            recipient=doctor.email,
        )
    return queued
