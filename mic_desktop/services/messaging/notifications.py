"""What the clinic tells patients and doctors, queued in the outbox from templates.

The clinic's rules call the hooks (``queue_booking_confirmation``,
``appointment_cancelled``, ``appointment_rescheduled``, ``queue_payment_confirmation``,
``queue_report_ready``) inside their own transaction, so a message exists only if
the change it announces commits. Templates are editable rows
(``notification_template``, filled with the built-in texts by migration 0004); the
built-in texts below are used when a row is missing. :class:`TemplateService` is
the manager's editor: placeholders are checked when a template is saved, and a
preview renders a template on a real appointment.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
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
    Role,
)
from mic_desktop.services import audit
from mic_desktop.services.base import ClinicService
from mic_desktop.services.clock import utc_now
from mic_desktop.services.errors import (
    NotFoundError,
    PermissionDeniedError,
    StaleRecordError,
    ValidationError,
)
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging.outbox import enqueue

Clock = Callable[[], dt.datetime]


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
PLACEHOLDER_LABELS = {
    "first_name": "patient's first name",
    "patient_name": "patient's full name",
    "scan_type": "scan type",
    "date": "appointment date",
    "time": "appointment time",
    "room": "room",
    "preparation": "preparation instructions",
    "clinic_name": "clinic name",
    "clinic_phone": "clinic phone",
    "amount": "amount (payment, balance or co-payment)",
    "receipt_number": "receipt number",
    "doctor_name": "referring doctor's name",
}
REMINDER_KIND_PREFIX = "reminder_"
# Notices that describe the appointment's time: stale once it moves or is cancelled.
APPOINTMENT_NOTICE_KINDS = ("booking_confirmation", "reschedule")
MAX_SMS_LENGTH = 1600  # Twilio's limit for one message (it splits into segments)
GSM_7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def kind_label(kind: str) -> str:
    """What reception reads for a message kind (``reminder_24h`` -> "Reminder 24 hours before")."""
    default = DEFAULTS_BY_KEY.get(kind)
    if default is not None:
        return default.name
    if kind.startswith(REMINDER_KIND_PREFIX):
        return f"Reminder {kind[len(REMINDER_KIND_PREFIX) :].removesuffix('h')} hours before"
    return kind.replace("_", " ").capitalize()


# --- rendering and checking ------------------------------------------------------------


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(text: str, context: dict[str, Any]) -> str:
    """Fill ``{placeholders}``; unknown ones become empty rather than failing a booking.

    Spaces left doubled by an empty placeholder are closed up; line breaks stay.
    """
    filled = Formatter().vformat(text, (), _Blank(context))
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in filled.split("\n")]
    return "\n".join(lines).strip()


def check_template_text(text: str, field: str = "body") -> tuple[str, ...]:
    """The placeholders ``text`` uses; ValidationError for unknown or malformed ones."""
    try:
        parsed = list(Formatter().parse(text))
    except ValueError as exc:
        raise ValidationError(
            "A curly bracket is not closed or not opened. Placeholders look like "
            "{first_name}; write {{ or }} for a bracket itself.",
            field,
        ) from exc
    used: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise ValidationError(
                f"Unknown placeholder {shown}. Use one of: "
                + ", ".join("{" + known + "}" for known in PLACEHOLDERS)
                + ".",
                field,
            )
        used.append(name)
    return tuple(dict.fromkeys(used))


def sms_segments(text: str) -> int:
    """How many SMS a text takes (GSM-7: 160, or 153 per part; otherwise 70 / 67)."""
    if not text:
        return 0
    if all(char in GSM_7 for char in text):
        length = sum(2 if char in "^{}\\[~]|€" else 1 for char in text)
        single, part = 160, 153
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if length <= single else -(-length // part)


# --- templates and contexts ------------------------------------------------------------


def _fallback_key(key: str) -> str:
    if key in DEFAULTS_BY_KEY or not key.startswith(REMINDER_KIND_PREFIX):
        return key
    hours = int(key[len(REMINDER_KIND_PREFIX) :].removesuffix("h") or 24)
    return "reminder_24h" if hours >= 12 else "reminder_2h"


def template_text(session: Session, key: str) -> tuple[Channel, str, str] | None:
    """(channel, subject, body) of the clinic's template, or the built-in one.

    None when the clinic switched the template off. A reminder at an offset without
    a template of its own (``reminder_48h``) uses the 24 h or 2 h one.
    """
    for candidate in dict.fromkeys((key, _fallback_key(key))):
        row = session.scalars(
            select(NotificationTemplate).where(NotificationTemplate.key == candidate)
        ).first()
        if row is not None:
            if not row.is_active:
                return None
            return Channel(row.channel), row.subject, row.body
        default = DEFAULTS_BY_KEY.get(candidate)
        if default is not None:
            return default.channel, default.subject, default.body
    return None


def _clinic(session: Session) -> ClinicSettings:
    settings = session.get(ClinicSettings, 1)
    return settings if settings is not None else ClinicSettings(name="", phone="")


def money(currency: str, amount: Decimal) -> str:
    return f"{currency} {amount:,.2f}"


def appointment_context(session: Session, appointment: Appointment) -> dict[str, Any]:
    clinic = _clinic(session)
    zone = ZoneInfo(clinic.time_zone or "UTC")
    local = appointment.start_at.astimezone(zone)
    patient = appointment.patient
    context: dict[str, Any] = {
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
    if appointment.patient_copay is not None:
        context["amount"] = money(clinic.currency or "", appointment.patient_copay)
    return context


def _queue(
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


def _start_key(appointment: Appointment) -> str:
    return appointment.start_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M")


# --- hooks the clinic's rules call -------------------------------------------------------


def queue_booking_confirmation(
    session: Session, appointment: Appointment, *, now: dt.datetime | None = None
) -> bool:
    return _queue(
        session,
        "booking_confirmation",
        f"booking:{appointment.id}",
        appointment.patient,
        appointment_context(session, appointment),
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
    return _queue(
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
    from mic_desktop.services.messaging.reminders import queue_reminders_for

    now = now or utc_now()
    cancel_pending_messages(session, appointment.id, reason="appointment moved")
    cancel_pending_messages(
        session, appointment.id, APPOINTMENT_NOTICE_KINDS, reason="appointment moved"
    )
    queued = _queue(
        session,
        "reschedule",
        f"reschedule:{appointment.id}:{_start_key(appointment)}",
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
    clinic = _clinic(session)
    context = {
        "first_name": patient.first_name if patient else "",
        "patient_name": patient.full_name if patient else "",
        "amount": money(currency, payment.amount),
        "receipt_number": payment.receipt_number,
        "clinic_name": clinic.name,
        "clinic_phone": clinic.phone,
    }
    return _queue(
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
    queued += _queue(
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
        queued += _queue(
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


# --- the manager's template editor -------------------------------------------------------


@dataclass(frozen=True)
class TemplateInfo:
    key: str
    name: str
    channel: Channel
    subject: str
    body: str
    is_active: bool
    version: int  # 0 while the built-in text is used (no row yet)
    is_default_text: bool
    placeholders: tuple[str, ...]


@dataclass(frozen=True)
class PreviewMessage:
    """A template rendered on a real appointment, as the patient or doctor would get it."""

    channel: Channel
    recipient: str
    subject: str
    body: str
    characters: int
    sms_segments: int  # 0 for e-mail


class TemplateService(ClinicService):
    """Read, edit, reset and preview the clinic's message templates."""

    def list_templates(self) -> list[TemplateInfo]:
        with self._sessions.begin() as session:
            rows = {row.key: row for row in session.scalars(select(NotificationTemplate))}
            return [_info(default, rows.get(default.key)) for default in DEFAULT_TEMPLATES]

    def get_template(self, key: str) -> TemplateInfo:
        default = _default(key)
        with self._sessions.begin() as session:
            row = session.scalars(
                select(NotificationTemplate).where(NotificationTemplate.key == key)
            ).first()
            return _info(default, row)

    def save_template(
        self,
        key: str,
        *,
        subject: str,
        body: str,
        is_active: bool = True,
        expected_version: int | None = None,
    ) -> TemplateInfo:
        """Store the clinic's text; unknown placeholders are refused next to their field.

        ``expected_version`` is the version the editor loaded (0 for a built-in
        text); someone else's save in between raises :class:`StaleRecordError`.
        """
        self._require_manager()
        default = _default(key)
        subject, body = subject.strip(), body.strip()
        _check(default.channel, subject, body)
        with self._sessions.begin() as session:
            row = session.scalars(
                select(NotificationTemplate)
                .where(NotificationTemplate.key == key)
                .with_for_update()
            ).first()
            current = row.version if row is not None else 0
            if expected_version is not None and expected_version != current:
                raise StaleRecordError(
                    f'The template "{default.name}" was changed by someone else; '
                    "reload and try again."
                )
            if row is None:
                row = NotificationTemplate(
                    key=key, name=default.name, channel=default.channel.value
                )
                session.add(row)
            row.subject, row.body, row.is_active = subject, body, is_active
            row.updated_by_id = self._actor.id
            session.flush()
            audit.record(
                session,
                "notification_template_saved",
                staff_id=self._actor.id,
                username=self._actor.username,
                entity="notification_template",
                entity_id=row.id,
                details={"key": key, "is_active": is_active, "version": row.version},
                workstation=self._workstation,
            )
            notify(session, LiveChannel.SETTINGS, row.id)
            return _info(default, row)

    def reset_to_default(self, key: str, *, expected_version: int | None = None) -> TemplateInfo:
        default = _default(key)
        return self.save_template(
            key,
            subject=default.subject,
            body=default.body,
            is_active=True,
            expected_version=expected_version,
        )

    def preview(self, key: str, *, subject: str, body: str, appointment_id: int) -> PreviewMessage:
        """Render unsaved text on a real appointment (the editor's live preview)."""
        default = _default(key)
        _check(default.channel, subject, body)
        with self._sessions.begin() as session:
            appointment = session.get(Appointment, appointment_id)
            if appointment is None:
                raise NotFoundError("This appointment no longer exists.")
            context = appointment_context(session, appointment)
            doctor = (
                session.get(ReferringDoctor, appointment.referring_doctor_id)
                if appointment.referring_doctor_id
                else None
            )
            context["doctor_name"] = doctor.full_name if doctor else ""
            payment = session.scalars(
                select(Payment)
                .where(Payment.appointment_id == appointment.id, Payment.amount > 0)
                .order_by(Payment.received_at.desc())
            ).first()
            if payment is not None:
                context["receipt_number"] = payment.receipt_number
                context["amount"] = money(_clinic(session).currency, payment.amount)
            patient = appointment.patient
            if default.channel is Channel.SMS:
                recipient = patient.phone or ""
            elif key == "report_ready_doctor":
                recipient = (doctor.email or "") if doctor else ""
            else:
                recipient = patient.email or ""
        rendered = render(body, context)
        return PreviewMessage(
            channel=default.channel,
            recipient=recipient,
            subject=render(subject, context),
            body=rendered,
            characters=len(rendered),
            sms_segments=sms_segments(rendered) if default.channel is Channel.SMS else 0,
        )

    def _require_manager(self) -> None:
        if self._actor.role is not Role.MANAGER:
            raise PermissionDeniedError("Only a manager may change message templates.")


def _default(key: str) -> DefaultTemplate:
    default = DEFAULTS_BY_KEY.get(key)
    if default is None:
        raise NotFoundError(f"There is no message template called {key}.")
    return default


def _check(channel: Channel, subject: str, body: str) -> None:
    if not body.strip():
        raise ValidationError("The message text may not be empty.", "body")
    check_template_text(body, "body")
    if channel is Channel.EMAIL:
        if not subject.strip():
            raise ValidationError("An e-mail needs a subject.", "subject")
        check_template_text(subject, "subject")
    elif len(body) > MAX_SMS_LENGTH:
        raise ValidationError(f"An SMS may be at most {MAX_SMS_LENGTH} characters.", "body")


def _info(default: DefaultTemplate, row: NotificationTemplate | None) -> TemplateInfo:
    subject = row.subject if row is not None else default.subject
    body = row.body if row is not None else default.body
    try:
        placeholders = check_template_text(subject + body)
    except ValidationError:  # a text stored by other means than this editor
        placeholders = ()
    return TemplateInfo(
        key=default.key,
        name=default.name,
        channel=default.channel,
        subject=subject,
        body=body,
        is_active=row.is_active if row is not None else True,
        version=row.version if row is not None else 0,
        is_default_text=(subject, body) == (default.subject, default.body),
        placeholders=placeholders,
    )
