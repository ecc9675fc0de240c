"""Medical-aid claims: claiming a visit's cover, and what the medical aid paid of it.

A claim asks the patient's plan for the appointment's medical-aid cover once the
patient has attended. Recording the settlement turns any difference into a
shortfall the patient owes, kept on the claim so it can be followed up; a
rejected claim's whole amount becomes the patient's (see
:mod:`~mic_desktop.services.billing.balances`). Reception reaches these through
:class:`~mic_desktop.services.billing.payments.PaymentService`, which is also the
claims desk.

Every change announces itself on ``LiveChannel.PAYMENT`` with the *patient's* id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    ClaimStatus,
    MedicalAidClaim,
    MedicalAidPlan,
    Patient,
    ScanType,
)
from mic_desktop.services import live
from mic_desktop.services.base import ClinicService
from mic_desktop.services.billing.balances import ATTENDED_STATUSES
from mic_desktop.services.errors import NotFoundError, ServiceError, ValidationError
from mic_desktop.services.formats import money
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.records import check_version, stale_guard
from mic_desktop.services.text_checks import NOTES_MAX, check_text

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ClaimRecord:
    id: int
    appointment_id: int
    appointment_reference: str
    appointment_start: dt.datetime
    scan: str
    patient_id: int
    patient_name: str
    mrn: str
    plan_id: int
    plan_name: str
    member_number: str
    claimed_amount: Decimal
    status: ClaimStatus
    submitted_at: dt.datetime
    settled_amount: Decimal | None
    settled_at: dt.datetime | None
    shortfall: Decimal
    notes: str | None
    version: int


class ClaimService(ClinicService):
    """Submit, settle, reject and list medical-aid claims."""

    def submit_claim(self, appointment_id: int) -> ClaimRecord:
        """Claim the appointment's medical-aid cover from the patient's plan."""
        with self._sessions.begin() as session:
            appointment = session.scalars(
                select(Appointment).where(Appointment.id == appointment_id).with_for_update()
            ).one_or_none()
            if appointment is None:
                raise NotFoundError("This appointment no longer exists.")
            if appointment.status not in ATTENDED_STATUSES:
                raise ServiceError("A claim can be made once the patient has attended.")
            if appointment.medical_aid_plan_id is None or appointment.medical_aid_cover <= 0:
                raise ServiceError("This appointment has no medical-aid cover to claim.")
            member_number = appointment.patient.medical_aid_member_number
            if not member_number:
                raise ValidationError(
                    "The patient has no medical-aid member number: add it first.",
                    "medical_aid_member_number",
                )
            existing = session.scalar(
                select(MedicalAidClaim.id).where(MedicalAidClaim.appointment_id == appointment_id)
            )
            if existing is not None:
                raise ServiceError("This appointment has already been claimed.")
            claim = MedicalAidClaim(
                appointment_id=appointment.id,
                plan_id=appointment.medical_aid_plan_id,
                member_number=member_number,
                claimed_amount=appointment.medical_aid_cover,
                status=ClaimStatus.SUBMITTED.value,
                submitted_at=self._clock(),
                shortfall=ZERO,
            )
            session.add(claim)
            try:
                session.flush()
            except IntegrityError:
                raise ServiceError("This appointment has already been claimed.") from None
            self._audit(
                session,
                "claim_submitted",
                "medical_aid_claim",
                claim.id,
                {"appointment": appointment.reference, "claimed": str(claim.claimed_amount)},
            )
            live.notify(session, LiveChannel.PAYMENT, appointment.patient_id)
            return _claim_record(session, claim.id)

    def record_settlement(
        self,
        claim_id: int,
        settled_amount: Decimal | str,
        expected_version: int,
        *,
        notes: str | None = None,
    ) -> ClaimRecord:
        """What the medical aid paid; any difference becomes the patient's shortfall."""
        try:
            settled = money(Decimal(settled_amount))
        except (InvalidOperation, TypeError, ValueError):
            raise ValidationError(
                "The settled amount is not an amount.", "settled_amount"
            ) from None
        if settled < 0:
            raise ValidationError("The settled amount cannot be negative.", "settled_amount")
        with self._sessions.begin() as session:
            claim = self._locked_claim(session, claim_id, expected_version)
            if settled > claim.claimed_amount:
                raise ValidationError(
                    "The settled amount is more than was claimed.", "settled_amount"
                )
            claim.status = ClaimStatus.SETTLED.value
            claim.settled_amount = settled
            claim.settled_at = self._clock()
            claim.shortfall = claim.claimed_amount - settled
            claim.notes = _note(notes) or claim.notes
            return self._finish_claim(session, claim, "claim_settled")

    def reject_claim(self, claim_id: int, expected_version: int, reason: str) -> ClaimRecord:
        """The medical aid paid nothing: the whole claimed amount is owed by the patient."""
        reason_text = _note(reason, "reason")
        if not reason_text:
            raise ValidationError("Give the medical aid's reason for the rejection.", "reason")
        with self._sessions.begin() as session:
            claim = self._locked_claim(session, claim_id, expected_version)
            claim.status = ClaimStatus.REJECTED.value
            claim.settled_amount = ZERO
            claim.settled_at = self._clock()
            claim.shortfall = claim.claimed_amount
            claim.notes = reason_text
            return self._finish_claim(session, claim, "claim_rejected")

    def claims(
        self,
        *,
        status: ClaimStatus | None = None,
        patient_id: int | None = None,
        with_shortfall: bool = False,
        limit: int = 500,
    ) -> list[ClaimRecord]:
        """Claims, newest first: all, by status, of a patient, or those with a shortfall."""
        with self._sessions() as session:
            query = _claim_select()
            if status is not None:
                query = query.where(MedicalAidClaim.status == ClaimStatus(status).value)
            if patient_id is not None:
                query = query.where(Appointment.patient_id == patient_id)
            if with_shortfall:
                query = query.where(MedicalAidClaim.shortfall > 0)
            rows = session.execute(
                query.order_by(
                    MedicalAidClaim.submitted_at.desc(), MedicalAidClaim.id.desc()
                ).limit(limit)
            ).all()
            return [_claim_from_row(row) for row in rows]

    # ---------------------------------------------------------------- internal

    def _locked_claim(
        self, session: Session, claim_id: int, expected_version: int
    ) -> MedicalAidClaim:
        claim = session.scalars(
            select(MedicalAidClaim).where(MedicalAidClaim.id == claim_id).with_for_update()
        ).one_or_none()
        if claim is None:
            raise NotFoundError("This claim no longer exists.")
        check_version(
            session, claim.version, expected_version, "This claim", "medical_aid_claim", claim.id
        )
        if claim.status != ClaimStatus.SUBMITTED.value:
            raise ServiceError(f"This claim is already {claim.status}.")
        return claim

    def _finish_claim(self, session: Session, claim: MedicalAidClaim, action: str) -> ClaimRecord:
        with stale_guard("This claim"):
            session.flush()
        self._audit(
            session,
            action,
            "medical_aid_claim",
            claim.id,
            {
                "settled": str(claim.settled_amount),
                "shortfall": str(claim.shortfall),
                "notes": claim.notes,
            },
        )
        live.notify(session, LiveChannel.PAYMENT, claim.appointment.patient_id)
        return _claim_record(session, claim.id)

    _audit = ClinicService._audit_change


def _note(text: str | None, field: str = "notes") -> str | None:
    cleaned = " ".join(check_text(text, field, "The note").split())
    return check_text(cleaned, field, "The note", NOTES_MAX) or None


def _claim_select():  # type: ignore[no-untyped-def]
    return (
        select(
            MedicalAidClaim,
            Appointment.reference,
            Appointment.start_at,
            ScanType.name.label("scan"),
            Patient.id.label("patient_id"),
            Patient.first_name,
            Patient.last_name,
            Patient.mrn,
            MedicalAidPlan,
        )
        .join(Appointment, Appointment.id == MedicalAidClaim.appointment_id)
        .join(ScanType, ScanType.id == Appointment.scan_type_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(MedicalAidPlan, MedicalAidPlan.id == MedicalAidClaim.plan_id)
    )


def _claim_from_row(row: Any) -> ClaimRecord:
    claim: MedicalAidClaim = row[0]
    plan: MedicalAidPlan = row[8]
    return ClaimRecord(
        id=claim.id,
        appointment_id=claim.appointment_id,
        appointment_reference=row.reference,
        appointment_start=row.start_at,
        scan=row.scan,
        patient_id=row.patient_id,
        patient_name=f"{row.first_name} {row.last_name}",
        mrn=row.mrn,
        plan_id=claim.plan_id,
        plan_name=plan.display_name,
        member_number=claim.member_number,
        claimed_amount=claim.claimed_amount,
        status=ClaimStatus(claim.status),
        submitted_at=claim.submitted_at,
        settled_amount=claim.settled_amount,
        settled_at=claim.settled_at,
        shortfall=claim.shortfall,
        notes=claim.notes,
        version=claim.version,
    )


def _claim_record(session: Session, claim_id: int) -> ClaimRecord:
    row = session.execute(_claim_select().where(MedicalAidClaim.id == claim_id)).one()
    return _claim_from_row(row)
