"""Building completed studies, radiologists and PDFs for the reporting tests."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random
import re
from dataclasses import dataclass
from decimal import Decimal

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from mic_desktop.db import Database
from mic_desktop.models import (
    Appointment,
    AppointmentAttachment,
    AppointmentStatus,
    Modality,
    Patient,
    ReferringDoctor,
    Report,
    ReportStatus,
    Room,
    ScanType,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.admin.staff import StaffService
from tests.conftest import TEST_PASSWORD

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
MODALITY_NAMES = {"CT": "Computed tomography", "MR": "MRI", "XR": "X-ray", "US": "Ultrasound"}


class FakeClock:
    """A clock the test moves by hand (time is an input of the rules)."""

    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass(frozen=True)
class Study:
    appointment_id: int
    report_id: int | None
    patient_id: int
    reference: str


class ClinicBuilder:
    """Rows a completed scan needs, written straight to the test database."""

    _counter = itertools.count(1)

    def __init__(self, database: Database) -> None:
        self.database = database

    def radiologist(self, username: str, full_name: str, title: str | None = None) -> StaffAccount:
        service = StaffService(self.database.session_factory, actor=None, workstation="test-pc")
        return service.add(
            username,
            full_name,
            "radiologist",
            TEST_PASSWORD,
            must_change_password=False,
            professional_title=title,
        )

    def study(
        self,
        *,
        first_name: str = "Tendai",
        last_name: str = "Moyo",
        patient_id: int | None = None,
        modality: str = "CT",
        scan: str = "CT head with contrast",
        urgency: str = "routine",
        completed_at: dt.datetime = NOW - dt.timedelta(hours=3),
        status: AppointmentStatus = AppointmentStatus.COMPLETED,
        phone: str | None = "+263772123456",
        sms_opt_in: bool = True,
        doctor: str | None = "Dr Farai Chikwanha",
        doctor_email: str | None = "farai@avenues.example",
        clinical_notes: str = "Headache for two weeks. Exclude mass lesion.",
        with_report: bool = True,
        referral_letter: bytes | None = None,
    ) -> Study:
        number = next(self._counter)
        with self.database.session() as session:
            modality_row = session.scalars(
                select(Modality).where(Modality.code == modality)
            ).one_or_none()
            if modality_row is None:
                modality_row = Modality(code=modality, name=MODALITY_NAMES.get(modality, modality))
                session.add(modality_row)
                session.flush()
            scan_row = session.scalars(select(ScanType).where(ScanType.name == scan)).one_or_none()
            if scan_row is None:
                scan_row = ScanType(
                    code=f"S{number}",
                    name=scan,
                    modality_id=modality_row.id,
                    duration_minutes=30,
                    price=Decimal("150.00"),
                )
                session.add(scan_row)
            room = Room(name=f"{modality} room {number}", modality_id=modality_row.id)
            session.add(room)
            if patient_id is None:
                patient = Patient(
                    first_name=first_name,
                    last_name=last_name,
                    date_of_birth=dt.date(1971, 5, 3),
                    sex="F",
                    phone=phone,
                    email=None,
                    sms_opt_in=sms_opt_in,
                )
                session.add(patient)
                session.flush()
                patient_id = patient.id
            doctor_id = None
            if doctor is not None:
                doctor_row = ReferringDoctor(
                    full_name=doctor, practice_name="Avenues Clinic", email=doctor_email,
                    phone="+263242700999",
                )  # fmt: skip
                session.add(doctor_row)
                session.flush()
                doctor_id = doctor_row.id
            session.flush()
            start = completed_at - dt.timedelta(minutes=30)
            appointment = Appointment(
                reference=f"A{number:06d}",
                patient_id=patient_id,
                scan_type_id=scan_row.id,
                room_id=room.id,
                referring_doctor_id=doctor_id,
                start_at=start,
                end_at=completed_at,
                status=status.value,
                urgency=urgency,
                clinical_notes=clinical_notes,
                price=Decimal("150.00"),
                patient_copay=Decimal("150.00"),
                scan_completed_at=(completed_at if status is AppointmentStatus.COMPLETED else None),
            )
            session.add(appointment)
            session.flush()
            if referral_letter is not None:
                session.add(
                    AppointmentAttachment(
                        appointment_id=appointment.id,
                        filename="referral.pdf",
                        content_type="application/pdf",
                        content=referral_letter,
                        size_bytes=len(referral_letter),
                        sha256="0" * 64,
                    )
                )
            report_id = None
            if with_report and status is AppointmentStatus.COMPLETED:
                report = Report(appointment_id=appointment.id, status=ReportStatus.PENDING.value)
                session.add(report)
                session.flush()
                report_id = report.id
            return Study(appointment.id, report_id, patient_id, appointment.reference)


# --- PDF files made in the tests ------------------------------------------------------


def valid_pdf(text: str = "Outside report: normal chest radiograph.", pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for page in range(pages):
        canvas.drawString(72, 760, f"{text} (page {page + 1})")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(valid_pdf())))
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def large_pdf(min_bytes: int) -> bytes:
    """A real PDF bigger than ``min_bytes``: a page of random noise does not compress."""
    from PIL import Image

    side = int((min_bytes / 3) ** 0.5) + 64
    noise = random.Random(7).randbytes(side * side * 3)
    image = Image.frombytes("RGB", (side, side), noise)
    png = io.BytesIO()
    image.save(png, "PNG")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.drawImage(ImageReader(io.BytesIO(png.getvalue())), 36, 200, 500, 500)
    canvas.showPage()
    canvas.save()
    data = buffer.getvalue()
    assert len(data) > min_bytes
    return data


def pdf_text(data: bytes) -> tuple[int, str]:
    """(page count, all text) of a PDF, read back with pypdf."""
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() or "" for page in reader.pages)


def page_numbers(data: bytes) -> list[str]:
    """The "Page N of M" each page of a PDF carries ('' for a page without one)."""
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        match = re.search(r"Page \d+ of \d+", " ".join((page.extract_text() or "").split()))
        found.append(match.group(0) if match else "")
    return found
