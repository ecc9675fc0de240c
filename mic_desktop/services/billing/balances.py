"""What a patient owes the clinic, summed by the database.

Owed = co-payments of visits the patient attended (arrived, in scan or completed)
+ shortfalls of medical-aid claims that were settled for less than claimed or
rejected - payments + refunds. :func:`patient_balance` applies the rule to one
patient (the till, the patient panel, the receipt); :func:`owing_patients` to
every patient at once (the weekly balance reminders). Both say the same rule in
SQL: keep them in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Integer, Select, cast, func, literal, select
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    ClaimStatus,
    MedicalAidClaim,
    Patient,
    Payment,
)
from mic_desktop.services.formats import money

# Visits whose co-payment the patient owes.
ATTENDED_STATUSES = (
    AppointmentStatus.ARRIVED.value,
    AppointmentStatus.IN_PROGRESS.value,
    AppointmentStatus.COMPLETED.value,
)
# Claims whose shortfall (claimed less settled; all of it when rejected) the patient owes.
SHORTFALL_STATUSES = (ClaimStatus.SETTLED.value, ClaimStatus.REJECTED.value)


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


def owing_patients(after_id: int = 0) -> Select[tuple[int, Decimal]]:
    """(patient_id, balance) of the patients after ``after_id`` who owe money, by id.

    The same rule as :func:`patient_balance` (payments less refunds is the sum of
    every entry). Callers narrow it further with ``.where()`` on :class:`Patient`.
    """
    copays = (
        select(
            Appointment.patient_id.label("patient_id"),
            func.sum(Appointment.patient_copay).label("amount"),
        )
        .where(Appointment.status.in_(ATTENDED_STATUSES))
        .group_by(Appointment.patient_id)
        .subquery()
    )
    shortfalls = (
        select(
            Appointment.patient_id.label("patient_id"),
            func.sum(MedicalAidClaim.shortfall).label("amount"),
        )
        .join(Appointment, Appointment.id == MedicalAidClaim.appointment_id)
        .where(MedicalAidClaim.status.in_(SHORTFALL_STATUSES))
        .group_by(Appointment.patient_id)
        .subquery()
    )
    paid = (
        select(Payment.patient_id.label("patient_id"), func.sum(Payment.amount).label("amount"))
        .group_by(Payment.patient_id)
        .subquery()
    )
    zero = literal(Decimal("0"))
    balance = (
        func.coalesce(copays.c.amount, zero)
        + func.coalesce(shortfalls.c.amount, zero)
        - func.coalesce(paid.c.amount, zero)
    ).label("balance")
    return (
        select(Patient.id, balance)
        .outerjoin(copays, copays.c.patient_id == Patient.id)
        .outerjoin(shortfalls, shortfalls.c.patient_id == Patient.id)
        .outerjoin(paid, paid.c.patient_id == Patient.id)
        .where(Patient.id > cast(literal(after_id), Integer), balance > 0)
        .order_by(Patient.id)
    )
