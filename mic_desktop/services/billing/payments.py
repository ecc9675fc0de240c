"""Money at the front desk: payments, refunds, receipts and balances.

A payment is never edited: a refund is a new, negative entry with a reason that
points at the payment it gives back, and never more than was paid. Each entry
gets the next receipt number (``R0000001``...) of a gapless series. What a patient
owes is the rule of :mod:`~mic_desktop.services.billing.balances`; medical-aid
claims are :mod:`~mic_desktop.services.billing.claims`, whose service
:class:`PaymentService` extends, so reception holds one billing service.

Every change announces itself on ``LiveChannel.PAYMENT`` with the *patient's* id,
so an open patient panel or balance knows to reload.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mic_desktop.models import Appointment, Patient, Payment, PaymentMethod, StaffUser
from mic_desktop.services import live
from mic_desktop.services.base import ClinicService
from mic_desktop.services.billing.balances import PatientBalance, patient_balance
from mic_desktop.services.billing.claims import ClaimService
from mic_desktop.services.documents.letterhead import load_letterhead
from mic_desktop.services.documents.receipt import ReceiptData, render_receipt
from mic_desktop.services.errors import NotFoundError, ValidationError
from mic_desktop.services.formats import format_money, money
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.messaging import notifications
from mic_desktop.services.records import clinic_settings, next_document_number
from mic_desktop.services.text_checks import NOTES_MAX, check_text

MAX_AMOUNT = Decimal("9999999999.99")


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


class PaymentService(ClaimService):
    """The till: take payments, refund them, print receipts, tell the balance.

    Medical-aid claims (submit, settle, reject, list) come from :class:`ClaimService`.
    """

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
        reason = " ".join(check_text(reason, "reason", "The reason").split())
        if not reason:
            raise ValidationError("Give the reason for the refund.", "reason")
        check_text(reason, "reason", "The reason", NOTES_MAX)
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

    # ---------------------------------------------------------------- internal

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
