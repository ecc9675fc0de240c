"""Receipts, appointment slips and the day sheet, read back from the PDF bytes."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import update

from mic_desktop.db import Database
from mic_desktop.models import ClinicSettings
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.billing.payments import PaymentService
from mic_desktop.services.scheduling.book import SchedulingService
from mic_desktop.services.scheduling.booking import BookingRequest, BookingService
from tests.reception_setup import (
    CT_PREPARATION,
    MONDAY,
    Clinic,
    FakeClock,
    at,
    build_clinic,
    register,
)


@pytest.fixture
def clinic(database: Database, staff: dict[str, StaffAccount]) -> Clinic:
    return build_clinic(database, staff)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(MONDAY, 7))


@pytest.fixture
def desk(database: Database, staff: dict[str, StaffAccount], clock: FakeClock) -> BookingService:
    return BookingService(database.session_factory, staff["reception"], "desk-1", clock=clock)


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def test_receipt_reads_back_with_the_right_amounts(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    clock: FakeClock,
) -> None:  # fmt: skip
    patient = register(
        database, staff["reception"], "Tafadzwa", "Chikwanha",
        medical_aid_plan_id=clinic.percent_plan, medical_aid_member_number="CIM-9",
    )  # fmt: skip
    booked = desk.book(BookingRequest(patient.id, clinic.ct_head, clinic.ct_room, at(MONDAY, 9)))
    desk.check_in(booked.id, booked.version)
    clock.now = at(MONDAY, 8, 52)
    till = PaymentService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    paid = till.take_payment(
        patient.id, "20", "cash", appointment_id=booked.id, amount_tendered="50"
    ).payment
    pages, text = _text(till.receipt_pdf(paid.id))
    assert pages == 1
    for expected in (
        "Harare Imaging Centre",
        "12 Samora Machel Avenue, Harare",
        "Receipt R0000001",
        "Mon 23 Nov 2026 08:52",
        f"Tafadzwa Chikwanha ({patient.mrn})",
        f"{booked.reference}, CT head, Mon 23 Nov 2026 09:00",
        "Amount paid USD 20.00",
        "Cash tendered USD 50.00",
        "Change due USD 30.00",
        "USD 10.00",  # balance: co-pay 30.00 - 20.00
        "Received by Test Reception",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    refund = till.refund(paid.id, "5", "Parking fee charged by mistake").payment
    _pages, refund_text = _text(till.receipt_pdf(refund.id))
    for expected in (
        "Refund R0000002",
        "Refund of receipt R0000001",
        "Parking fee charged by mistake",
        "Amount refunded USD 5.00",
        "Balance owed on Mon 23 Nov 2026 08:52: USD 15.00",
    ):
        assert expected in refund_text, expected


def test_slip_has_reference_time_room_preparation_and_money(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService
) -> None:
    patient = register(
        database, staff["reception"],
        medical_aid_plan_id=clinic.percent_plan, medical_aid_member_number="CIM-9",
    )  # fmt: skip
    booked = desk.book(BookingRequest(patient.id, clinic.ct_head, clinic.ct_room, at(MONDAY, 9)))
    pages, text = _text(desk.slip_pdf(booked.id))
    assert pages == 1
    for expected in (
        f"Reference {booked.reference}",
        "Mon 23 Nov 2026",
        "09:00 to 09:30",
        "CT 1",
        "CT head",
        " ".join(CT_PREPARATION.split()),
        "Service charge USD 150.00",
        "USD 120.00",
        "To pay on the day USD 30.00",
        "at least 24 hours before",
    ):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(desk.slip_pdf(booked.id)))
    assert (
        reader.metadata is not None and reader.metadata.title == f"Appointment {booked.reference}"
    )


def test_day_sheet_lists_each_room_and_numbers_its_pages(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    clock: FakeClock,
) -> None:  # fmt: skip
    names = [("Nyasha", "Banda"), ("Kudzai", "Mutasa"), ("Zoë", "Ferreira")]
    patients = [register(database, staff["reception"], *name).id for name in names]
    for index in range(16):  # X-ray 08:00-12:00, every 15 minutes
        desk.book(
            BookingRequest(
                patients[index % 3], clinic.chest_xray, clinic.xray_room,
                at(MONDAY, 8) + dt.timedelta(minutes=15 * index),
            )
        )  # fmt: skip
    for index in range(14):
        desk.book(
            BookingRequest(
                patients[index % 3], clinic.ct_head, clinic.ct_room,
                at(MONDAY, 8) + dt.timedelta(minutes=30 * index), urgency="urgent",
            )
        )  # fmt: skip
    tomorrow = at(MONDAY + dt.timedelta(days=1), 8)
    desk.book(BookingRequest(patients[0], clinic.chest_xray, clinic.xray_room, tomorrow))
    sheet = SchedulingService(
        database.session_factory, staff["reception"], "desk-1", clock=clock
    ).day_sheet_pdf()
    pages, text = _text(sheet)
    assert pages >= 2
    assert f"Page {pages} of {pages}" in text
    assert "Day sheet Mon 23 Nov 2026" in text
    assert "X-ray 1 (16)" in text and "CT 1 (14)" in text and "CT 2 (0)" in text
    assert "No appointments." in text
    assert "Zoë Ferreira" in text
    assert text.count("URGENT") == 14
    assert "08:00–08:15" in text and "11:45–12:00" in text
    assert "Tue 24 Nov" not in text


def test_letterhead_logo_and_unusual_text(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService
) -> None:
    logo = io.BytesIO()
    Image.new("RGB", (240, 80), (20, 90, 160)).save(logo, format="PNG")
    with database.session() as session:
        session.execute(update(ClinicSettings).values(logo_png=logo.getvalue()))
    # A ligature (NFKC makes it "fi") and markup characters reach the PDF as text.
    patient = register(database, staff["reception"], "Fi\ufb01onа <b>", "Dube & Sons")
    booked = desk.book(
        BookingRequest(patient.id, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9))
    )
    slip = desk.slip_pdf(booked.id)
    reader = PdfReader(io.BytesIO(slip))
    assert len(reader.pages[0].images) >= 1
    _pages, text = _text(slip)
    assert "Fifionа <b> Dube & Sons" in text
