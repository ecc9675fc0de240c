"""The patient panel: a patient's visits, reports, messages and balance, read together.

Appointments are split into those still to come (soonest first) and past ones (most
recent first); the 500 most recent appointments and 200 most recent messages are
shown. A report is available to hand out or send once it is signed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    OutboxMessage,
    Report,
    ReportStatus,
    Room,
    ScanType,
)
from mic_desktop.services.billing.balances import PatientBalance, patient_balance
from mic_desktop.services.patients.details import PatientDetails


@dataclass(frozen=True)
class AppointmentLine:
    id: int
    reference: str
    start_at: dt.datetime
    end_at: dt.datetime
    scan: str
    room: str
    status: AppointmentStatus
    price: Decimal
    medical_aid_cover: Decimal
    patient_copay: Decimal
    version: int


@dataclass(frozen=True)
class ReportLine:
    id: int
    appointment_id: int
    appointment_reference: str
    scan: str
    scanned_on: dt.datetime
    status: ReportStatus
    finalised_at: dt.datetime | None

    @property
    def is_available(self) -> bool:
        """A final (signed) report that can be handed out or sent."""
        return self.status in (ReportStatus.COMPLETED, ReportStatus.REVIEWED)


@dataclass(frozen=True)
class MessageLine:
    id: int
    created_at: dt.datetime
    kind: str
    channel: str
    recipient: str
    status: str
    sent_at: dt.datetime | None
    last_error: str | None
    body: str


@dataclass(frozen=True)
class PatientPanel:
    """Everything the patient panel shows, read in one transaction."""

    patient: PatientDetails
    balance: PatientBalance
    upcoming: tuple[AppointmentLine, ...]  # soonest first
    past: tuple[AppointmentLine, ...]  # most recent first
    reports: tuple[ReportLine, ...]
    messages: tuple[MessageLine, ...]  # newest first


def read_panel(session: Session, patient: PatientDetails, now: dt.datetime) -> PatientPanel:
    """Everything the panel shows of ``patient``, read in the caller's transaction."""
    patient_id = patient.id
    appointments = [
        AppointmentLine(
            id=row.id,
            reference=row.reference,
            start_at=row.start_at,
            end_at=row.end_at,
            scan=row.scan,
            room=row.room,
            status=AppointmentStatus(row.status),
            price=row.price,
            medical_aid_cover=row.medical_aid_cover,
            patient_copay=row.patient_copay,
            version=row.version,
        )
        for row in session.execute(
            select(
                Appointment.id,
                Appointment.reference,
                Appointment.start_at,
                Appointment.end_at,
                ScanType.name.label("scan"),
                Room.name.label("room"),
                Appointment.status,
                Appointment.price,
                Appointment.medical_aid_cover,
                Appointment.patient_copay,
                Appointment.version,
            )
            .join(ScanType, ScanType.id == Appointment.scan_type_id)
            .join(Room, Room.id == Appointment.room_id)
            .where(Appointment.patient_id == patient_id)
            .order_by(Appointment.start_at.desc())
            .limit(500)
        )
    ]
    reports = tuple(
        ReportLine(
            id=row.id,
            appointment_id=row.appointment_id,
            appointment_reference=row.reference,
            scan=row.scan,
            scanned_on=row.start_at,
            status=ReportStatus(row.status),
            finalised_at=row.finalised_at,
        )
        for row in session.execute(
            select(
                Report.id,
                Report.appointment_id,
                Appointment.reference,
                ScanType.name.label("scan"),
                Appointment.start_at,
                Report.status,
                Report.finalised_at,
            )
            .join(Appointment, Appointment.id == Report.appointment_id)
            .join(ScanType, ScanType.id == Appointment.scan_type_id)
            .where(Appointment.patient_id == patient_id)
            .order_by(Appointment.start_at.desc())
        )
    )
    messages = tuple(
        MessageLine(
            id=row.id,
            created_at=row.created_at,
            kind=row.kind,
            channel=row.channel,
            recipient=row.recipient,
            status=row.status,
            sent_at=row.sent_at,
            last_error=row.last_error,
            body=row.body,
        )
        for row in session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.created_at,
                OutboxMessage.kind,
                OutboxMessage.channel,
                OutboxMessage.recipient,
                OutboxMessage.status,
                OutboxMessage.sent_at,
                OutboxMessage.last_error,
                OutboxMessage.body,
            )
            .where(OutboxMessage.patient_id == patient_id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(200)
        )
    )
    balance = patient_balance(session, patient_id)
    upcoming = tuple(sorted((a for a in appointments if a.end_at > now), key=_start))
    past = tuple(a for a in appointments if a.end_at <= now)
    return PatientPanel(patient, balance, upcoming, past, reports, messages)


def _start(line: AppointmentLine) -> dt.datetime:
    return line.start_at
