"""Money at the front desk: payments, refunds, balances and medical-aid claims.

A payment is never edited: a refund is a new, negative entry with a reason that
points at the payment it gives back, and never more than was paid. Each entry
gets the next receipt number (``R0000001``...) of a gapless series.

What a patient owes = co-payments of visits they attended (arrived, in scan or
completed) + shortfalls of medical-aid claims that were settled for less than
claimed or rejected - payments + refunds. A claim asks the medical aid for the
appointment's cover; recording its settlement turns any difference into a
shortfall the patient owes, kept on the claim so it can be followed up; a
rejected claim's whole amount becomes the patient's.

Every change announces itself on ``LiveChannel.PAYMENT`` with the *patient's* id,
so an open patient panel or balance knows to reload.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    ClaimStatus,
    MedicalAidClaim,
    MedicalAidPlan,
    Patient,
    Payment,
    PaymentMethod,
    ScanType,
    StaffUser,
)
from mic_desktop.services import live
from mic_desktop.services.base import ClinicService
from mic_desktop.services.documents.letterhead import load_letterhead
from mic_desktop.services.documents.receipt import ReceiptData, render_receipt
from mic_desktop.services.errors import NotFoundError, ServiceError, ValidationError
from mic_desktop.services.formats import format_money, money
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.messaging import notifications
from mic_desktop.services.records import (
    check_version,
    clinic_settings,
    next_document_number,
    stale_guard,
)

# Visits whose co-payment the patient owes.
ATTENDED_STATUSES = (
    AppointmentStatus.ARRIVED.value,
    AppointmentStatus.IN_PROGRESS.value,
    AppointmentStatus.COMPLETED.value,
)
# Claims whose shortfall (claimed less settled; all of it when rejected) the patient owes.
SHORTFALL_STATUSES = (ClaimStatus.SETTLED.value, ClaimStatus.REJECTED.value)
MAX_AMOUNT = Decimal("9999999999.99")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PatientBalance:
    patient_id: int
    charges: Decimal  # co-payments of attended visits
    shortfalls: Decimal  # what medical aids did not pay of their claims
    paid: Decimal  # payments received
    refunded: Decimal  # refunds given back (a positive number)

    @property
    def balance(self) -> Decimal:
        """What the patient owes; negative when they are in credit."""
        return self.charges + self.shortfalls - self.paid + self.refunded


@dataclass(frozen=True)
class PaymentRecord:
    id: int
    receipt_number: str
    patient_id: int
    appointment_id: int | None
    method: PaymentMethod
    amount: Decimal  # negative for a refund
    amount_tendered: Decimal | None
    change_due: Decimal | None
    reference: str | None
    refund_of_id: int | None
    refund_reason: str | None
    received_at: dt.datetime
    received_by: str | None
    workstation: str | None

    @property
    def is_refund(self) -> bool:
        return self.amount < 0


@dataclass(frozen=True)
class PaymentResult:
    """A payment or refund just written, with the patient's balance after it."""

    payment: PaymentRecord
    balance: PatientBalance


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


def patient_balance(session: Session, patient_id: int) -> PatientBalance:
    """The patient's balance, summed by the database in one query."""
    charges = (
        select(func.coalesce(func.sum(Appointment.patient_copay), 0))
        .where(Appointment.patient_id == patient_id, Appointment.status.in_(ATTENDED_STATUSES))
        .scalar_subquery()
    )
    shortfalls = (
        select(func.coalesce(func.sum(MedicalAidClaim.shortfall), 0))
        .join(Appointment, Appointment.id == MedicalAidClaim.appointment_id)
        .where(
            Appointment.patient_id == patient_id,
            MedicalAidClaim.status.in_(SHORTFALL_STATUSES),
        )
        .scalar_subquery()
    )
    paid = (
        select(func.coalesce(func.sum(Payment.amount).filter(Payment.amount > 0), 0))
        .where(Payment.patient_id == patient_id)
        .scalar_subquery()
    )
    refunded = (
        select(func.coalesce(-func.sum(Payment.amount).filter(Payment.amount < 0), 0))
        .where(Payment.patient_id == patient_id)
        .scalar_subquery()
    )
    row = session.execute(select(charges, shortfalls, paid, refunded)).one()
    return PatientBalance(patient_id, *(money(value) for value in row))


def _amount(value: Decimal | int | str, field: str, label: str) -> Decimal:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(f"{label} is not an amount.", field) from None
    if not amount.is_finite() or amount != money(amount):
        raise ValidationError(f"{label} has more than two decimals.", field)
    if amount <= 0:
        raise ValidationError(f"{label} must be more than zero.", field)
    if amount > MAX_AMOUNT:
        raise ValidationError(f"{label} is too large.", field)
    return money(amount)


def _method(value: PaymentMethod | str) -> PaymentMethod:
    try:
        return PaymentMethod(value)
    except ValueError:
        raise ValidationError("Choose how the patient pays.", "method") from None


class PaymentService(ClinicService):
    # ---------------------------------------------------------------- payments

    def take_payment(
        self,
        patient_id: int,
        amount: Decimal | str,
        method: PaymentMethod | str,
        *,
        appointment_id: int | None = None,
        amount_tendered: Decimal | str | None = None,
        reference: str | None = None,
    ) -> PaymentResult:
        """Record money received; cash may be tendered in excess (change is due)."""
        amount = _amount(amount, "amount", "The amount")
        method = _method(method)
        tendered: Decimal | None = None
        if method is PaymentMethod.CASH and amount_tendered not in (None, ""):
            tendered = _amount(amount_tendered, "amount_tendered", "The cash tendered")
            if tendered < amount:
                raise ValidationError(
                    "The cash tendered is less than the amount paid.", "amount_tendered"
                )
        reference = (reference or "").strip()[:80] or None
        with self._sessions.begin() as session:
            settings = clinic_settings(session)
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise NotFoundError("This patient no longer exists.")
            if appointment_id is not None:
                appointment = session.get(Appointment, appointment_id)
                if appointment is None or appointment.patient_id != patient_id:
                    raise ValidationError(
                        "This appointment is not the patient's.", "appointment_id"
                    )
            payment = Payment(
                receipt_number=f"R{next_document_number(session, 'receipt'):07d}",
                patient_id=patient_id,
                appointment_id=appointment_id,
                method=method.value,
                amount=amount,
                amount_tendered=tendered,
                reference=reference,
                received_by_id=self._actor.id,
                received_at=self._clock(),
                workstation=self._workstation,
            )
            session.add(payment)
            session.flush()
            notifications.queue_payment_confirmation(session, payment, settings.currency)
            details: dict[str, Any] = {
                "receipt": payment.receipt_number,
                "amount": str(amount),
                "method": method.value,
            }
            if tendered is not None:
                details["tendered"] = str(tendered)
            self._audit(session, "payment_received", "payment", payment.id, details)
            live.notify(session, LiveChannel.PAYMENT, patient_id)
            return PaymentResult(
                self._record(session, payment), patient_balance(session, patient_id)
            )

    def refund(
        self,
        payment_id: int,
        amount: Decimal | str,
        reason: str,
        *,
        method: PaymentMethod | str | None = None,
    ) -> PaymentResult:
        """Give back (part of) a payment as a new negative entry; never more than was paid."""
        amount = _amount(amount, "amount", "The refund")
        reason = " ".join((reason or "").split())
        if not reason:
            raise ValidationError("Give the reason for the refund.", "reason")
        with self._sessions.begin() as session:
            settings = clinic_settings(session)
            original = session.scalars(
                select(Payment).where(Payment.id == payment_id).with_for_update()
            ).one_or_none()
            if original is None:
                raise NotFoundError("This payment no longer exists.")
            if original.amount < 0:
                raise ValidationError("A refund cannot be refunded.", "amount")
            refunded = -session.execute(
                select(func.coalesce(func.sum(Payment.amount), 0)).where(
                    Payment.refund_of_id == original.id
                )
            ).scalar_one()
            refundable = original.amount - refunded
            if amount > refundable:
                raise ValidationError(
                    f"At most {format_money(refundable, settings.currency)} of receipt "
                    f"{original.receipt_number} can still be refunded.",
                    "amount",
                )
            refund_method = (
                _method(method) if method is not None else PaymentMethod(original.method)
            )
            payment = Payment(
                receipt_number=f"R{next_document_number(session, 'receipt'):07d}",
                patient_id=original.patient_id,
                appointment_id=original.appointment_id,
                method=refund_method.value,
                amount=-amount,
                refund_of_id=original.id,
                refund_reason=reason,
                received_by_id=self._actor.id,
                received_at=self._clock(),
                workstation=self._workstation,
            )
            session.add(payment)
            session.flush()
            self._audit(
                session,
                "payment_refunded",
                "payment",
                payment.id,
                {
                    "receipt": payment.receipt_number,
                    "refund_of": original.receipt_number,
                    "amount": str(amount),
                    "reason": reason,
                },
            )
            live.notify(session, LiveChannel.PAYMENT, original.patient_id)
            return PaymentResult(
                self._record(session, payment), patient_balance(session, original.patient_id)
            )

    def balance(self, patient_id: int) -> PatientBalance:
        with self._sessions() as session:
            return patient_balance(session, patient_id)

    def payments(self, patient_id: int, limit: int = 500) -> list[PaymentRecord]:
        """The patient's payments and refunds, newest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Payment)
                .where(Payment.patient_id == patient_id)
                .order_by(Payment.received_at.desc(), Payment.id.desc())
                .limit(limit)
            ).all()
            return [self._record(session, row) for row in rows]

    def receipt(self, payment_id: int) -> ReceiptData:
        """What the printed receipt of ``payment_id`` shows."""
        with self._sessions() as session:
            return self._receipt_data(session, payment_id)

    def receipt_pdf(self, payment_id: int) -> bytes:
        """The receipt of a payment or refund as PDF bytes (to open, save or print)."""
        with self._sessions() as session:
            data = self._receipt_data(session, payment_id)
            letterhead = load_letterhead(session)
        return render_receipt(data, letterhead)

    # ------------------------------------------------------------------ claims

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
        reason_text = _note(reason)
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

    def _record(self, session: Session, payment: Payment) -> PaymentRecord:
        received_by = (
            session.get(StaffUser, payment.received_by_id) if payment.received_by_id else None
        )
        change = (
            payment.amount_tendered - payment.amount
            if payment.amount_tendered is not None
            else None
        )
        return PaymentRecord(
            id=payment.id,
            receipt_number=payment.receipt_number,
            patient_id=payment.patient_id,
            appointment_id=payment.appointment_id,
            method=PaymentMethod(payment.method),
            amount=payment.amount,
            amount_tendered=payment.amount_tendered,
            change_due=change,
            reference=payment.reference,
            refund_of_id=payment.refund_of_id,
            refund_reason=payment.refund_reason,
            received_at=payment.received_at,
            received_by=received_by.full_name if received_by is not None else None,
            workstation=payment.workstation,
        )

    def _receipt_data(self, session: Session, payment_id: int) -> ReceiptData:
        payment = session.get(Payment, payment_id)
        if payment is None:
            raise NotFoundError("This payment no longer exists.")
        record = self._record(session, payment)
        patient = session.get(Patient, payment.patient_id)
        assert patient is not None
        appointment = (
            session.get(Appointment, payment.appointment_id) if payment.appointment_id else None
        )
        original = session.get(Payment, payment.refund_of_id) if payment.refund_of_id else None
        return ReceiptData(
            receipt_number=payment.receipt_number,
            received_at=payment.received_at,
            patient_name=patient.full_name,
            mrn=patient.mrn,
            method=record.method.label,
            amount=payment.amount,
            amount_tendered=payment.amount_tendered,
            change_due=record.change_due,
            reference=payment.reference,
            received_by=record.received_by,
            appointment_reference=appointment.reference if appointment else None,
            scan_name=appointment.scan_type.name if appointment else None,
            appointment_start=appointment.start_at if appointment else None,
            refund_of_receipt=original.receipt_number if original else None,
            refund_reason=payment.refund_reason,
            balance=patient_balance(session, patient.id).balance,
            balance_at=self._clock(),
        )

    _audit = ClinicService._audit_change


def _note(text: str | None) -> str | None:
    cleaned = " ".join((text or "").split())
    return cleaned or None


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
