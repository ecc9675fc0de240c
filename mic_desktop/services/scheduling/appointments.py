"""An appointment as the desk reads it, and what every change of one shares.

:data:`ALLOWED_MOVES` is the map of a visit's status moves. Every change locks the
appointment's row at the version the desk saw (:meth:`AppointmentService._locked`),
writes a status-history row with who, when and the workstation, and is audited.
:func:`appointment_details` reads everything the appointment dialog shows.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    AppointmentAttachment,
    AppointmentStatus,
    AppointmentStatusChange,
    MedicalAidPlan,
    PerformedProcedureStep,
    StaffUser,
    StepStatus,
    Urgency,
)
from mic_desktop.services.base import ClinicService
from mic_desktop.services.errors import NotFoundError, ServiceError
from mic_desktop.services.records import check_version

S = AppointmentStatus
ALLOWED_MOVES: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    S.PENDING: frozenset({S.CONFIRMED, S.ARRIVED, S.CANCELLED, S.NO_SHOW}),
    S.CONFIRMED: frozenset({S.ARRIVED, S.CANCELLED, S.NO_SHOW}),
    S.ARRIVED: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}
RESCHEDULABLE = frozenset({S.PENDING, S.CONFIRMED})
_VERBS = {
    S.CONFIRMED: "confirmed",
    S.ARRIVED: "checked in",
    S.IN_PROGRESS: "started",
    S.COMPLETED: "completed",
    S.CANCELLED: "cancelled",
    S.NO_SHOW: "marked as a no-show",
}


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: dt.datetime


@dataclass(frozen=True)
class StatusChangeLine:
    from_status: AppointmentStatus | None
    to_status: AppointmentStatus
    changed_at: dt.datetime
    changed_by: str | None
    reason: str | None
    workstation: str | None


@dataclass(frozen=True)
class AppointmentDetails:
    id: int
    reference: str
    patient_id: int
    patient_name: str
    mrn: str
    scan_type_id: int
    scan_code: str
    scan_name: str
    modality_code: str
    preparation: str
    room_id: int
    room_name: str
    radiologist_id: int | None
    radiologist_name: str | None
    referring_doctor_id: int | None
    referring_doctor_name: str | None
    start_at: dt.datetime
    end_at: dt.datetime
    status: AppointmentStatus
    urgency: Urgency
    clinical_notes: str
    preauthorisation_number: str | None
    medical_aid_plan_id: int | None
    plan_name: str | None
    price: Decimal
    medical_aid_cover: Decimal
    patient_copay: Decimal
    checked_in_at: dt.datetime | None
    scan_started_at: dt.datetime | None
    scan_completed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancellation_reason: str | None
    is_late_cancellation: bool
    cancellation_authorised_by: str | None
    created_at: dt.datetime
    version: int
    attachments: tuple[AttachmentInfo, ...]
    study_instance_uid: str = ""
    # The latest a scanner reported over DICOM (MPPS), e.g. "completed by CT1".
    modality_step: str | None = None

    @property
    def next_statuses(self) -> frozenset[AppointmentStatus]:
        """Where this appointment may move next (for enabling the desk's actions)."""
        return ALLOWED_MOVES[self.status]

    @property
    def can_reschedule(self) -> bool:
        return self.status in RESCHEDULABLE

    @property
    def on_worklist(self) -> bool:
        """Whether the room's scanners get it in their DICOM worklist."""
        return self.status in (S.CONFIRMED, S.ARRIVED)


def clean_text(value: str | None, limit: int | None = None) -> str | None:
    """Typed text on one line (NFC, single spaces), cut to ``limit``; None when empty."""
    cleaned = " ".join(unicodedata.normalize("NFC", value or "").split())
    if limit is not None:
        cleaned = cleaned[:limit]
    return cleaned or None


class AppointmentService(ClinicService):
    """Reading an appointment; the base of the services that change one."""

    # Set by a service acting for a scanner (DICOM MPPS) instead of a person.
    _modality_label: str | None = None

    def get(self, appointment_id: int) -> AppointmentDetails:
        with self._sessions() as session:
            return appointment_details(session, appointment_id)

    def history(self, appointment_id: int) -> list[StatusChangeLine]:
        """Every status change of the appointment, oldest first."""
        with self._sessions() as session:
            rows = session.execute(
                select(AppointmentStatusChange, StaffUser.full_name)
                .outerjoin(StaffUser, StaffUser.id == AppointmentStatusChange.changed_by_id)
                .where(AppointmentStatusChange.appointment_id == appointment_id)
                .order_by(AppointmentStatusChange.changed_at, AppointmentStatusChange.id)
            ).all()
        return [
            StatusChangeLine(
                from_status=S(change.from_status) if change.from_status else None,
                to_status=S(change.to_status),
                changed_at=change.changed_at,
                changed_by=name
                or (
                    f"modality {change.changed_by_modality}" if change.changed_by_modality else None
                ),
                reason=change.reason,
                workstation=change.workstation,
            )
            for change, name in rows
        ]

    # --------------------------------------------------------------- internal

    @staticmethod
    def _check_move(appointment: Appointment, target: AppointmentStatus) -> None:
        current = S(appointment.status)
        if target not in ALLOWED_MOVES[current]:
            raise ServiceError(f"A {current.label.lower()} appointment cannot be {_VERBS[target]}.")

    def _locked(self, session: Session, appointment_id: int, expected_version: int) -> Appointment:
        appointment = session.scalars(
            select(Appointment).where(Appointment.id == appointment_id).with_for_update()
        ).one_or_none()
        if appointment is None:
            raise NotFoundError("This appointment no longer exists.")
        check_version(
            session,
            appointment.version,
            expected_version,
            "This appointment",
            "appointment",
            appointment.id,
        )
        return appointment

    def _history(
        self,
        session: Session,
        appointment: Appointment,
        previous: AppointmentStatus | None,
        target: AppointmentStatus,
        reason: str | None,
        now: dt.datetime,
    ) -> None:
        session.add(
            AppointmentStatusChange(
                appointment_id=appointment.id,
                from_status=previous.value if previous else None,
                to_status=target.value,
                changed_by_id=self._actor.id if self._actor is not None else None,
                changed_at=now,
                reason=reason,
                workstation=self._workstation,
                changed_by_modality=self._modality_label,
            )
        )

    def _audit(
        self, session: Session, action: str, appointment: Appointment, details: dict[str, Any]
    ) -> None:
        self._audit_change(session, action, "appointment", appointment.id, details)


def attachment_info(row: AppointmentAttachment) -> AttachmentInfo:
    return AttachmentInfo(
        row.id, row.filename, row.content_type, row.size_bytes, row.sha256, row.uploaded_at
    )


def appointment_details(session: Session, appointment_id: int) -> AppointmentDetails:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFoundError("This appointment no longer exists.")
    names = dict(
        session.execute(
            select(StaffUser.id, StaffUser.full_name).where(
                StaffUser.id.in_(
                    [
                        i
                        for i in (
                            appointment.radiologist_id,
                            appointment.cancellation_authorised_by_id,
                        )
                        if i is not None
                    ]
                )
            )
        ).all()
    )
    plan = (
        session.get(MedicalAidPlan, appointment.medical_aid_plan_id)
        if appointment.medical_aid_plan_id
        else None
    )
    attachments = session.scalars(
        select(AppointmentAttachment)
        .where(AppointmentAttachment.appointment_id == appointment.id)
        .order_by(AppointmentAttachment.id)
    ).all()
    step = session.execute(
        select(
            PerformedProcedureStep.status,
            PerformedProcedureStep.ae_title,
            PerformedProcedureStep.discontinued_reason,
        )
        .where(PerformedProcedureStep.appointment_id == appointment.id)
        .order_by(PerformedProcedureStep.id.desc())
        .limit(1)
    ).first()
    patient, scan = appointment.patient, appointment.scan_type
    doctor = appointment.referring_doctor
    return AppointmentDetails(
        id=appointment.id,
        reference=appointment.reference,
        patient_id=patient.id,
        patient_name=patient.full_name,
        mrn=patient.mrn,
        scan_type_id=scan.id,
        scan_code=scan.code,
        scan_name=scan.name,
        modality_code=scan.modality.code,
        preparation=scan.preparation,
        room_id=appointment.room_id,
        room_name=appointment.room.name,
        radiologist_id=appointment.radiologist_id,
        radiologist_name=names.get(appointment.radiologist_id),
        referring_doctor_id=appointment.referring_doctor_id,
        referring_doctor_name=doctor.full_name if doctor is not None else None,
        start_at=appointment.start_at,
        end_at=appointment.end_at,
        status=S(appointment.status),
        urgency=Urgency(appointment.urgency),
        clinical_notes=appointment.clinical_notes,
        preauthorisation_number=appointment.preauthorisation_number,
        medical_aid_plan_id=appointment.medical_aid_plan_id,
        plan_name=plan.display_name if plan is not None else None,
        price=appointment.price,
        medical_aid_cover=appointment.medical_aid_cover,
        patient_copay=appointment.patient_copay,
        checked_in_at=appointment.checked_in_at,
        scan_started_at=appointment.scan_started_at,
        scan_completed_at=appointment.scan_completed_at,
        cancelled_at=appointment.cancelled_at,
        cancellation_reason=appointment.cancellation_reason,
        is_late_cancellation=appointment.is_late_cancellation,
        cancellation_authorised_by=names.get(appointment.cancellation_authorised_by_id),
        created_at=appointment.created_at,
        version=appointment.version,
        attachments=tuple(attachment_info(row) for row in attachments),
        study_instance_uid=appointment.study_instance_uid,
        modality_step=(
            f"{StepStatus(step[0]).label} by {step[1]}" + (f": {step[2]}" if step[2] else "")
            if step
            else None
        ),
    )
