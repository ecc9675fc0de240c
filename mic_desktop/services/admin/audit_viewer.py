"""The manager's audit log viewer: who did what to which record, when, from which PC.

Filters (person, patient, booking reference, action, record, days in the clinic's time
zone) become one SQL query, newest first, a page at a time. Each entry reads as a
sentence with the names a manager knows (:mod:`.audit_sentences`, :mod:`.audit_names`)
and the fields an edit changed, before and after; the raw details stay available. The
CSV and PDF exports write every matching row (up to :data:`MAX_EXPORT_ROWS`) and are
themselves written to the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, String, and_, cast, func, or_, select

from mic_desktop.models import Appointment, AuditLog, Patient, Payment, Report, StaffUser
from mic_desktop.services.admin.audit_names import AuditNames, load_names
from mic_desktop.services.admin.audit_sentences import (
    FieldChange,
    field_changes,
    readable,
    sentence,
)
from mic_desktop.services.base import ManagerService
from mic_desktop.services.documents.audit_pdf import AuditPdfLine, render_audit_pdf
from mic_desktop.services.documents.letterhead import load_letterhead
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.formats import format_date, local_day_bounds
from mic_desktop.services.records import clinic_zone

MAX_PAGE_SIZE = 500
MAX_EXPORT_ROWS = 200_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditQuery:
    """What the viewer's filter bar holds; empty fields do not filter."""

    staff_id: int | None = None
    username: str | None = None  # as typed at login, also for unknown users
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    patient: str | None = None  # part of the name, or the MRN
    reference: str | None = None  # a booking reference: A0004919


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime  # in the clinic's time zone
    staff_id: int | None
    person: str  # the staff member's name, else the username as typed
    username: str | None
    action: str
    entity: str | None
    entity_id: str | None
    details: dict[str, Any] = field(hash=False, compare=False)
    workstation: str | None = None
    sentence: str = ""  # what happened, with the names a manager knows
    changes: tuple[FieldChange, ...] = ()  # an edit's fields, before and after

    @property
    def details_text(self) -> str:
        return json.dumps(self.details, ensure_ascii=False, sort_keys=True) if self.details else ""

    @property
    def details_pretty(self) -> str:
        """The raw details, indented, for the details view."""
        return json.dumps(self.details, ensure_ascii=False, sort_keys=True, indent=2)

    @property
    def changes_text(self) -> str:
        return "; ".join(f"{c.field}: {c.before} → {c.after}" for c in self.changes)


@dataclass(frozen=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]
    total: int
    page: int  # from 0
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class PersonChoice:
    staff_id: int
    name: str
    username: str


class AuditLogService(ManagerService):
    """Reading and exporting the append-only audit log."""

    def search(self, query: AuditQuery, *, page: int = 0, page_size: int = 100) -> AuditPage:
        if page < 0 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValidationError(f"Pages hold 1 to {MAX_PAGE_SIZE} entries.", "page_size")
        with self._sessions() as session:
            zone = clinic_zone(session)
            where = _conditions(query, zone)
            total = session.scalar(select(func.count()).select_from(AuditLog).where(*where)) or 0
            rows = session.execute(
                _entries_query(where).offset(page * page_size).limit(page_size)
            ).all()
            names = load_names(session, rows, zone)
        return AuditPage(tuple(_entry(row, zone, names) for row in rows), total, page, page_size)

    def actions(self) -> list[str]:
        """Every action the log holds, for the filter's list."""
        with self._sessions() as session:
            return list(
                session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action))
            )

    def entities(self) -> list[str]:
        """Every kind of record the log names, for the filter's list."""
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(AuditLog.entity)
                    .where(AuditLog.entity.is_not(None))
                    .distinct()
                    .order_by(AuditLog.entity)
                )
            )

    def people(self) -> list[PersonChoice]:
        with self._sessions() as session:
            rows = session.execute(
                select(StaffUser.id, StaffUser.full_name, StaffUser.username).order_by(
                    StaffUser.full_name
                )
            ).all()
        return [PersonChoice(*row) for row in rows]

    def export_csv(self, query: AuditQuery) -> str:
        """Every matching entry, newest first, as CSV text; the export is audited."""
        output = io.StringIO()
        writer = csv.writer(output, lineterminator="\r\n")
        writer.writerow(
            [
                "When",
                "Person",
                "Username",
                "Action",
                "Record",
                "Record id",
                "Details",
                "Workstation",
                "What",
                "Changes",
            ]
        )
        for entry in self._export_entries(query, "csv"):
            writer.writerow(
                [
                    _safe(value)
                    for value in (
                        f"{entry.at:%Y-%m-%d %H:%M:%S}",
                        entry.person,
                        entry.username or "",
                        entry.action,
                        entry.entity or "",
                        entry.entity_id or "",
                        entry.details_text,
                        entry.workstation or "",
                        entry.sentence,
                        entry.changes_text,
                    )
                ]
            )
        return output.getvalue()

    def export_pdf(self, query: AuditQuery) -> bytes:
        """Every matching entry, newest first, as a printed list; the export is audited."""
        entries = self._export_entries(query, "pdf")
        with self._sessions() as session:
            letterhead = load_letterhead(session)
        lines = [
            AuditPdfLine(
                f"{format_date(entry.at.date())} {entry.at:%H:%M:%S}",
                entry.person,
                entry.workstation or "",
                entry.sentence,
                tuple((c.field, c.before, c.after) for c in entry.changes),
            )
            for entry in entries
        ]
        filters = _filter_text(query)
        described = (
            ", ".join(f"{readable(k).lower()} {v}" for k, v in filters.items()) or "no filter"
        )
        return render_audit_pdf(lines, letterhead, filter_text=described, printed_at=self._clock())

    def _export_entries(self, query: AuditQuery, kind: str) -> list[AuditEntry]:
        with self._sessions.begin() as session:
            zone = clinic_zone(session)
            where = _conditions(query, zone)
            rows = session.execute(_entries_query(where).limit(MAX_EXPORT_ROWS)).all()
            names = load_names(session, rows, zone)
            entries = [_entry(row, zone, names) for row in rows]
            self._audit(
                session,
                "audit_log_exported",
                "audit_log",
                None,
                {"rows": len(entries), "format": kind, "filter": _filter_text(query)},
            )
        return entries


def _conditions(query: AuditQuery, zone) -> list[Any]:  # type: ignore[no-untyped-def]
    where: list[Any] = []
    if query.staff_id is not None:
        where.append(AuditLog.staff_id == query.staff_id)
    if query.username and query.username.strip():
        where.append(func.lower(AuditLog.username) == query.username.strip().lower())
    if query.action:
        where.append(AuditLog.action == query.action)
    if query.entity:
        where.append(AuditLog.entity == query.entity)
    if query.entity_id and query.entity_id.strip():
        where.append(AuditLog.entity_id == query.entity_id.strip())
    if query.patient and query.patient.strip():
        where.append(_about_patient(query.patient.strip()))
    if query.reference and query.reference.strip():
        where.append(_about_booking(query.reference.strip().upper()))
    if query.first_day and query.last_day and query.last_day < query.first_day:
        raise ValidationError("The last day is before the first.", "last_day")
    if query.first_day:
        where.append(AuditLog.at >= local_day_bounds(query.first_day, zone)[0])
    if query.last_day:
        where.append(AuditLog.at < local_day_bounds(query.last_day, zone)[1])
    return where


def _entries_query(where: list[Any]) -> Select:  # type: ignore[type-arg]
    return (
        select(
            AuditLog.id,
            AuditLog.at,
            AuditLog.staff_id,
            StaffUser.full_name,
            AuditLog.username,
            AuditLog.action,
            AuditLog.entity,
            AuditLog.entity_id,
            AuditLog.details,
            AuditLog.workstation,
        )
        .outerjoin(StaffUser, StaffUser.id == AuditLog.staff_id)
        .where(*where)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
    )


def _about_patient(text: str) -> Any:
    """Entries about the patients whose MRN is ``text`` or whose name contains it."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    full_name = Patient.first_name + " " + Patient.last_name
    patients = select(Patient.id).where(or_(Patient.mrn == text, full_name.ilike(pattern)))
    appointments = select(Appointment.id).where(Appointment.patient_id.in_(patients))
    return or_(
        _entity_in("patient", patients),
        _entity_in("appointment", appointments),
        _entity_in("payment", select(Payment.id).where(Payment.patient_id.in_(patients))),
        _entity_in("report", select(Report.id).where(Report.appointment_id.in_(appointments))),
    )


def _about_booking(reference: str) -> Any:
    """Entries about the appointment with booking reference ``reference``."""
    appointments = select(Appointment.id).where(Appointment.reference == reference)
    return or_(
        _entity_in("appointment", appointments),
        _entity_in("report", select(Report.id).where(Report.appointment_id.in_(appointments))),
        AuditLog.details["reference"].astext == reference,
        AuditLog.details["appointment"].astext == reference,
    )


def _entity_in(entity: str, ids: Select) -> Any:  # type: ignore[type-arg]
    found = ids.subquery()
    keys = select(cast(next(iter(found.c)), String))
    return and_(AuditLog.entity == entity, AuditLog.entity_id.in_(keys))


def _entry(row: Any, zone, names: AuditNames) -> AuditEntry:  # type: ignore[no-untyped-def]
    details = row.details or {}
    return AuditEntry(
        id=row.id,
        at=row.at.astimezone(zone),
        staff_id=row.staff_id,
        person=row.full_name or row.username or "(unknown)",
        username=row.username,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        details=details,
        workstation=row.workstation,
        sentence=sentence(row.action, row.entity, row.entity_id, details, names, row.username),
        changes=field_changes(details),
    )


def _filter_text(query: AuditQuery) -> dict[str, str]:
    return {
        name: value.isoformat() if isinstance(value, dt.date) else str(value)
        for name, value in vars(query).items()
        if value not in (None, "")
    }


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text
