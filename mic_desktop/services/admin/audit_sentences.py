"""An audit entry as a manager reads it: one sentence per action kind and the fields an
edit changed, before and after.

:data:`SENTENCES` holds a sentence for every action the services write (a test keeps it
complete); an action it does not know still reads as words, never as raw JSON.
:func:`field_changes` finds the before/after pairs in the shapes the services (and the
database's audit triggers) record them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mic_desktop.services.admin.audit_names import AuditNames, short_moment, short_name

_WORDS = {
    "mrn": "MRN",
    "sms": "SMS",
    "dob": "date of birth",
    "id": "id",
    "url": "URL",
    "ae": "AE",
    "dicom": "DICOM",
    "pdf": "PDF",
}


def readable(name: str) -> str:
    """``late_cancellation_hours`` -> ``Late cancellation hours``."""
    words = [_WORDS.get(word, word) for word in name.replace(".", " ").split("_")]
    text = " ".join(words).strip()
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class FieldChange:
    field: str  # readable
    before: str
    after: str


@dataclass(frozen=True)
class Said:
    """What a sentence is made from."""

    entity: str | None
    entity_id: str | None
    details: dict[str, Any]
    names: AuditNames
    username: str | None

    def get(self, key: str, default: str = "") -> str:
        value = self.details.get(key)
        return default if value is None or value == "" else str(value)

    @property
    def appointment(self) -> str:
        if self.entity == "report":
            return self.names.report(self.entity_id, self.details)
        if self.entity == "appointment":
            return self.names.appointment(self.entity_id, self.details)
        appointment_id = self.details.get("appointment_id")
        key = str(appointment_id) if appointment_id is not None else None
        return self.names.appointment(key, self.details)

    @property
    def patient(self) -> str:
        return self.names.patient(self.entity_id, self.details)

    @property
    def staff(self) -> str:
        """The staff account the entry is about."""
        if self.details.get("radiologist"):
            return str(self.details["radiologist"])
        return self.names.person(self.entity_id, self.details.get("username"))

    @property
    def thing(self) -> str:
        """A catalogue record by its name or code."""
        for key in ("name", "display_name", "plan", "scheme", "code", "title", "template"):
            value = self.details.get(key)
            if value and not isinstance(value, dict):  # a dict is that field's change
                return str(value)
        return f"#{self.entity_id}" if self.entity_id else "(unknown)"

    def moment(self, key: str) -> str:
        try:
            when = dt.datetime.fromisoformat(self.get(key))
        except ValueError:
            return self.get(key, "?")
        if when.tzinfo is None:
            return self.get(key)
        return short_moment(when.astimezone(self.names.zone))

    def fields(self) -> str:
        changes = field_changes(self.details)
        return ", ".join(change.field.lower() for change in changes) if changes else ""


def _cancelled(s: Said) -> str:
    text = f"Cancelled {s.appointment}"
    if s.details.get("late"):
        who = s.details.get("authorised_by")
        by = f", authorised by {short_name(s.names.person(None, who))}" if who else ""
        text += f" — late{by}"
    reason = s.get("reason")
    return f"{text}: {reason}" if reason else text


def _with_fields(text: str, s: Said) -> str:
    fields = s.fields()
    return f"{text}: {fields}" if fields else text


def _payment(s: Said) -> str:
    patient = s.names.payments.get(s.entity_id or "")
    whom = f" from {patient}" if patient else ""
    method = readable(s.get("method", "payment")).lower()
    return f"Took {s.get('amount')} by {method}{whom}, receipt {s.get('receipt', '?')}"


def _refund(s: Said) -> str:
    amount = s.get("amount").lstrip("-")
    patient = s.names.payments.get(s.entity_id or "")
    whom = f" to {patient}" if patient else ""
    reason = s.get("reason")
    text = f"Refunded {amount}{whom}, receipt {s.get('receipt', '?')}"
    return f"{text}: {reason}" if reason else text


Sentence = Callable[[Said], str]

SENTENCES: dict[str, Sentence] = {
    # appointments
    "appointment_booked": lambda s: f"Booked {s.appointment}",
    "appointment_booked_from_waitlist": lambda s: f"Booked {s.appointment} from the waiting list",
    "appointment_rescheduled": lambda s: (
        f"Moved {s.appointment} from {s.moment('from')} to {s.moment('to')}"
    ),
    "appointment_cancelled": _cancelled,
    "appointment_confirmed": lambda s: f"Confirmed {s.appointment}",
    "appointment_checked_in": lambda s: f"Checked in {s.appointment}",
    "appointment_no_show": lambda s: f"Marked {s.appointment} as a no-show",
    "scan_started": lambda s: f"Started the scan of {s.appointment}",
    "scan_completed": lambda s: f"Completed the scan of {s.appointment}",
    "referral_letter_attached": lambda s: (
        f"Attached the referral letter {s.get('file')} to {s.appointment}"
    ),
    "waitlist_added": lambda s: f"Put {s.patient} on the waiting list",
    "waitlist_removed": lambda s: f"Took {s.patient} off the waiting list",
    "waitlist_slot_offered": lambda s: f"Offered a freed slot to the waiting list: {s.thing}",
    # patients
    "patient_registered": lambda s: f"Registered {s.patient}",
    "patient_updated": lambda s: _with_fields(f"Changed the details of {s.patient}", s),
    "patient_sms_opt_out": lambda s: f"{s.patient} opted out of SMS",
    "patient_sms_opt_in": lambda s: f"{s.patient} opted in to SMS again",
    "feedback_submitted": lambda s: f"Recorded the patient's feedback on {s.appointment}",
    "sms_reply_received": lambda s: f"Received an SMS reply: {s.get('action', 'other')}",
    "sms_reply_read": lambda s: "Marked an SMS reply as read",
    # money
    "payment_received": _payment,
    "payment_refunded": _refund,
    "claim_submitted": lambda s: (
        f"Submitted a medical-aid claim of {s.get('claimed')} for {s.appointment}"
    ),
    "medical_aid_claim": lambda s: (
        f"Recorded the medical aid's answer: paid {s.get('settled', '?')}, "
        f"shortfall {s.get('shortfall', '0')}"
    ),
    # reports
    "report_claimed": lambda s: f"Took the report of {s.appointment} to write",
    "report_released": lambda s: f"Gave back the report of {s.appointment}",
    "report_draft_saved": lambda s: f"Saved a draft report for {s.appointment}",
    "report_finalised": lambda s: f"Finalised and signed the report of {s.appointment}",
    "report_reviewed": lambda s: f"Marked the report of {s.appointment} as reviewed",
    "report_addendum_added": lambda s: f"Added an addendum to the report of {s.appointment}",
    "report_pdf_attached": lambda s: (
        f"Attached the report PDF {s.get('filename')} to {s.appointment}".replace("  ", " ")
    ),
    "report_pdf_detached": lambda s: f"Removed the report PDF from {s.appointment}",
    "report_pdf_identity_confirmed": lambda s: (
        f"Confirmed that the report PDF names the patient of {s.appointment}"
    ),
    "critical_finding_flagged": lambda s: f"Flagged a critical finding on {s.appointment}",
    "critical_finding_acknowledged": lambda s: (
        f"Recorded that the referrer was told of the critical finding on {s.appointment}"
    ),
    # people and logins
    "login": lambda s: "Logged in",
    "logout": lambda s: "Logged out",
    "login_failed": lambda s: f"Failed login as {s.username or '?'}",
    "login_refused_disabled": lambda s: f"Login refused: the account {s.username} is disabled",
    "login_refused_locked": lambda s: f"Login refused: the account {s.username} is locked",
    "account_locked": lambda s: f"Locked the account {s.username} after failed logins",
    "unlock": lambda s: "Unlocked the screen",
    "unlock_failed": lambda s: "Failed to unlock the screen (wrong password)",
    "authorisation_given": lambda s: f"Authorised as {s.get('role', 'manager')}",
    "authorisation_failed": lambda s: f"Failed to authorise as {s.get('role', 'manager')}",
    "password_changed": lambda s: "Changed their own password",
    "password_reset": lambda s: f"Set a new password for {s.staff}",
    "staff_added": lambda s: f"Added the staff account {s.staff} ({s.get('role', '?')})",
    "staff_details_changed": lambda s: f"Changed the name or title of {s.staff}",
    "staff_disabled": lambda s: f"Disabled the account of {s.staff}",
    "staff_enabled": lambda s: f"Enabled the account of {s.staff}",
    "staff_role_changed": lambda s: (
        f"Changed the role of {s.staff} from {s.get('from', '?')} to {s.get('to', '?')}"
    ),
    "radiologist_availability_changed": lambda s: f"Changed the weekly hours of {s.staff}",
    "radiologist_leave_added": lambda s: f"Added leave for {s.staff}",
    "radiologist_leave_removed": lambda s: f"Removed leave of {s.staff}",
    # the clinic's set-up
    "clinic_settings_changed": lambda s: _with_fields("Changed the clinic settings", s),
    "clinic_logo_changed": lambda s: "Changed the logo on the clinic's documents",
    "backup_schedule_changed": lambda s: _with_fields("Changed the daily backup", s),
    "modality_added": lambda s: f"Added the modality {s.thing}",
    "modality_changed": lambda s: _with_fields(f"Changed the modality {s.thing}", s),
    "room_added": lambda s: f"Added the room {s.thing}",
    "room_changed": lambda s: _with_fields(f"Changed the room {s.thing}", s),
    "room_opening_hours_changed": lambda s: f"Changed the opening hours of {s.thing}",
    "scan_type_added": lambda s: f"Added the scan type {s.thing} at {s.get('price', '?')}",
    "scan_type_changed": lambda s: _with_fields(f"Changed the scan type {s.thing}", s),
    "scan_type_price_changed": lambda s: (
        f"Changed the price of {s.thing} from {s.get('from', '?')} to {s.get('to', '?')}"
    ),
    "closure_added": lambda s: f"Added the closure {s.thing}",
    "closure_removed": lambda s: f"Removed the closure {s.thing}",
    "public_holidays_added": lambda s: (
        f"Added {len(s.details.get('days') or [])} public holidays ({s.get('country', '?')})"
    ),
    "medical_aid_scheme_added": lambda s: f"Added the medical aid {s.thing}",
    "medical_aid_scheme_changed": lambda s: _with_fields(f"Changed the medical aid {s.thing}", s),
    "medical_aid_plan_added": lambda s: f"Added the medical-aid plan {s.thing}",
    "medical_aid_plan_changed": lambda s: _with_fields(f"Changed the plan {s.thing}", s),
    "coverage_rule_added": lambda s: f"Added a cover rule to {s.thing}",
    "coverage_rule_changed": lambda s: _with_fields(f"Changed a cover rule of {s.thing}", s),
    "coverage_rule_removed": lambda s: f"Removed a cover rule of {s.thing}",
    "referring_doctor_added": lambda s: f"Added the referring doctor {s.thing}",
    "notification_template_saved": lambda s: f"Saved the message template {s.thing}",
    "message_resent": lambda s: f"Sent a message again ({s.thing})",
    "test_message_sent": lambda s: f"Sent a test {s.get('channel', 'message')} to {s.get('to')}",
    "test_message_failed": lambda s: (
        f"A test {s.get('channel', 'message')} to {s.get('to')} failed: {s.get('result')}"
    ),
    "dicom_device_added": lambda s: f"Added the scanner {s.thing} (DICOM)",
    "dicom_device_removed": lambda s: f"Removed the scanner {s.thing} (DICOM)",
    "dicom_settings_changed": lambda s: _with_fields("Changed the DICOM settings", s),
    "dicom_mpps_refused": lambda s: f"A scanner's report was refused: {s.get('reason', '?')}",
    "audit_log_exported": lambda s: f"Exported {s.get('rows', '?')} audit log entries",
    "demo_data_loaded": lambda s: "Loaded the demo clinic",
}

TRIGGER_ACTIONS = ("row.insert", "row.update", "row.delete")


def sentence(
    action: str,
    entity: str | None,
    entity_id: str | None,
    details: dict[str, Any],
    names: AuditNames,
    username: str | None = None,
) -> str:
    """What happened, in one sentence a manager reads without the JSON."""
    said = Said(entity, entity_id, details or {}, names, username)
    known = SENTENCES.get(action)
    if known is not None:
        try:
            return known(said)
        except (KeyError, TypeError, ValueError):  # an older row with other details
            pass
    if action in TRIGGER_ACTIONS:
        return f"Changed outside the program: {entity} {entity_id}"
    record = f" ({readable(entity).lower()} {entity_id or ''})".rstrip() if entity else ""
    return f"{readable(action)}{record.replace(' )', ')')}"


def field_changes(details: dict[str, Any]) -> tuple[FieldChange, ...]:
    """The before/after pairs an entry records, whichever shape it keeps them in:
    ``{"before": {...}, "after": {...}}`` (audit triggers), ``{field: {"from", "to"}}``,
    ``{"changes": {field: [old, new]}}`` and a top-level ``from``/``to``."""
    if not isinstance(details, dict):
        return ()
    before, after = details.get("before"), details.get("after")
    if isinstance(before, dict) or isinstance(after, dict):
        before = before if isinstance(before, dict) else {}
        after = after if isinstance(after, dict) else {}
        keys = list(dict.fromkeys([*before, *after]))
        return tuple(
            FieldChange(readable(key), _text(before.get(key)), _text(after.get(key)))
            for key in keys
            if before.get(key) != after.get(key) or key not in before or key not in after
        )
    if "before" in details and "after" in details:
        return (FieldChange("Value", _text(before), _text(after)),)
    changes: list[FieldChange] = []
    nested = details.get("changes")
    if isinstance(nested, dict):
        for key, value in nested.items():
            if isinstance(value, list | tuple) and len(value) == 2:
                changes.append(FieldChange(readable(key), _text(value[0]), _text(value[1])))
            elif isinstance(value, dict) and {"from", "to"} <= value.keys():
                changes.append(FieldChange(readable(key), _text(value["from"]), _text(value["to"])))
    for key, value in details.items():
        if isinstance(value, dict) and {"from", "to"} <= value.keys():
            changes.append(FieldChange(readable(key), _text(value["from"]), _text(value["to"])))
    if not changes and "from" in details and "to" in details:
        changes.append(FieldChange("Value", _text(details["from"]), _text(details["to"])))
    return tuple(changes)


def _text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_text(item) for item in value) or "—"
    return str(value)
