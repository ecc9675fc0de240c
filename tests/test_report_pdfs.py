"""Report PDFs: checking attached files, storing them, generating, handing them out, logging."""

from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from mic_desktop.db import Database
from mic_desktop.models import (
    AuditLog,
    ClinicSettings,
    Report,
    ReportAccessAction,
    ReportAccessLog,
    ReportDelivery,
    ReportDocument,
    Role,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.errors import PermissionDeniedError
from mic_desktop.services.reporting.access_log import ReportAccessService
from mic_desktop.services.reporting.errors import ReportLockedError
from mic_desktop.services.reporting.pdf_checks import (
    CorruptPdfError,
    EmptyPdfError,
    EncryptedPdfError,
    NotAPdfError,
    PdfRejectedError,
    PdfTooLargeError,
    TruncatedPdfError,
    check_report_pdf,
    clean_filename,
)
from mic_desktop.services.reporting.reports import ReportService
from mic_desktop.services.reporting.worklist import WorklistService
from tests.reporting_helpers import (
    ClinicBuilder,
    FakeClock,
    Study,
    encrypted_pdf,
    large_pdf,
    page_numbers,
    pdf_text,
    valid_pdf,
)

FINDINGS = "The lungs are clear. No pleural effusion. Heart size is normal."
IMPRESSION = "Normal chest radiograph."


@pytest.fixture
def clinic(database: Database) -> ClinicBuilder:
    return ClinicBuilder(database)


@pytest.fixture
def author(clinic: ClinicBuilder, staff: dict[str, StaffAccount]) -> StaffAccount:
    return clinic.radiologist("rmutasa", "Dr Rudo Mutasa", "MBChB, MMed (Rad)")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def reports(database: Database, actor: StaffAccount, clock: FakeClock) -> ReportService:
    return ReportService(database.session_factory, actor, "reading-3", clock)


def access(database: Database, actor: StaffAccount, clock: FakeClock) -> ReportAccessService:
    return ReportAccessService(database.session_factory, actor, "reading-3", clock)


def claimed(database: Database, actor: StaffAccount, study: Study) -> tuple[int, int]:
    claim = WorklistService(database.session_factory, actor, "reading-3").claim(
        study.appointment_id
    )
    return claim.report_id, claim.version


# --- checking files -------------------------------------------------------------------


def _truncated() -> bytes:
    whole = valid_pdf(pages=3)
    return whole[: len(whole) * 2 // 3]


BAD_FILES = [
    pytest.param(lambda: b"", "scan.pdf", EmptyPdfError, "empty", id="empty"),
    pytest.param(
        lambda: b"Dear doctor,\nthe report follows.\n" * 20,
        "report.pdf",
        NotAPdfError,
        "not a PDF",
        id="text-renamed-pdf",
    ),
    pytest.param(_truncated, "report.pdf", TruncatedPdfError, "incomplete", id="truncated"),
    pytest.param(
        lambda: valid_pdf()[:400] + b"\x00garbage\x00" * 40 + b"\n%%EOF\n",
        "report.pdf",
        CorruptPdfError,
        "damaged",
        id="corrupt",
    ),
    pytest.param(
        encrypted_pdf, "report.pdf", EncryptedPdfError, "password-protected", id="encrypted"
    ),
]


@pytest.mark.parametrize(("make", "name", "error", "message"), BAD_FILES)
def test_files_that_are_not_readable_pdfs_are_refused(
    make, name: str, error: type[PdfRejectedError], message: str
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message) as refused:
        check_report_pdf(make(), rf"C:\Users\dr\Desktop\{name}")
    assert refused.value.field == "pdf"
    assert "Desktop" not in str(refused.value)  # the file's name, not the folder


def test_a_real_pdf_passes_with_its_size_and_hash() -> None:
    data = valid_pdf(pages=2)
    checked = check_report_pdf(data, "/home/dr/Report <final>.PDF")
    assert checked.page_count == 2
    assert checked.size_bytes == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.filename == "Report _final_.PDF"
    assert clean_filename("report") == "report.pdf"


def test_the_size_limit_comes_from_the_clinic_settings(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    with database.session() as session:
        session.get(ClinicSettings, 1).report_pdf_max_mb = 1  # type: ignore[union-attr]
    big = large_pdf(1024 * 1024 + 1)
    assert check_report_pdf(big, "big.pdf", max_mb=2).page_count == 1  # a real PDF
    study = clinic.study()
    report_id, version = claimed(database, author, study)
    with pytest.raises(PdfTooLargeError, match="at most 1 MB"):
        reports(database, author, clock).attach_pdf(
            report_id, big, "big.pdf", expected_version=version
        )


@pytest.mark.parametrize(("make", "name", "error", "message"), BAD_FILES)
def test_a_refused_file_stores_nothing(
    database: Database,
    clinic: ClinicBuilder,
    author: StaffAccount,
    clock: FakeClock,
    make,  # type: ignore[no-untyped-def]
    name: str,
    error: type[PdfRejectedError],
    message: str,
) -> None:
    study = clinic.study()
    report_id, version = claimed(database, author, study)
    with pytest.raises(error):
        reports(database, author, clock).attach_pdf(
            report_id, make(), name, expected_version=version
        )
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ReportDocument)) == 0
        assert session.get(Report, report_id).version == version  # type: ignore[union-attr]
        assert "report_pdf_attached" not in session.scalars(select(AuditLog.action)).all()


# --- storing and replacing ------------------------------------------------------------


def test_an_attached_pdf_is_stored_with_size_and_sha256(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    study = clinic.study()
    report_id, version = claimed(database, author, study)
    data = valid_pdf("Outside report for T Moyo: CT abdomen, normal.")

    detail = reports(database, author, clock).attach_pdf(
        report_id, data, r"D:\reports\CT abdomen.pdf", expected_version=version
    )

    current = detail.current_document
    assert current is not None
    assert (current.filename, current.source, current.size_bytes) == (
        "CT abdomen.pdf",
        "attached",
        len(data),
    )
    assert current.sha256 == hashlib.sha256(data).hexdigest()
    with database.session() as session:
        stored = session.get(ReportDocument, current.id)
        assert stored is not None
        assert hashlib.sha256(stored.content).hexdigest() == stored.sha256 == current.sha256
    # A PDF alone is enough to finalise: the text fields may stay empty.
    final = reports(database, author, clock).finalise(
        report_id, findings="", impression="", expected_version=detail.version
    )
    assert final.is_final
    with pytest.raises(ReportLockedError):
        reports(database, author, clock).attach_pdf(
            report_id, valid_pdf("Replacement"), "new.pdf", expected_version=final.version
        )


def test_the_pdf_of_a_final_report_is_replaced_only_through_an_addendum(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    study = clinic.study()
    report_id, version = claimed(database, author, study)
    first = valid_pdf("First version of the report, Tendai Moyo")
    draft = reports(database, author, clock).attach_pdf(
        report_id, first, "first.pdf", expected_version=version
    )
    reports(database, author, clock).finalise(
        report_id, findings="", impression="", expected_version=draft.version
    )
    with pytest.raises(EncryptedPdfError):
        reports(database, author, clock).add_addendum(
            report_id, "Corrected laterality.", pdf=encrypted_pdf(), pdf_filename="x.pdf"
        )
    replacement = valid_pdf("Corrected report for Moyo: RIGHT knee")

    detail = reports(database, author, clock).add_addendum(
        report_id, "Corrected laterality.", pdf=replacement, pdf_filename="corrected.pdf"
    )

    [addendum] = detail.addenda
    current = detail.current_document
    assert current is not None and current.addendum_id == addendum.id
    assert addendum.document_id == current.id
    assert current.sha256 == hashlib.sha256(replacement).hexdigest()
    assert [d.filename for d in detail.documents] == ["corrected.pdf", "first.pdf"]
    assert [d.is_current for d in detail.documents] == [True, False]
    handed = access(database, author, clock).document_for(report_id, ReportAccessAction.VIEW)
    assert handed.content == replacement and handed.appended_addenda == 0


# --- handing out and the access log ---------------------------------------------------


def test_every_access_path_writes_the_access_log(
    database: Database,
    clinic: ClinicBuilder,
    author: StaffAccount,
    staff: dict[str, StaffAccount],
    clock: FakeClock,
) -> None:
    study = clinic.study()
    report_id, version = claimed(database, author, study)
    data = valid_pdf("Attached report of Tendai Moyo")
    draft = reports(database, author, clock).attach_pdf(
        report_id, data, "report.pdf", expected_version=version
    )
    reports(database, author, clock).finalise(
        report_id,
        findings=FINDINGS,
        impression=IMPRESSION,
        expected_version=draft.version,
        delivery=ReportDelivery.ATTACHED_PDF,
    )
    paths = [
        (author, ReportAccessAction.VIEW, None),
        (author, ReportAccessAction.DOWNLOAD, r"saved as C:\Reports\Moyo.pdf"),
        (staff["reception"], ReportAccessAction.PRINT, "printer FRONT-DESK"),
        (staff["manager"], ReportAccessAction.EXPORT, "e-mailed to the medical aid"),
    ]
    for actor, action, detail in paths:
        clock.advance(minutes=1)
        file = access(database, actor, clock).document_for(report_id, action, detail)
        assert file.content == data
        assert file.sha256 == hashlib.sha256(data).hexdigest()
        assert file.filename == "report.pdf" and file.source == "attached"

    with database.session() as session:
        rows = session.execute(
            select(
                ReportAccessLog.staff_id,
                ReportAccessLog.action,
                ReportAccessLog.detail,
                ReportAccessLog.workstation,
                ReportAccessLog.accessed_at,
            )
            .where(ReportAccessLog.report_id == report_id)
            .order_by(ReportAccessLog.id)
        ).all()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (actor.id, action.value, detail, "reading-3") for actor, action, detail in paths
    ]
    assert rows[-1].accessed_at == clock.now

    history = access(database, author, clock).access_history(report_id)
    assert [entry.action for entry in history] == [
        ReportAccessAction.EXPORT,
        ReportAccessAction.PRINT,
        ReportAccessAction.DOWNLOAD,
        ReportAccessAction.VIEW,
    ]  # newest first
    assert history[1].staff_name == "Test Reception" and history[1].role is Role.RECEPTION
    assert len(access(database, staff["manager"], clock).access_history(report_id)) == 4
    other = ClinicBuilder(database).radiologist("other", "Dr Other")
    for outsider in (other, staff["reception"]):
        with pytest.raises(PermissionDeniedError, match="radiologist and the practice manager"):
            access(database, outsider, clock).access_history(report_id)


def test_a_draft_is_not_handed_to_reception(
    database: Database,
    clinic: ClinicBuilder,
    author: StaffAccount,
    staff: dict[str, StaffAccount],
    clock: FakeClock,
) -> None:
    study = clinic.study()
    report_id, _ = claimed(database, author, study)
    with pytest.raises(PermissionDeniedError, match="not final"):
        access(database, staff["reception"], clock).document_for(
            report_id, ReportAccessAction.PRINT
        )
    draft = access(database, author, clock).document_for(report_id, ReportAccessAction.VIEW)
    _, text = pdf_text(draft.content)
    assert "DRAFT" in text
    with database.session() as session:
        actions = session.scalars(select(ReportAccessLog.action)).all()
    assert actions == ["view"]  # the refused print left no row


def test_the_generated_pdf_reads_back_with_findings_signature_and_addendum(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    study = clinic.study(first_name="Tendai", last_name="Moyo", scan="X-ray chest", modality="XR")
    report_id, version = claimed(database, author, study)
    reports(database, author, clock).finalise(
        report_id,
        # U+FB01 (the "fi" ligature) and a full-width digit are folded by NFKC.
        findings=FINDINGS + "\n\nNo ﬁbrosis. Old rib fracture on the left (rib ５).",
        impression=IMPRESSION + " <no acute finding> & stable",
        expected_version=version,
    )
    clock.advance(days=1)
    reports(database, author, clock).add_addendum(
        report_id, "Comparison with the chest X-ray of 2024 received today: no change."
    )

    file = access(database, author, clock).document_for(report_id, ReportAccessAction.VIEW)

    assert file.source == "generated" and file.document_id is None
    assert file.filename.startswith("Report MIC") and file.filename.endswith(".pdf")
    pages, text = pdf_text(file.content)
    flat = " ".join(text.split())
    assert pages >= 1
    for expected in (
        "Radiology report",
        "Tendai Moyo",
        study.reference,
        "X-ray chest",
        "Dr Farai Chikwanha",
        "The lungs are clear. No pleural effusion.",
        "No fibrosis. Old rib fracture on the left (rib 5).",
        "Normal chest radiograph. <no acute finding> & stable",
        "Dr Rudo Mutasa, MBChB, MMed (Rad)",
        "Addendum 1",
        "Comparison with the chest X-ray of 2024 received today: no change.",
        f"Page 1 of {pages}",
        "FINAL REPORT",
    ):
        assert expected in flat, expected
    assert "DRAFT" not in flat
    metadata = PdfReader(io.BytesIO(file.content)).metadata
    assert metadata is not None and "Tendai Moyo" in (metadata.title or "")


def test_addenda_after_an_attached_pdf_are_appended_as_pages(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    study = clinic.study()
    report_id, version = claimed(database, author, study)
    attached = valid_pdf("Attached report text, Moyo", pages=2)
    draft = reports(database, author, clock).attach_pdf(
        report_id, attached, "attached.pdf", expected_version=version
    )
    reports(database, author, clock).finalise(
        report_id, findings="", impression="", expected_version=draft.version
    )
    reports(database, author, clock).add_addendum(report_id, "Second opinion: agree.")

    file = access(database, author, clock).document_for(report_id, ReportAccessAction.PRINT)

    pages, text = pdf_text(file.content)
    assert pages == 3 and file.appended_addenda == 1
    assert "Attached report text, Moyo (page 1)" in text
    last_page = " ".join(PdfReader(io.BytesIO(file.content)).pages[2].extract_text().split())
    assert "Second opinion: agree." in last_page
    assert "Addendum 1" in last_page
    # One document: the attached pages are numbered with the appended addenda page.
    assert page_numbers(file.content) == ["Page 1 of 3", "Page 2 of 3", "Page 3 of 3"]
    assert file.sha256 == hashlib.sha256(file.content).hexdigest()
