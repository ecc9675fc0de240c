"""Payments, change, refunds, gapless receipts, balances and medical-aid shortfalls."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mic_desktop.db import Connection, Database
from mic_desktop.models import AuditLog, ClaimStatus, OutboxMessage, Payment
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.billing.payments import PaymentService
from mic_desktop.services.errors import ServiceError, StaleRecordError, ValidationError
from mic_desktop.services.scheduling.appointments import AppointmentDetails
from mic_desktop.services.scheduling.booking import BookingRequest, BookingService
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, build_clinic, register


@pytest.fixture
def clinic(database: Database, staff: dict[str, StaffAccount]) -> Clinic:
    return build_clinic(database, staff)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(MONDAY, 7))


@pytest.fixture
def till(database: Database, staff: dict[str, StaffAccount], clock: FakeClock) -> PaymentService:
    return PaymentService(database.session_factory, staff["reception"], "desk-1", clock=clock)


@pytest.fixture
def desk(database: Database, staff: dict[str, StaffAccount], clock: FakeClock) -> BookingService:
    return BookingService(database.session_factory, staff["reception"], "desk-1", clock=clock)


def _attended_ct(
    database: Database,
    staff: dict[str, StaffAccount],
    clinic: Clinic,
    desk: BookingService,
    plan: int | None = None,
) -> AppointmentDetails:
    """A CT head (USD 150.00) the patient came to, under ``plan``."""
    fields: dict[str, object] = {"phone": "0771234567"}
    if plan is not None:
        fields |= {"medical_aid_plan_id": plan, "medical_aid_member_number": "CIM-1"}
    patient = register(database, staff["reception"], **fields)
    booked = desk.book(
        BookingRequest(
            patient.id, clinic.ct_head, clinic.ct_room, at(MONDAY, 9), preauthorisation_number="P1"
        )
    )
    return desk.check_in(booked.id, booked.version)


def test_cash_payment_gives_change_and_a_receipt(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    till: PaymentService,
) -> None:  # fmt: skip
    visit = _attended_ct(database, staff, clinic, desk)
    assert till.balance(visit.patient_id).balance == Decimal("150.00")
    paid = till.take_payment(
        visit.patient_id, "100.00", "cash", appointment_id=visit.id, amount_tendered="120"
    )
    assert paid.payment.receipt_number == "R0000001"
    assert (paid.payment.amount, paid.payment.amount_tendered, paid.payment.change_due) == (
        Decimal("100.00"), Decimal("120.00"), Decimal("20.00"),
    )  # fmt: skip
    assert paid.balance.balance == Decimal("50.00")  # a partial payment
    card = till.take_payment(visit.patient_id, Decimal("50"), "card", amount_tendered="80")
    assert card.payment.receipt_number == "R0000002"
    assert (card.payment.amount_tendered, card.payment.change_due) == (None, None)
    assert card.balance.balance == Decimal("0.00")
    assert [p.receipt_number for p in till.payments(visit.patient_id)] == ["R0000002", "R0000001"]
    with database.session() as session:
        messages = session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.kind == "payment_confirmation")
        ).all()
        audits = session.scalar(select(func.count()).where(AuditLog.action == "payment_received"))
    assert len(messages) == 2 and "USD 100.00" in " ".join(messages)
    assert audits == 2


@pytest.mark.parametrize(
    ("amount", "method", "tendered", "field"),
    [
        ("0", "cash", None, "amount"),
        ("-5", "cash", None, "amount"),
        ("10.005", "cash", None, "amount"),
        ("ten", "cash", None, "amount"),
        ("10", "cheque", None, "method"),
        ("10", "cash", "9.99", "amount_tendered"),
    ],
)
def test_invalid_payments_are_refused(
    database: Database, staff: dict[str, StaffAccount], till: PaymentService,
    amount: str, method: str, tendered: str | None, field: str,
) -> None:  # fmt: skip
    patient = register(database, staff["reception"])
    with pytest.raises(ValidationError) as error:
        till.take_payment(patient.id, amount, method, amount_tendered=tendered)
    assert error.value.field == field


def test_receipt_numbers_have_no_gaps_when_a_payment_fails(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    till: PaymentService,
) -> None:  # fmt: skip
    visit = _attended_ct(database, staff, clinic, desk)
    stranger = register(database, staff["reception"], "Rudo", "Sibanda")
    till.take_payment(visit.patient_id, "10", "cash")
    with pytest.raises(ValidationError, match="not the patient's"):
        till.take_payment(stranger.id, "10", "cash", appointment_id=visit.id)
    assert till.take_payment(stranger.id, "10", "eft").payment.receipt_number == "R0000002"


def test_concurrent_payments_get_consecutive_receipts(
    database: Database, staff: dict[str, StaffAccount], clock: FakeClock
) -> None:
    patient = register(database, staff["reception"])
    other_pc = Database(Connection(database.connection.url, database.connection.kind))
    tills = [
        PaymentService(factory, staff["reception"], f"desk-{n}", clock=clock)
        for n, factory in enumerate((database.session_factory, other_pc.session_factory))
    ]
    start = threading.Barrier(2)
    numbers: list[str] = []

    def pay(till: PaymentService) -> None:
        start.wait()
        for _ in range(5):
            numbers.append(till.take_payment(patient.id, "1", "cash").payment.receipt_number)

    threads = [threading.Thread(target=pay, args=(till,)) for till in tills]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    other_pc.dispose()
    assert sorted(numbers) == [f"R{n:07d}" for n in range(1, 11)]


def test_refunds_are_negative_entries_never_more_than_paid(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    till: PaymentService,
) -> None:  # fmt: skip
    visit = _attended_ct(database, staff, clinic, desk)
    paid = till.take_payment(visit.patient_id, "150", "mobile_money", reference="MP-77")
    with pytest.raises(ValidationError, match="reason") as no_reason:
        till.refund(paid.payment.id, "20", "  ")
    assert no_reason.value.field == "reason"
    first = till.refund(paid.payment.id, "20", "Charged twice for the contrast")
    assert first.payment.amount == Decimal("-20.00")
    assert (first.payment.refund_of_id, first.payment.method.value) == (
        paid.payment.id, "mobile_money",
    )  # fmt: skip
    assert first.payment.receipt_number == "R0000002"
    assert first.balance.balance == Decimal("20.00")
    assert first.balance.refunded == Decimal("20.00")
    with pytest.raises(ValidationError, match=r"At most USD 130\.00 of receipt R0000001"):
        till.refund(paid.payment.id, "130.01", "Too much")
    with pytest.raises(ValidationError, match="cannot be refunded"):
        till.refund(first.payment.id, "1", "A refund of a refund")
    last = till.refund(paid.payment.id, "130", "Scan cancelled by the clinic", method="cash")
    assert last.balance.balance == Decimal("150.00")
    with database.session() as session:
        original = session.get(Payment, paid.payment.id)
        assert original is not None and original.amount == Decimal("150.00")  # never edited
        assert session.scalar(select(func.sum(Payment.amount))) == Decimal("0.00")


def test_copay_is_owed_only_once_the_patient_attends(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    till: PaymentService,
) -> None:  # fmt: skip
    patient = register(database, staff["reception"])
    booked = desk.book(BookingRequest(patient.id, clinic.ct_head, clinic.ct_room, at(MONDAY, 9)))
    assert till.balance(patient.id).balance == Decimal("0.00")
    prepaid = till.take_payment(patient.id, "150", "card", appointment_id=booked.id)
    assert prepaid.balance.balance == Decimal("-150.00")  # in credit until the visit
    desk.check_in(booked.id, booked.version)
    assert till.balance(patient.id).balance == Decimal("0.00")


def test_settled_claim_shortfall_becomes_the_patients_balance(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    till: PaymentService,
) -> None:  # fmt: skip
    visit = _attended_ct(database, staff, clinic, desk, plan=clinic.percent_plan)
    assert (visit.medical_aid_cover, visit.patient_copay) == (Decimal("120.00"), Decimal("30.00"))
    till.take_payment(visit.patient_id, "30", "cash")
    claim = till.submit_claim(visit.id)
    assert (claim.claimed_amount, claim.status, claim.member_number) == (
        Decimal("120.00"), ClaimStatus.SUBMITTED, "CIM-1",
    )  # fmt: skip
    assert till.balance(visit.patient_id).balance == Decimal("0.00")
    with pytest.raises(ServiceError, match="already been claimed"):
        till.submit_claim(visit.id)
    with pytest.raises(ValidationError, match="more than was claimed"):
        till.record_settlement(claim.id, "120.01", claim.version)
    settled = till.record_settlement(claim.id, "95.50", claim.version, notes="Tariff limit")
    assert (settled.status, settled.settled_amount, settled.shortfall) == (
        ClaimStatus.SETTLED, Decimal("95.50"), Decimal("24.50"),
    )  # fmt: skip
    balance = till.balance(visit.patient_id)
    assert (balance.shortfalls, balance.balance) == (Decimal("24.50"), Decimal("24.50"))
    assert [c.id for c in till.claims(with_shortfall=True)] == [claim.id]
    assert till.claims(patient_id=visit.patient_id)[0].plan_name == "CIMAS Percent"
    with pytest.raises(StaleRecordError):
        till.record_settlement(claim.id, "120", claim.version)
    with pytest.raises(ServiceError, match="already settled"):
        till.reject_claim(settled.id, settled.version, "Late")
    till.take_payment(visit.patient_id, "24.50", "card")
    assert till.balance(visit.patient_id).balance == Decimal("0.00")


def test_rejected_claim_moves_the_whole_amount_to_the_patient(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    till: PaymentService,
) -> None:  # fmt: skip
    visit = _attended_ct(database, staff, clinic, desk, plan=clinic.capped_plan)
    claim = till.submit_claim(visit.id)
    with pytest.raises(ValidationError, match="reason"):
        till.reject_claim(claim.id, claim.version, "")
    rejected = till.reject_claim(claim.id, claim.version, "No pre-authorisation on file")
    assert (rejected.status, rejected.settled_amount, rejected.shortfall) == (
        ClaimStatus.REJECTED, Decimal("0.00"), Decimal("100.00"),
    )  # fmt: skip
    assert till.balance(visit.patient_id).balance == Decimal("150.00")  # 50 co-pay + 100


def test_claims_only_for_attended_visits_with_cover(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    till: PaymentService,
) -> None:  # fmt: skip
    patient = register(
        database, staff["reception"],
        medical_aid_plan_id=clinic.percent_plan, medical_aid_member_number="CIM-2",
    )  # fmt: skip
    booked = desk.book(BookingRequest(patient.id, clinic.ct_head, clinic.ct_room, at(MONDAY, 9)))
    with pytest.raises(ServiceError, match="once the patient has attended"):
        till.submit_claim(booked.id)
    xray = desk.book(
        BookingRequest(patient.id, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9))
    )  # the plan pays nothing for it
    xray = desk.check_in(xray.id, xray.version)
    with pytest.raises(ServiceError, match="no medical-aid cover"):
        till.submit_claim(xray.id)
