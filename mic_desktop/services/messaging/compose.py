"""A template turned into one queued message for one person.

:func:`queue_from_template` renders the clinic's template for a message kind and
queues it in the outbox (:func:`~.outbox.enqueue`, inside the caller's
transaction) for the patient's number or address, or for ``recipient``. Nothing
is queued when the clinic switched the template off, or the patient opted out of
that channel or left no number or address. The hooks (:mod:`.notifications`) and
the reminder jobs (:mod:`.reminders`) queue through here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from mic_desktop.models import Appointment, Channel, Patient
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging.outbox import enqueue
from mic_desktop.services.messaging.templates import render, template_text


def queue_from_template(
    session: Session,
    key: str,
    idempotency_key: str,
    patient: Patient | None,
    context: dict[str, Any],
    due_at: dt.datetime,
    *,
    appointment: Appointment | None = None,
    appointment_id: int | None = None,
    report_id: int | None = None,
    recipient: str | None = None,
    revive_cancelled: bool = False,
) -> bool:
    """Render template ``key`` with ``context`` and queue it; False when nothing was queued."""
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
    if appointment is not None:
        appointment_id = appointment.id
    queued = enqueue(
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
        appointment_start_at=appointment.start_at if appointment is not None else None,
        revive_cancelled=revive_cancelled,
    )
    if queued:
        notify(session, LiveChannel.OUTBOX, appointment_id or 0)
    return queued
