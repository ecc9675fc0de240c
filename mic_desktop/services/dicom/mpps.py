"""Modality Performed Procedure Step: what a scanner reports it did to an appointment.

N-CREATE "IN PROGRESS" for a known accession number (the booking reference) moves a
confirmed or arrived appointment to in scan; N-SET "COMPLETED" completes it;
"DISCONTINUED" records the reason and leaves the appointment for reception. The moves
go through :class:`~mic_desktop.services.scheduling.visit_status.VisitStatusService`,
so they follow the desk's rules, stand in the status history as done "by modality
CT 1 (CT1)", are audited and reach the other desks as live updates. What cannot be
matched is refused with a DICOM failure status (:attr:`MppsError.status`), logged and
audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    PerformedProcedureStep,
    StepStatus,
)
from mic_desktop.services import audit, live
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.dicom.devices import device_by_ae_title
from mic_desktop.services.errors import ServiceError
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.scheduling.visit_status import VisitStatusService

log = logging.getLogger(__name__)
S = AppointmentStatus

INVALID_ATTRIBUTE_VALUE = 0x0106
PROCESSING_FAILURE = 0x0110
DUPLICATE_SOP_INSTANCE = 0x0111
NO_SUCH_SOP_INSTANCE = 0x0112

# The moves a scanner's report makes, from the appointment's status now.
_PATHS: dict[StepStatus, dict[AppointmentStatus, tuple[AppointmentStatus, ...]]] = {
    StepStatus.IN_PROGRESS: {
        S.CONFIRMED: (S.ARRIVED, S.IN_PROGRESS),
        S.ARRIVED: (S.IN_PROGRESS,),
    },
    StepStatus.COMPLETED: {
        S.CONFIRMED: (S.ARRIVED, S.IN_PROGRESS, S.COMPLETED),
        S.ARRIVED: (S.IN_PROGRESS, S.COMPLETED),
        S.IN_PROGRESS: (S.COMPLETED,),
    },
}
_ACTIONS = {
    S.ARRIVED: "appointment_checked_in",
    S.IN_PROGRESS: "scan_started",
    S.COMPLETED: "scan_completed",
}


class MppsError(ServiceError):
    """A report the service refuses; ``status`` is the DICOM failure status to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class StepOutcome:
    appointment_id: int
    reference: str
    step: StepStatus
    appointment_status: AppointmentStatus


def parse_step_status(value: str | None) -> StepStatus:
    text = (value or "").strip().upper()
    for status in StepStatus:
        if status.dicom == text:
            return status
    raise MppsError(
        f"{value or 'No'} Performed Procedure Step Status: expected IN PROGRESS, COMPLETED "
        "or DISCONTINUED.",
        INVALID_ATTRIBUTE_VALUE,
    )


class ModalityStatusService(VisitStatusService):
    """The visit-status rules with a scanner, not a person, making the move."""

    _check_in_window_applies = False

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        modality_label: str,
        workstation: str,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(session_factory, None, workstation, clock)
        self._label = self._modality_label = modality_label

    def follow(self, appointment_id: int, moves: tuple[AppointmentStatus, ...]) -> None:
        for target in moves:
            self._move(appointment_id, None, target, _ACTIONS[target])

    def _audit_change(
        self,
        session: Session,
        action: str,
        entity: str,
        entity_id: object,
        details: dict[str, Any] | None = None,
    ) -> None:
        audit.record(
            session,
            action,
            username=f"modality {self._label}",
            entity=entity,
            entity_id=entity_id,
            details={**(details or {}), "by_modality": self._label},
            workstation=self._workstation,
        )


class MppsService:
    """N-CREATE and N-SET of the MPPS SOP class, for the DICOM server's handlers."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        workstation: str,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = session_factory
        self._workstation = workstation
        self._clock = clock

    def create(
        self, sop_instance_uid: str, calling_ae: str, accession: str | None, status: str | None
    ) -> StepOutcome:
        """A scanner started a procedure step for the appointment ``accession``."""
        label = self._label(calling_ae)
        step = parse_step_status(status)
        if step is not StepStatus.IN_PROGRESS:
            raise self._refused(
                calling_ae,
                accession,
                f"A new procedure step must be IN PROGRESS, not {step.dicom}.",
                INVALID_ATTRIBUTE_VALUE,
            )
        reference = (accession or "").strip()
        try:
            with self._sessions.begin() as session:
                appointment = session.scalar(
                    select(Appointment).where(Appointment.reference == reference)
                )
                if appointment is None:
                    raise MppsError(
                        f"No appointment has the accession number {reference or '(none)'}.",
                        INVALID_ATTRIBUTE_VALUE,
                    )
                session.add(
                    PerformedProcedureStep(
                        sop_instance_uid=sop_instance_uid,
                        appointment_id=appointment.id,
                        ae_title=calling_ae,
                        status=step.value,
                        updated_at=self._clock(),
                    )
                )
                session.flush()
                appointment_id, current = appointment.id, S(appointment.status)
        except IntegrityError:
            raise self._refused(
                calling_ae,
                accession,
                f"The procedure step {sop_instance_uid} exists already.",
                DUPLICATE_SOP_INSTANCE,
            ) from None
        except MppsError as error:
            raise self._refused(calling_ae, accession, str(error), error.status) from None
        return self._apply(appointment_id, reference, step, current, label, None)

    def update(
        self,
        sop_instance_uid: str,
        calling_ae: str,
        status: str | None,
        reason: str | None = None,
    ) -> StepOutcome:
        """The scanner changed its step: still in progress, completed or discontinued."""
        label = self._label(calling_ae)
        step = parse_step_status(status) if status else StepStatus.IN_PROGRESS
        with self._sessions.begin() as session:
            row = session.scalars(
                select(PerformedProcedureStep)
                .where(PerformedProcedureStep.sop_instance_uid == sop_instance_uid)
                .with_for_update()
            ).one_or_none()
            if row is None:
                message = f"No procedure step {sop_instance_uid} was started here."
            elif row.status != StepStatus.IN_PROGRESS.value:
                message = (
                    f"The procedure step {sop_instance_uid} is {StepStatus(row.status).dicom} "
                    "and may no longer be updated."
                )
            else:
                message = ""
                row.status = step.value
                row.discontinued_reason = reason if step is StepStatus.DISCONTINUED else None
                row.updated_at = self._clock()
                appointment = session.get(Appointment, row.appointment_id)
                assert appointment is not None
                reference, current = appointment.reference, S(appointment.status)
                appointment_id = appointment.id
        if message:
            code = NO_SUCH_SOP_INSTANCE if row is None else PROCESSING_FAILURE
            raise self._refused(calling_ae, sop_instance_uid, message, code)
        return self._apply(appointment_id, reference, step, current, label, reason)

    # --------------------------------------------------------------- internal

    def _apply(
        self,
        appointment_id: int,
        reference: str,
        step: StepStatus,
        current: AppointmentStatus,
        label: str,
        reason: str | None,
    ) -> StepOutcome:
        moves = _PATHS.get(step, {}).get(current, ())
        mover = ModalityStatusService(self._sessions, label, self._workstation, self._clock)
        if moves:
            mover.follow(appointment_id, moves)
        else:  # nothing moves: the report is still recorded, audited and shown
            with self._sessions.begin() as session:
                audit.record(
                    session,
                    f"scan_{step.value}_by_modality",
                    username=f"modality {label}",
                    entity="appointment",
                    entity_id=appointment_id,
                    details={"reference": reference, "reason": reason, "status": current.value},
                    workstation=self._workstation,
                )
                live.notify(session, LiveChannel.APPOINTMENT, appointment_id)
        final = moves[-1] if moves else current
        log.info("MPPS %s from %s for %s: appointment %s", step.dicom, label, reference, final)
        return StepOutcome(appointment_id, reference, step, final)

    def _label(self, calling_ae: str) -> str:
        with self._sessions() as session:
            device = device_by_ae_title(session, calling_ae)
        return device.label if device is not None else f"{calling_ae} (AE title)"

    def _refused(self, calling_ae: str, about: str | None, message: str, status: int) -> MppsError:
        log.warning("MPPS from %s refused (0x%04X): %s", calling_ae, status, message)
        with self._sessions.begin() as session:
            audit.record(
                session,
                "dicom_mpps_refused",
                username=f"modality {calling_ae}",
                entity="dicom",
                entity_id=about,
                details={"ae_title": calling_ae, "status": f"0x{status:04X}", "reason": message},
                workstation=self._workstation,
            )
        return MppsError(message, status)
