"""Why a queued message is no longer worth sending: the patient opted out, or the
appointment it is about was cancelled, moved, has begun, or is too close for a reminder."""

from __future__ import annotations

import datetime as dt

from mic_desktop.models import AppointmentStatus, Channel, OutboxMessage
from mic_desktop.services.messaging.reminders import reminder_useful_until
from mic_desktop.services.messaging.templates import (
    APPOINTMENT_NOTICE_KINDS,
    REMINDER_KIND_PREFIX,
)


def stale_reason(
    row: OutboxMessage,
    appointment_status: str | None,
    start_at: dt.datetime | None,
    sms_opt_in: bool | None,
    email_opt_in: bool | None,
    now: dt.datetime,
) -> str | None:
    """Why a claimed row should not be sent any more, or None."""
    if row.patient_id is not None and row.kind != "report_ready_doctor":
        if row.channel == Channel.SMS.value and sms_opt_in is False:
            return "the patient opted out of SMS"
        if row.channel == Channel.EMAIL.value and email_opt_in is False:
            return "the patient opted out of e-mail"
    is_reminder = row.kind.startswith(REMINDER_KIND_PREFIX)
    if row.appointment_id is None or not (is_reminder or row.kind in APPOINTMENT_NOTICE_KINDS):
        return None
    if appointment_status in (AppointmentStatus.CANCELLED.value, AppointmentStatus.NO_SHOW.value):
        return "appointment cancelled"
    if row.appointment_start_at is not None and start_at != row.appointment_start_at:
        return "appointment moved"
    if is_reminder:
        if appointment_status not in (
            AppointmentStatus.PENDING.value,
            AppointmentStatus.CONFIRMED.value,
        ):
            return "the patient has already arrived"
        hours = int(row.kind[len(REMINDER_KIND_PREFIX) :].removesuffix("h") or 24)
        if start_at is not None and now >= reminder_useful_until(start_at, hours):
            return "too late for this reminder"
    return None
