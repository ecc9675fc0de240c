"""The report of record: one delivered document, previewed as it leaves, checked for the patient."""

from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from mic_desktop.db import Database
from mic_desktop.models import (
    AuditLog,
    IdentityCheck,
    Patient,
    Report,
    ReportAccessAction,
    ReportDelivery,
    ReportDocument,
    ReportStatus,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.documents.page_images import render_pages
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.reporting.access_log import ReportAccessService
from mic_desktop.services.reporting.errors import DeliveryChoiceRequiredError
from mic_desktop.services.reporting.identity import (
    IdentityConfirmationRequiredError,
    WrongPatientPdfError,
)
from mic_desktop.services.reporting.reports import ReportService
from mic_desktop.services.reporting.worklist import WorklistService
from tests.reporting_helpers import (
    ClinicBuilder,
    FakeClock,
    Study,
    page_numbers,
    valid_pdf,
)

FINDINGS = "Diffusely increased liver echogenicity. Several gallstones, the largest 12 mm."
IMPRESSION = "Fatty liver. Cholelithiasis without cholecystitis."


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
    return ReportService(database.session_factory, actor, "reading-4", clock)


def handed_out(database: Database, actor: StaffAccount, clock: FakeClock, report_id: int):  # type: ignore[no-untyped-def]
    service = ReportAccessService(database.session_factory, actor, "reading-4", clock)
    return service.document_for(report_id, ReportAccessAction.PRINT, "printer FRONT-DESK")


def claimed(database: Database, actor: StaffAccount, study: Study) -> tuple[int, int]:
    claim = WorklistService(database.session_factory, actor, "reading-4").claim(
        study.appointment_id
    )
    return claim.report_id, claim.version


def mrn_of(database: Database, study: Study) -> str:
    with database.session() as session:
        patient = session.get(Patient, study.patient_id)
        assert patient is not None
        return patient.mrn


def typed_and_attached(
    database: Database, author: StaffAccount, clock: FakeClock, study: Study, pdf: bytes
) -> tuple[int, int]:
    """A draft with findings typed and a PDF attached: (report id, version)."""
    report_id, version = claimed(database, author, study)
    service = reports(database, author, clock)
    draft = service.save_draft(
        report_id, findings=FINDINGS, impression=IMPRESSION, expected_version=version
    )
    attached = service.attach_pdf(report_id, pdf, "outside.pdf", expected_version=draft.version)
    return report_id, attached.version


def pages_text(data: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages]


def pages_pixels(data: bytes) -> list[str]:
    return [hashlib.sha256(page.rgb).hexdigest() for page in render_pages(data, 400)]


def audit_rows(database: Database, action: str) -> list[AuditLog]:
    with database.session() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == action)).all()
        session.expunge_all()
        return list(rows)


# --- the choice ------------------------------------------------------------------------


def test_typed_text_and_an_attached_pdf_need_a_choice_before_finalising(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    study = clinic.study(first_name="Tendai", last_name="Moyo")
    pdf = valid_pdf("Normal chest radiograph. Patient: Tendai Moyo")
    report_id, version = typed_and_attached(database, author, clock, study, pdf)
    service = reports(database, author, clock)

    with pytest.raises(DeliveryChoiceRequiredError) as refused:
        service.finalise(
            report_id, findings=FINDINGS, impression=IMPRESSION, expected_version=version
        )
    assert refused.value.field == "delivery"
    with pytest.raises(DeliveryChoiceRequiredError):
        service.preview(report_id, findings=FINDINGS, impression=IMPRESSION)
    with pytest.raises(ValidationError, match="remove the PDF first"):
        service.finalise(
            report_id,
            findings=FINDINGS,
            impression=IMPRESSION,
            expected_version=version,
            delivery=ReportDelivery.REPORT,
        )
    with database.session() as session:
        report = session.get(Report, report_id)
        assert report is not None
        assert (report.status, report.delivery, report.version) == ("in_progress", None, version)
    assert audit_rows(database, "report_finalised") == []


@pytest.mark.parametrize(
    ("delivery", "keep_note"),
    [
        pytest.param(ReportDelivery.ATTACHED_PDF, True, id="pdf-text-kept-as-note"),
        pytest.param(ReportDelivery.ATTACHED_PDF, False, id="pdf-text-cleared"),
        pytest.param(ReportDelivery.REPORT_WITH_APPENDIX, True, id="report-with-appendix"),
    ],
)
def test_the_delivered_pdf_is_the_preview_page_for_page(
    database: Database,
    clinic: ClinicBuilder,
    author: StaffAccount,
    clock: FakeClock,
    delivery: ReportDelivery,
    keep_note: bool,
) -> None:
    study = clinic.study(first_name="Tendai", last_name="Moyo")
    pdf = valid_pdf("Normal chest radiograph. Patient: Tendai Moyo", pages=2)
    report_id, version = typed_and_attached(database, author, clock, study, pdf)
    service = reports(database, author, clock)

    preview = service.preview(
        report_id, findings=FINDINGS, impression=IMPRESSION, delivery=delivery
    )
    final = service.finalise(
        report_id,
        findings=FINDINGS,
        impression=IMPRESSION,
        expected_version=version,
        delivery=delivery,
        keep_private_note=keep_note,
    )
    delivered = handed_out(database, author, clock, report_id)

    assert final.is_final and final.delivery is delivery
    assert delivered.delivery is delivery
    assert preview.pdf.page_count == delivered.page_count
    assert pages_text(preview.pdf.content) == pages_text(delivered.content)
    assert pages_pixels(preview.pdf.content) == pages_pixels(delivered.content)
    text = " ".join(pages_text(delivered.content))
    total = delivered.page_count
    if delivery is ReportDelivery.ATTACHED_PDF:
        # The attached PDF leaves as it was stored; the typed text is in none of it.
        assert delivered.content == pdf and total == 2
        assert "gallstones" not in text
        assert (final.findings, final.impression) == ("", "")
        expected_note = f"Findings:\n{FINDINGS}\n\nImpression:\n{IMPRESSION}" if keep_note else ""
        assert final.private_note == expected_note
        typed = "private_note" if keep_note else "cleared"
    else:
        assert "Several gallstones" in text and "Normal chest radiograph" in text
        assert "APPENDIX" in text and "outside.pdf" in text
        assert (final.findings, final.impression, final.private_note) == (
            FINDINGS,
            IMPRESSION,
            "",
        )
        assert page_numbers(delivered.content) == [f"Page {n} of {total}" for n in range(1, 4)]
        assert "Appendix to the radiology report" in pages_text(delivered.content)[-1]
        typed = "delivered"
    [finalised] = audit_rows(database, "report_finalised")
    assert finalised.details["delivery"] == delivery.value
    assert finalised.details["typed_text"] == typed


def test_a_pdf_alone_or_text_alone_needs_no_choice(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    pdf_only = clinic.study(first_name="Tendai", last_name="Moyo")
    report_id, version = claimed(database, author, pdf_only)
    service = reports(database, author, clock)
    draft = service.attach_pdf(
        report_id, valid_pdf("Report for Tendai Moyo"), "r.pdf", expected_version=version
    )
    final = service.finalise(report_id, findings="", impression="", expected_version=draft.version)
    assert final.delivery is ReportDelivery.ATTACHED_PDF
    with pytest.raises(ValidationError, match="Write the findings"):
        other = clinic.study(first_name="Rudo", last_name="Banda")
        other_id, other_version = claimed(database, author, other)
        draft = service.attach_pdf(
            other_id, valid_pdf("Rudo Banda"), "r.pdf", expected_version=other_version
        )
        service.finalise(
            other_id,
            findings="",
            impression="",
            expected_version=draft.version,
            delivery=ReportDelivery.REPORT_WITH_APPENDIX,
        )

    text_only = clinic.study(first_name="Chipo", last_name="Dube")
    report_id, version = claimed(database, author, text_only)
    final = service.finalise(report_id, findings=FINDINGS, impression="", expected_version=version)
    assert final.delivery is ReportDelivery.REPORT


# --- the identity check ---------------------------------------------------------------


def test_a_pdf_naming_another_patients_mrn_is_refused(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    other = clinic.study(first_name="Farai", last_name="Banda")
    study = clinic.study(first_name="Tendai", last_name="Moyo")
    other_mrn, mrn = mrn_of(database, other), mrn_of(database, study)
    report_id, version = claimed(database, author, study)
    service = reports(database, author, clock)
    # It even names our patient's surname: another MRN in it still means a wrong file.
    wrong = valid_pdf(f"Normal chest radiograph. Moyo. MRN: {other_mrn[:3]} {other_mrn[3:]}")

    with pytest.raises(WrongPatientPdfError) as refused:
        service.attach_pdf(report_id, wrong, "chest.pdf", expected_version=version)
    assert refused.value.field == "pdf"
    assert other_mrn in str(refused.value) and mrn in str(refused.value)
    assert "Farai" not in str(refused.value)  # the other patient is not named to the reader
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ReportDocument)) == 0
        assert session.get(Report, report_id).version == version  # type: ignore[union-attr]

    # Nor can it come in later as an addendum's replacement PDF.
    final = service.finalise(
        report_id, findings=FINDINGS, impression=IMPRESSION, expected_version=version
    )
    with pytest.raises(WrongPatientPdfError):
        service.add_addendum(final.id, "Outside report attached.", pdf=wrong, pdf_filename="x.pdf")
    assert reports(database, author, clock).open(report_id).addenda == ()


def test_a_pdf_naming_neither_mrn_nor_surname_needs_a_confirmation_with_a_reason(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    study = clinic.study(first_name="Tendai", last_name="Moyo")
    report_id, version = claimed(database, author, study)
    service = reports(database, author, clock)
    unnamed = valid_pdf("Normal chest radiograph. No active disease.")
    draft = service.attach_pdf(report_id, unnamed, "dictation.pdf", expected_version=version)
    assert draft.current_document is not None
    assert draft.current_document.identity_check is IdentityCheck.NOT_NAMED

    preview = service.preview(report_id, findings="", impression="")
    assert preview.needs_identity_confirmation
    assert preview.identity_message is not None and "does not name" in preview.identity_message
    for reason in (None, "   "):
        with pytest.raises(IdentityConfirmationRequiredError) as refused:
            service.finalise(
                report_id,
                findings="",
                impression="",
                expected_version=draft.version,
                identity_confirmation=reason,
            )
        assert refused.value.field == "identity"
    assert audit_rows(database, "report_pdf_identity_confirmed") == []
    with database.session() as session:
        assert session.get(Report, report_id).status == "in_progress"  # type: ignore[union-attr]

    clock.advance(minutes=3)
    final = service.finalise(
        report_id,
        findings="",
        impression="",
        expected_version=draft.version,
        identity_confirmation="  My own dictation for this exam,   printed without labels ",
    )

    assert final.status is ReportStatus.COMPLETED
    document = final.current_document
    assert document is not None
    assert document.identity_check is IdentityCheck.NOT_NAMED
    assert document.identity_confirmed_by_name == "Dr Rudo Mutasa"
    assert document.identity_confirmed_at == clock.now
    reason = "My own dictation for this exam, printed without labels"
    assert document.identity_confirmation_reason == reason
    [row] = audit_rows(database, "report_pdf_identity_confirmed")
    assert (row.entity, row.entity_id, row.username, row.workstation) == (
        "report",
        str(report_id),
        "rmutasa",
        "reading-4",
    )
    assert row.details["reason"] == reason
    assert row.details["document_id"] == document.id
    assert row.details["filename"] == "dictation.pdf"


@pytest.mark.parametrize(
    ("words", "check"),
    [
        pytest.param("Patient: TENDAI MOYÖ", IdentityCheck.NAMED, id="surname-any-case-accent"),
        pytest.param("MRN {mrn_spaced}", IdentityCheck.NAMED, id="mrn-split-in-two"),
        pytest.param("Accession {reference}", IdentityCheck.NAMED, id="booking-reference"),
        pytest.param("Mr T. Moyoyo", IdentityCheck.NOT_NAMED, id="surname-inside-a-word"),
        pytest.param("Moyo, accession {earlier}", IdentityCheck.OTHER_EXAM, id="other-exam"),
    ],
)
def test_what_counts_as_naming_the_patient(
    database: Database,
    clinic: ClinicBuilder,
    author: StaffAccount,
    clock: FakeClock,
    words: str,
    check: IdentityCheck,
) -> None:
    earlier = clinic.study(first_name="Tendai", last_name="Moyo")
    study = clinic.study(patient_id=earlier.patient_id)
    mrn = mrn_of(database, study)
    text = words.format(
        mrn_spaced=f"{mrn[:3]} {mrn[3:]}", reference=study.reference, earlier=earlier.reference
    )
    report_id, version = claimed(database, author, study)
    detail = reports(database, author, clock).attach_pdf(
        report_id, valid_pdf(text), "r.pdf", expected_version=version
    )
    assert detail.current_document is not None
    assert detail.current_document.identity_check is check


# --- page numbers across the whole delivered file -------------------------------------


def test_page_numbers_run_across_report_addenda_and_appendix(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    study = clinic.study(first_name="Tendai", last_name="Moyo")
    long_findings = "\n\n".join(f"Paragraph {n}: {FINDINGS}" for n in range(1, 60))
    report_id, version = claimed(database, author, study)
    service = reports(database, author, clock)
    draft = service.save_draft(
        report_id, findings=long_findings, impression=IMPRESSION, expected_version=version
    )
    draft = service.attach_pdf(
        report_id, valid_pdf("Outside CT, Tendai Moyo", pages=3), "ct.pdf",
        expected_version=draft.version,
    )  # fmt: skip
    service.finalise(
        report_id,
        findings=long_findings,
        impression=IMPRESSION,
        expected_version=draft.version,
        delivery=ReportDelivery.REPORT_WITH_APPENDIX,
    )
    service.add_addendum(report_id, "Discussed with the referring doctor.")

    delivered = handed_out(database, author, clock, report_id)

    total = delivered.page_count
    assert total >= 6  # at least two report pages, then the three appendix pages
    assert page_numbers(delivered.content) == [f"Page {n} of {total}" for n in range(1, total + 1)]
    texts = pages_text(delivered.content)
    addendum_page = next(i for i, t in enumerate(texts) if "Discussed with the referring" in t)
    first_appendix = next(i for i, t in enumerate(texts) if "Outside CT" in t)
    assert addendum_page < first_appendix == total - 3  # report + addenda + appendix


def test_a_replacement_pdf_of_a_typed_report_is_delivered_as_its_appendix(
    database: Database, clinic: ClinicBuilder, author: StaffAccount, clock: FakeClock
) -> None:
    study = clinic.study(first_name="Tendai", last_name="Moyo")
    report_id, version = claimed(database, author, study)
    service = reports(database, author, clock)
    service.finalise(report_id, findings=FINDINGS, impression=IMPRESSION, expected_version=version)
    detail = service.add_addendum(
        report_id,
        "The outside CT is attached.",
        pdf=valid_pdf("Outside CT for Moyo"),
        pdf_filename="ct.pdf",
    )
    assert detail.delivery is ReportDelivery.REPORT_WITH_APPENDIX
    delivered = handed_out(database, author, clock, report_id)
    text = " ".join(pages_text(delivered.content))
    assert "Several gallstones" in text and "Outside CT for Moyo" in text
    total = delivered.page_count
    assert page_numbers(delivered.content) == [f"Page {n} of {total}" for n in range(1, total + 1)]
