"""The names an audit entry is read with: booking references, patients, staff, receipts.

An audit row keeps ids (``appointment 4919``, ``staff_user 3``); :func:`load_names`
reads, in one round trip per kind, what a manager recognises them by: the booking
reference with the patient, scan and start time, the patient's name and MRN, the
person's name, the receipt number. :class:`AuditNames` answers with a readable
fallback when a record is gone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from mic_desktop.models import Appointment, Patient, Payment, Report, ScanType, StaffUser

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TITLES = {"dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "prof", "prof.", "sr", "sister"}


def short_moment(moment: dt.datetime) -> str:
    """``Thu 3 Dec 10:05`` (already in the clinic's zone)."""
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment:%H:%M}"


def short_name(full_name: str) -> str:
    """``Nomsa Ndlovu`` -> ``N. Ndlovu``; titles are left out."""
    words = [w for w in full_name.split() if w.lower() not in _TITLES]
    if len(words) < 2:
        return full_name.strip()
    return f"{words[0][0]}. {words[-1]}"


@dataclass(frozen=True)
class AppointmentName:
    reference: str
    patient: str
    scan: str
    start: dt.datetime  # in the clinic's zone

    @property
    def text(self) -> str:
        return f"{self.reference} ({self.patient}, {self.scan}, {short_moment(self.start)})"


@dataclass
class AuditNames:
    """Readable names by id (as text, the way the audit log keeps them)."""

    zone: ZoneInfo
    appointments: dict[str, AppointmentName] = field(default_factory=dict)
    references: dict[str, AppointmentName] = field(default_factory=dict)
    patients: dict[str, str] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    payments: dict[str, str] = field(default_factory=dict)  # id -> patient's name
    reports: dict[str, str] = field(default_factory=dict)  # report id -> appointment id

    def appointment(self, entity_id: str | None, details: dict[str, Any]) -> str:
        found = self.appointments.get(entity_id or "")
        reference = details.get("reference") or details.get("appointment")
        if found is None and isinstance(reference, str):
            found = self.references.get(reference)
        if found is not None:
            return found.text
        return f"appointment {reference or entity_id or '(unknown)'}"

    def report(self, entity_id: str | None, details: dict[str, Any]) -> str:
        appointment_id = details.get("appointment_id")
        key = str(appointment_id) if appointment_id else self.reports.get(entity_id or "")
        return self.appointment(key, {})

    def patient(self, entity_id: str | None, details: dict[str, Any]) -> str:
        name = self.patients.get(entity_id or "")
        if name:
            return name
        mrn = details.get("mrn")
        return f"patient {mrn or entity_id or '(unknown)'}"

    def person(self, staff_id: object = None, username: object = None) -> str:
        """A staff member's name from the id or the username, else the username itself."""
        if staff_id is not None and str(staff_id) in self.staff:
            return self.staff[str(staff_id)]
        if isinstance(username, str) and username:
            return self.usernames.get(username.lower(), username)
        return "(unknown)"


def load_names(session: Session, rows: Iterable[Any], zone: ZoneInfo) -> AuditNames:
    """The names the ``rows`` (with ``entity``, ``entity_id``, ``details``) refer to."""
    rows = list(rows)
    names = AuditNames(zone)
    wanted: dict[str, set[str]] = {}
    references: set[str] = set()
    for row in rows:
        if row.entity and row.entity_id:
            wanted.setdefault(row.entity, set()).add(row.entity_id)
        details = row.details or {}
        for key in ("reference", "appointment"):
            if isinstance(details.get(key), str):
                references.add(details[key])
        if details.get("appointment_id") is not None:
            wanted.setdefault("appointment", set()).add(str(details["appointment_id"]))
    for user_id, username, full_name in session.execute(
        select(StaffUser.id, StaffUser.username, StaffUser.full_name)
    ):
        names.staff[str(user_id)] = full_name
        names.usernames[username.lower()] = full_name
    if wanted.get("report"):
        for report_id, appointment_id in session.execute(
            select(Report.id, Report.appointment_id).where(
                cast(Report.id, String).in_(wanted["report"])
            )
        ):
            names.reports[str(report_id)] = str(appointment_id)
            wanted.setdefault("appointment", set()).add(str(appointment_id))
    appointment_ids = wanted.get("appointment", set())
    if appointment_ids or references:
        query = (
            select(
                Appointment.id,
                Appointment.reference,
                Patient.first_name,
                Patient.last_name,
                ScanType.name,
                Appointment.start_at,
            )
            .join(Patient, Patient.id == Appointment.patient_id)
            .join(ScanType, ScanType.id == Appointment.scan_type_id)
            .where(
                cast(Appointment.id, String).in_(appointment_ids)
                | Appointment.reference.in_(references)
            )
        )
        for key, reference, first, last, scan, start in session.execute(query):
            name = AppointmentName(reference, f"{first} {last}", scan, start.astimezone(zone))
            names.appointments[str(key)] = name
            names.references[reference] = name
    if wanted.get("patient"):
        for key, first, last, mrn in session.execute(
            select(Patient.id, Patient.first_name, Patient.last_name, Patient.mrn).where(
                cast(Patient.id, String).in_(wanted["patient"])
            )
        ):
            names.patients[str(key)] = f"{first} {last} (MRN {mrn})"
    if wanted.get("payment"):
        for key, first, last in session.execute(
            select(Payment.id, Patient.first_name, Patient.last_name)
            .join(Patient, Patient.id == Payment.patient_id)
            .where(cast(Payment.id, String).in_(wanted["payment"]))
        ):
            names.payments[str(key)] = f"{first} {last}"
    return names
