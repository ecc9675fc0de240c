"""Attachments: referral letters typed by content and renamed, report PDFs without active
content, size checks before a file is read, and no active content e-mailed."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
from notification_fakes import SmtpServer, add_appointment, configure_clinic
from sqlalchemy import func, select, update

from mic_desktop.db import Database
from mic_desktop.models import (
    Appointment,
    AppointmentAttachment,
    AuditLog,
    ClinicSettings,
    OutboxMessage,
    Report,
    ReportDocument,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.attachments import (
    AttachmentTooLargeError,
    NotARegularFileError,
    UnknownFileTypeError,
    detect_file_type,
    read_attachment,
    viewer_file_name,
)
from mic_desktop.services.messaging.dispatcher import Dispatcher
from mic_desktop.services.messaging.email import ActiveContentEmailError, Attachment
from mic_desktop.services.messaging.notifications import queue_report_ready
from mic_desktop.services.reporting.pdf_checks import (
    ActivePdfContentError,
    CorruptPdfError,
    TruncatedPdfError,
    check_report_pdf,
)
from mic_desktop.services.reporting.reports import ReportService
from mic_desktop.services.reporting.worklist import WorklistService
from mic_desktop.services.scheduling.booking import BookingRequest, BookingService
from mic_desktop.services.scheduling.referral_letters import (
    ReferralLetter,
    ReferralLetterRejectedError,
    check_referral_letter,
)
from tests import bad_input_files as files
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, build_clinic, register
from tests.reporting_helpers import ClinicBuilder, valid_pdf
from tests.reporting_helpers import FakeClock as ReportClock

ACTIVE = [
    pytest.param(files.pdf_with_javascript, "JavaScript", id="names-tree-javascript"),
    pytest.param(files.pdf_with_open_action_javascript, "JavaScript", id="open-action-js"),
    pytest.param(files.pdf_with_open_action_launch, "launch action", id="open-action-launch"),
    pytest.param(files.pdf_with_launch_annotation, "launch action", id="annotation-launch"),
    pytest.param(files.pdf_with_embedded_file, "embedded files", id="embedded-file"),
    pytest.param(
        files.pdf_with_page_javascript_and_rich_media,
        "JavaScript and rich media",
        id="page-aa-and-rich-media",
    ),
]


# --- referral letters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "stored", "content_type"),
    [
        ("C:\\Scans\\letter.html", lambda: valid_pdf("Letter"), "letter.pdf", "application/pdf"),
        ("scan.jpeg.exe", files.jpeg_bytes, "scan.jpg", "image/jpeg"),
        ("../../etc/referral.pdf", files.png_bytes, "referral.png", "image/png"),
        ("Dr Moyo <urgent>.TIFF", files.tiff_bytes, "Dr Moyo _urgent.tif", "image/tiff"),
        ("...", files.png_bytes, "referral-letter.png", "image/png"),
    ],
)
def test_a_letter_is_stored_under_a_safe_name_with_the_extension_of_its_content(
    name: str, make, stored: str, content_type: str
) -> None:  # type: ignore[no-untyped-def]
    content = make()
    assert check_referral_letter(ReferralLetter(name, content), 20) == (
        stored,
        content_type,
        hashlib.sha256(content).hexdigest(),
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(files.pdf_with_html, "incomplete", id="pdf-header-then-html"),
        pytest.param(files.pdf_with_html_and_eof, "cannot be read as one", id="html-with-eof"),
        pytest.param(files.truncated_pdf, "incomplete", id="truncated-pdf"),
        pytest.param(
            lambda: files.png_bytes((400, 300))[:-200],
            "incomplete or damaged PNG",
            id="truncated-png",
        ),
        pytest.param(
            lambda: files.jpeg_bytes((400, 300))[:300],
            "incomplete or damaged JPEG",
            id="truncated-jpeg",
        ),
        pytest.param(
            lambda: b"<html><body>Referral</body></html>", "not a PDF or an image", id="html"
        ),
        pytest.param(files.pdf_with_javascript, "contains JavaScript", id="pdf-javascript"),
        pytest.param(files.pdf_with_embedded_file, "contains embedded files", id="pdf-embedded"),
    ],
)
def test_a_bad_letter_is_refused_and_the_booking_stores_nothing(
    database: Database, staff: dict[str, StaffAccount], make, message: str
) -> None:  # type: ignore[no-untyped-def]
    clinic: Clinic = build_clinic(database, staff)
    desk = BookingService(
        database.session_factory, staff["reception"], "desk-1", clock=FakeClock(at(MONDAY, 7))
    )
    patient = register(database, staff["reception"], phone="0771234567").id
    request = BookingRequest(
        patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9),
        referral_letter=ReferralLetter("letter.pdf", make()),
    )  # fmt: skip
    with pytest.raises(ReferralLetterRejectedError, match=message) as refused:
        desk.book(request)
    assert refused.value.field == "referral_letter"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0
        assert session.scalar(select(func.count()).select_from(AppointmentAttachment)) == 0


def test_a_letter_read_from_disk_is_size_checked_before_it_is_read(
    database: Database, staff: dict[str, StaffAccount], tmp_path: Path
) -> None:
    with database.session() as session:
        session.execute(update(ClinicSettings).values(report_pdf_max_mb=1))
    desk = BookingService(database.session_factory, staff["reception"], "desk-1")
    big = tmp_path / "scan.pdf"
    with big.open("wb") as handle:  # sparse: 3 GB on the disk's word, nothing written
        handle.truncate(3 * 1024**3)
    with pytest.raises(AttachmentTooLargeError, match=r"3072\.0 MB; referral letters") as refused:
        desk.read_referral_letter(big)
    assert refused.value.field == "referral_letter"
    good = tmp_path / "good.PDF"
    good.write_bytes(valid_pdf("Letter"))
    assert desk.read_referral_letter(good).content == good.read_bytes()


# --- reading any attachment ---------------------------------------------------------------


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "letter.pdf"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer for ever
    with pytest.raises(NotARegularFileError, match="not a file on the disk"):
        read_attachment(fifo, 1024, what="report PDFs", field="pdf")


def test_an_oversized_file_is_refused_from_its_size_alone(tmp_path: Path) -> None:
    big = tmp_path / "huge.pdf"
    big.write_bytes(b"%PDF-" + b"0" * 2048)
    with pytest.raises(AttachmentTooLargeError, match=r"huge\.pdf is 0\.0 MB; report PDFs") as e:
        read_attachment(big, 1024, what="report PDFs", field="pdf")
    # The size stat() gave, not the limit-plus-one bytes a capped read would have seen.
    assert (e.value.size_bytes, e.value.field) == (2053, "pdf")
    assert read_attachment(big, 4096, what="report PDFs", field="pdf") == big.read_bytes()


# --- what the system viewer is given -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "written"),
    [
        ("letter.html", lambda: valid_pdf("x"), "letter.pdf"),
        ("invoice.pdf.exe", files.png_bytes, "invoice.png"),
        ("C:\\evil\\run.bat", files.tiff_bytes, "run.tif"),
        ("report.pdf", files.jpeg_bytes, "report.jpg"),
    ],
)
def test_the_viewer_gets_a_name_the_product_chose(name: str, make, written: str) -> None:  # type: ignore[no-untyped-def]
    assert viewer_file_name(name, make(), "document") == written


def test_a_file_of_unknown_type_is_never_named_for_the_viewer() -> None:
    assert detect_file_type(b"MZ\x90\x00") is None
    with pytest.raises(UnknownFileTypeError, match="not a PDF or an image"):
        viewer_file_name("letter.pdf", b"<html>", "document")


# --- report PDFs with active content -----------------------------------------------------


@pytest.mark.parametrize(("make", "named"), ACTIVE)
def test_report_pdfs_with_active_content_are_refused_saying_which(make, named: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ActivePdfContentError, match=named) as refused:
        check_report_pdf(make(), "outside report.pdf")
    assert refused.value.field == "pdf"
    assert "not stored or sent" in str(refused.value)


def test_broken_pdfs_are_still_refused_as_broken() -> None:
    with pytest.raises(TruncatedPdfError):
        check_report_pdf(files.pdf_with_html(), "x.pdf")
    with pytest.raises(CorruptPdfError):
        check_report_pdf(files.pdf_with_html_and_eof(), "x.pdf")


def test_attaching_a_pdf_with_javascript_stores_nothing(
    database: Database, staff: dict[str, StaffAccount], tmp_path: Path
) -> None:
    builder = ClinicBuilder(database)
    author = builder.radiologist("rmutasa", "Dr Rudo Mutasa")
    study = builder.study()
    claim = WorklistService(database.session_factory, author, "reading-3").claim(
        study.appointment_id
    )
    service = ReportService(database.session_factory, author, "reading-3", ReportClock())
    path = tmp_path / "report.pdf"
    path.write_bytes(files.pdf_with_open_action_launch())
    with pytest.raises(ActivePdfContentError, match="launch action"):
        service.attach_pdf(
            claim.report_id, service.read_pdf_file(path), path.name,
            expected_version=claim.version,
        )  # fmt: skip
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ReportDocument)) == 0
        assert "report_pdf_attached" not in session.scalars(select(AuditLog.action)).all()
    with database.session() as session:
        session.execute(update(ClinicSettings).values(report_pdf_max_mb=1))
    with path.open("wb") as handle:
        handle.truncate(5 * 1024**2)
    with pytest.raises(AttachmentTooLargeError, match=r"5\.0 MB; report PDFs may be at most 1\.0"):
        service.read_pdf_file(path)


# --- nothing active is e-mailed ----------------------------------------------------------

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def _final_report_with_stored_pdf(database: Database, pdf: bytes) -> int:
    """A final report whose stored PDF predates the checks (written straight to the table)."""
    with database.session() as session:
        configure_clinic(session, name="MIC Harare", time_zone="Africa/Harare")
        appointment = add_appointment(
            session, NOW - dt.timedelta(days=1), status="completed", doctor_email="dr@example.org"
        )
        report = Report(
            appointment_id=appointment.id, status="completed", findings="Normal.",
            impression="Normal CT head.", finalised_at=NOW, signed_name="Dr A Radiologist",
        )  # fmt: skip
        session.add(report)
        session.flush()
        session.add(
            ReportDocument(
                report_id=report.id, filename="CT head report.pdf", source="attached",
                content=pdf, size_bytes=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(),
            )
        )  # fmt: skip
        queue_report_ready(session, report, now=NOW)
        return report.id


def test_a_stored_report_pdf_with_javascript_is_never_e_mailed(database: Database) -> None:
    _final_report_with_stored_pdf(database, files.pdf_with_javascript())
    with SmtpServer() as server:
        dispatcher = Dispatcher(
            database.session_factory, workstation="server", mailer=server.mailer(),
            clock=ReportClock(NOW),
        )  # fmt: skip
        summary = dispatcher.dispatch_due()
        assert (summary.sent, summary.failed) == (0, 1)
        assert server.messages == []
    with database.session() as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "report_ready_doctor")
        ).one()
    assert row.status == "failed"
    assert "contains JavaScript" in (row.last_error or "")


def test_the_smtp_sender_itself_refuses_a_pdf_with_active_content() -> None:
    with SmtpServer() as server:
        mailer = server.mailer()
        with pytest.raises(ActiveContentEmailError, match="embedded files"):
            mailer.send(
                "dr@example.org", "Report", "Attached.",
                [Attachment("report.pdf", files.pdf_with_embedded_file())],
            )  # fmt: skip
        mailer.send("dr@example.org", "Report", "Attached.", [Attachment("r.pdf", valid_pdf())])
        assert len(server.messages) == 1
