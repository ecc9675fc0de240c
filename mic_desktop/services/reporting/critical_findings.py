"""Critical results: flagged when a report is finalised, open until someone records who was told.

The unacknowledged list is shown to radiologists and the manager, oldest first; a
result still open after the clinic's ``critical_escalation_minutes`` is marked
escalated for the manager's window. Acknowledging records who was told, by what
means and when; a conditional UPDATE makes sure two desks cannot both record it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session, aliased

from mic_desktop.models import (
    Appointment,
    ClinicSettings,
    CriticalFinding,
    Patient,
    ReferringDoctor,
    Report,
    Role,
    ScanType,
    StaffUser,
)
from mic_desktop.services import audit, live
from mic_desktop.services.base import ClinicService
from mic_desktop.services.errors import NotFoundError, PermissionDeniedError, ValidationError
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.reporting.errors import CriticalFindingAlreadyAcknowledgedError

DEFAULT_ESCALATION_MINUTES = 60
# A clock a minute ahead on another PC must not make "just now" look like the future.
_FUTURE_TOLERANCE = dt.timedelta(minutes=5)


class CommunicationMethod(StrEnum):
    PHONE = "phone"
    IN_PERSON = "in_person"
    EMAIL = "email"
    SMS = "sms"

    @property
    def label(self) -> str:
        return {
            "phone": "Phone",
            "in_person": "In person",
            "email": "E-mail",
            "sms": "SMS",
        }[self.value]


@dataclass(frozen=True)
class CriticalResult:
    """A flagged critical finding with what is needed to act on it."""

    id: int
    report_id: int
    appointment_id: int
    reference: str
    patient_name: str
    mrn: str
    scan_type: str
    description: str
    flagged_by_name: str
    flagged_at: dt.datetime
    referring_doctor: str | None
    referring_doctor_phone: str | None
    referring_doctor_email: str | None
    minutes_open: int
    escalated: bool
    communicated_to: str | None = None
    communication_method: CommunicationMethod | None = None
    communicated_at: dt.datetime | None = None
    acknowledged_by_name: str | None = None
    acknowledged_at: dt.datetime | None = None

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class CriticalFindingService(ClinicService):
    def unacknowledged(self) -> list[CriticalResult]:
        """Critical results nobody has recorded as communicated, oldest first."""
        self._require()
        with self._sessions() as session:
            return self._results(session, CriticalFinding.acknowledged_at.is_(None))

    def get(self, finding_id: int) -> CriticalResult:
        self._require()
        with self._sessions() as session:
            found = self._results(session, CriticalFinding.id == finding_id)
        if not found:
            raise NotFoundError("This critical result no longer exists.")
        return found[0]

    def acknowledge(
        self,
        finding_id: int,
        *,
        communicated_to: str,
        method: CommunicationMethod | str,
        communicated_at: dt.datetime | None = None,
    ) -> CriticalResult:
        """Record who was told, how and when; the result then leaves the open list."""
        self._require()
        now = self._clock()
        told = " ".join(communicated_to.split())
        if not told:
            raise ValidationError(
                "Say who was told, e.g. the referring doctor's name.", "communicated_to"
            )
        if len(told) > 200:
            raise ValidationError("Keep the name under 200 characters.", "communicated_to")
        try:
            method = CommunicationMethod(method)
        except ValueError:
            raise ValidationError("Choose how the result was communicated.", "method") from None
        when = communicated_at or now
        if when.tzinfo is None:
            raise ValidationError("The time needs a time zone.", "communicated_at")
        if when > now + _FUTURE_TOLERANCE:
            raise ValidationError(
                "The time it was communicated is in the future.", "communicated_at"
            )
        with self._sessions.begin() as session:
            result = session.execute(
                update(CriticalFinding)
                .where(CriticalFinding.id == finding_id, CriticalFinding.acknowledged_at.is_(None))
                .values(
                    communicated_to=told,
                    communication_method=method.value,
                    communicated_at=when,
                    acknowledged_by_id=self._actor.id,
                    acknowledged_at=now,
                )
                .returning(CriticalFinding.report_id)
                .execution_options(synchronize_session=False)
            ).one_or_none()
            if result is None:
                existing = session.get(CriticalFinding, finding_id)
                if existing is None:
                    raise NotFoundError("This critical result no longer exists.")
                method_label = CommunicationMethod(existing.communication_method).label.lower()
                raise CriticalFindingAlreadyAcknowledgedError(
                    f"{existing.communicated_to}, {method_label}"
                )
            audit.record(
                session,
                "critical_finding_acknowledged",
                staff_id=self._actor.id,
                username=self._actor.username,
                entity="critical_finding",
                entity_id=finding_id,
                details={
                    "report_id": result.report_id,
                    "communicated_to": told,
                    "method": method.value,
                    "communicated_at": when.isoformat(),
                },
                workstation=self._workstation,
            )
            live.notify(session, LiveChannel.REPORT, result.report_id)
            return self._results(session, CriticalFinding.id == finding_id)[0]

    def _require(self) -> None:
        if self._actor.role not in (Role.RADIOLOGIST, Role.MANAGER):
            raise PermissionDeniedError(
                "Critical results are handled by the radiologists and the practice manager."
            )

    def _results(self, session: Session, condition) -> list[CriticalResult]:  # type: ignore[no-untyped-def]
        now = self._clock()
        flagged_by = aliased(StaffUser)
        acknowledged_by = aliased(StaffUser)
        escalation = (
            select(ClinicSettings.critical_escalation_minutes)
            .where(ClinicSettings.id == 1)
            .scalar_subquery()
        )
        minutes = func.coalesce(escalation, DEFAULT_ESCALATION_MINUTES)
        escalated = CriticalFinding.acknowledged_at.is_(None) & (
            CriticalFinding.flagged_at <= literal(now) - func.make_interval(0, 0, 0, 0, 0, minutes)
        )
        rows = session.execute(
            select(
                CriticalFinding,
                Report.appointment_id,
                Appointment.reference,
                Patient.first_name,
                Patient.last_name,
                Patient.mrn,
                ScanType.name,
                flagged_by.full_name,
                ReferringDoctor.full_name,
                ReferringDoctor.phone,
                ReferringDoctor.email,
                acknowledged_by.full_name,
                escalated,
            )
            .join(Report, Report.id == CriticalFinding.report_id)
            .join(Appointment, Appointment.id == Report.appointment_id)
            .join(Patient, Patient.id == Appointment.patient_id)
            .join(ScanType, ScanType.id == Appointment.scan_type_id)
            .join(flagged_by, flagged_by.id == CriticalFinding.flagged_by_id)
            .outerjoin(ReferringDoctor, ReferringDoctor.id == Appointment.referring_doctor_id)
            .outerjoin(acknowledged_by, acknowledged_by.id == CriticalFinding.acknowledged_by_id)
            .where(condition)
            .order_by(CriticalFinding.flagged_at, CriticalFinding.id)
        ).all()
        results = []
        for row in rows:
            finding: CriticalFinding = row[0]
            end = finding.acknowledged_at or now
            results.append(
                CriticalResult(
                    id=finding.id,
                    report_id=finding.report_id,
                    appointment_id=row[1],
                    reference=row[2],
                    patient_name=f"{row[3]} {row[4]}",
                    mrn=row[5],
                    scan_type=row[6],
                    description=finding.description,
                    flagged_by_name=row[7],
                    flagged_at=finding.flagged_at,
                    referring_doctor=row[8],
                    referring_doctor_phone=row[9],
                    referring_doctor_email=row[10],
                    minutes_open=max(0, int((end - finding.flagged_at).total_seconds() // 60)),
                    escalated=bool(row[12]),
                    communicated_to=finding.communicated_to,
                    communication_method=(
                        CommunicationMethod(finding.communication_method)
                        if finding.communication_method
                        else None
                    ),
                    communicated_at=finding.communicated_at,
                    acknowledged_by_name=row[11],
                    acknowledged_at=finding.acknowledged_at,
                )
            )
        return results
