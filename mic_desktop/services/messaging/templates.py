"""Message templates: the built-in texts, their placeholders, and filling them in.

Templates are editable rows (``notification_template``, filled with the built-in
texts by migration 0004); the built-in texts below are used when a row is missing.
:func:`template_text` finds the text for a message kind, :func:`render` fills its
``{placeholders}`` from a context such as :func:`appointment_context`, and
:func:`check_template_text` refuses placeholders that do not exist. The manager's
editor is :mod:`.template_editor`; queueing a rendered message is :mod:`.compose`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mic_desktop.models import Appointment, Channel, ClinicSettings, NotificationTemplate
from mic_desktop.services.errors import ValidationError


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
        "{room}. {preparation} Reply YES to confirm or C to cancel. Questions: {clinic_phone}",
    ),
    DefaultTemplate(
        "reminder_24h",
        "Reminder 24 hours before",
        Channel.SMS,
        "",
        "Reminder: {first_name}, your {scan_type} is tomorrow, {date} at {time} ({room}). "
        "{preparation} Reply YES to confirm or C to cancel. To change it call {clinic_phone}. "
        "{clinic_name}",
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
    DefaultTemplate(
        "booking_confirmation_email",
        "Booking confirmation (e-mail with calendar file)",
        Channel.EMAIL,
        "Your {scan_type} on {date} at {time}",
        "Dear {first_name},\n\nyour {scan_type} at {clinic_name} is booked for {date} at "
        "{time} ({room}).\n\n{preparation}\n\nThe attached calendar file adds it to your "
        "calendar. To change it call {clinic_phone}.\n\nKind regards,\n{clinic_name}",
    ),
    DefaultTemplate(
        "reschedule_email",
        "Appointment moved (e-mail with calendar file)",
        Channel.EMAIL,
        "Your {scan_type} has moved to {date} at {time}",
        "Dear {first_name},\n\nyour {scan_type} at {clinic_name} has moved to {date} at "
        "{time} ({room}).\n\n{preparation}\n\nThe attached calendar file updates your "
        "calendar. Questions: {clinic_phone}.\n\nKind regards,\n{clinic_name}",
    ),
    DefaultTemplate(
        "cancellation_email",
        "Appointment cancelled (e-mail with calendar file)",
        Channel.EMAIL,
        "Your {scan_type} on {date} at {time} is cancelled",
        "Dear {first_name},\n\nyour {scan_type} on {date} at {time} is cancelled. The "
        "attached calendar file removes it from your calendar. To book again call "
        "{clinic_phone}.\n\nKind regards,\n{clinic_name}",
    ),
    DefaultTemplate(
        "waitlist_offer",
        "Waitlist: a slot opened",
        Channel.SMS,
        "",
        "{first_name}, a {modality} slot opened {date} {time} for your {scan_type}. "
        "Reply YES within {minutes} min to take it. {clinic_name}",
    ),
    DefaultTemplate(
        "waitlist_taken",
        "Waitlist: slot already taken",
        Channel.SMS,
        "",
        "Sorry, that slot has been taken. You stay on our waiting list. {clinic_name}",
    ),
)
DEFAULTS_BY_KEY = {template.key: template for template in DEFAULT_TEMPLATES}
PLACEHOLDERS = (
    "first_name", "patient_name", "scan_type", "date", "time", "room", "preparation",
    "clinic_name", "clinic_phone", "amount", "receipt_number", "doctor_name", "modality",
    "minutes",
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
    "modality": "modality of a waitlist offer (CT, MR ...)",
    "minutes": "minutes a waitlist offer waits for YES",
}
REMINDER_KIND_PREFIX = "reminder_"
# Notices that describe the appointment's time: stale once it moves or is cancelled.
APPOINTMENT_NOTICE_KINDS = (
    "booking_confirmation",
    "reschedule",
    "booking_confirmation_email",
    "reschedule_email",
)
# E-mails that carry the appointment's calendar event (.ics); cancellation cancels it.
CALENDAR_KINDS = ("booking_confirmation_email", "reschedule_email", "cancellation_email")
# Twilio treats CANCEL as an opt-out keyword: an SMS never asks a patient to reply it.
_REPLY_CANCEL = re.compile(r"\bCANCEL\b|\breply\s+(?:with\s+)?[\"']?cancel\b", re.IGNORECASE)
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


def check_no_cancel_keyword(text: str, field: str = "body") -> None:
    """Refuse an SMS text that suggests replying CANCEL (Twilio would opt the patient out)."""
    for match in _REPLY_CANCEL.finditer(text):
        if match.group(0).isupper() or match.group(0).lower().startswith("reply"):
            raise ValidationError(
                'An SMS must not ask patients to reply CANCEL: Twilio treats it as "stop all '
                'messages". Ask them to reply C to cancel instead.',
                field,
            )


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


def clinic_or_blank(session: Session) -> ClinicSettings:
    """The clinic's settings, or blank ones while the clinic is not set up."""
    settings = session.get(ClinicSettings, 1)
    return settings if settings is not None else ClinicSettings(name="", phone="")


def money(currency: str, amount: Decimal) -> str:
    return f"{currency} {amount:,.2f}"


def appointment_context(session: Session, appointment: Appointment) -> dict[str, Any]:
    clinic = clinic_or_blank(session)
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
