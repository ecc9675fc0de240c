"""Money: payments and refunds with gapless receipt numbers, medical-aid claims."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mic_desktop.models.base import Base, Money, created_at_column, enum_check


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    EFT = "eft"
    MOBILE_MONEY = "mobile_money"
    MEDICAL_AID = "medical_aid"

    @property
    def label(self) -> str:
        return {"eft": "EFT", "mobile_money": "Mobile money", "medical_aid": "Medical aid"}.get(
            self.value, self.value.capitalize()
        )


class DocumentCounter(Base):
    """The next number of a gapless series (receipts, appointment references).

    Taken with SELECT ... FOR UPDATE in the transaction that uses the number, so a
    rolled-back payment gives its number back.
    """

    __tablename__ = "document_counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_value: Mapped[int] = mapped_column(default=1)


class Payment(Base):
    """Money received (positive) or refunded (negative). Never edited once written."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(f"method IN ({enum_check(PaymentMethod)})", name="method"),
        CheckConstraint("amount <> 0", name="amount_nonzero"),
        CheckConstraint("amount > 0 OR refund_reason IS NOT NULL", name="refund_has_reason"),
        Index("ix_payment_received_at", "received_at"),  # revenue by the day it was taken
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_number: Mapped[str] = mapped_column(String(20), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Money]
    amount_tendered: Mapped[Money | None]  # cash handed over, for change due
    reference: Mapped[str | None] = mapped_column(String(80))
    refund_of_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    refund_reason: Mapped[str | None] = mapped_column(Text)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    received_at: Mapped[dt.datetime] = created_at_column()
    workstation: Mapped[str | None] = mapped_column(String(64))


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"
    SETTLED = "settled"
    REJECTED = "rejected"


class MedicalAidClaim(Base):
    """What the clinic claims from a medical aid for one appointment, and what it paid.

    ``shortfall`` = claimed - settled, owed by the patient once the claim is settled.
    """

    __tablename__ = "medical_aid_claim"
    __table_args__ = (
        CheckConstraint(f"status IN ({enum_check(ClaimStatus)})", name="status"),
        CheckConstraint("claimed_amount >= 0", name="claimed_amount"),
        CheckConstraint("settled_amount IS NULL OR settled_amount >= 0", name="settled_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("medical_aid_plan.id"), index=True)
    member_number: Mapped[str] = mapped_column(String(40))
    claimed_amount: Mapped[Money]
    status: Mapped[str] = mapped_column(String(20), default=ClaimStatus.SUBMITTED.value)
    submitted_at: Mapped[dt.datetime] = created_at_column()
    settled_amount: Mapped[Money | None]
    settled_at: Mapped[dt.datetime | None]
    shortfall: Mapped[Money] = mapped_column(default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    appointment = relationship("Appointment")

    __mapper_args__ = {"version_id_col": version}
