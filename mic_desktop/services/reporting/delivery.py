"""The one document a report delivers, put together the same way for the preview and every hand-out.

A report delivers exactly one of (:class:`~mic_desktop.models.ReportDelivery`):

- the report generated from the typed findings and impression, with its addenda;
- the attached PDF, followed by pages for addenda written after it;
- the generated report with its addenda, then the attached PDF as an appendix.

When a PDF is attached and text is typed, the radiologist chooses
(:func:`choose_delivery`). "Page N of M" runs across the whole delivered file: generated
pages are numbered knowing the pages before and after them, and attached pages that
are delivered with generated ones are stamped (:mod:`~mic_desktop.services.documents.page_stamps`).
An attached PDF delivered alone is handed out byte for byte as it was stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mic_desktop.models import Report, ReportAddendum, ReportDelivery, ReportDocument
from mic_desktop.services.documents.letterhead import clean
from mic_desktop.services.documents.page_stamps import join_pdfs, page_count, stamp_page_numbers
from mic_desktop.services.documents.report import render_addenda_pdf, render_report_pdf
from mic_desktop.services.documents.report_content import (
    AppendixNote,
    ReportPdfContent,
    report_filename,
)
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.reporting.errors import DeliveryChoiceRequiredError
from mic_desktop.services.reporting.pdf_content import load_report_pdf_content


@dataclass(frozen=True)
class AttachedPdf:
    """The report's current stored PDF."""

    document_id: int
    filename: str
    content: bytes
    sha256: str
    source: str
    addenda_included: int  # addenda written before it (a replacement PDF holds them)


@dataclass(frozen=True)
class DeliveredPdf:
    """The file that leaves the clinic as this report."""

    filename: str
    content: bytes
    sha256: str
    delivery: ReportDelivery
    source: str  # "attached" when the attached PDF is the report, else "generated"
    document_id: int | None  # the stored PDF in it, if any
    appended_addenda: int  # addenda pages added after an attached PDF
    page_count: int


def choose_delivery(
    *, has_text: bool, has_pdf: bool, requested: ReportDelivery | None
) -> ReportDelivery:
    """The delivery for finalising, or the error that says what is missing."""
    if not has_pdf:
        if requested not in (None, ReportDelivery.REPORT):
            raise ValidationError("No PDF is attached: the typed report is delivered.", "delivery")
        return ReportDelivery.REPORT
    if requested is ReportDelivery.REPORT:
        raise ValidationError(
            "A PDF is attached: deliver it, or deliver the typed report with the PDF as an "
            "appendix. To deliver the typed report alone, remove the PDF first.",
            "delivery",
        )
    if not has_text:
        if requested is ReportDelivery.REPORT_WITH_APPENDIX:
            raise ValidationError(
                "Write the findings or the impression to deliver a typed report with the PDF "
                "as its appendix.",
                "findings",
            )
        return ReportDelivery.ATTACHED_PDF
    if requested is None:
        raise DeliveryChoiceRequiredError()
    return requested


def stored_delivery(report: Report, has_pdf: bool) -> ReportDelivery:
    """What the report delivers now (drafts and older reports: their PDF if they have one)."""
    if report.delivery:
        return ReportDelivery(report.delivery)
    return ReportDelivery.ATTACHED_PDF if has_pdf else ReportDelivery.REPORT


def current_attachment(session: Session, report_id: int) -> AttachedPdf | None:
    document = session.scalars(
        select(ReportDocument).where(
            ReportDocument.report_id == report_id, ReportDocument.is_current
        )
    ).one_or_none()
    if document is None:
        return None
    included = 0
    if document.addendum_id is not None:
        included = session.scalar(
            select(func.count(ReportAddendum.id)).where(
                ReportAddendum.report_id == report_id, ReportAddendum.id <= document.addendum_id
            )
        )
    return AttachedPdf(
        document.id,
        document.filename,
        document.content,
        document.sha256,
        document.source,
        included or 0,
    )


def delivered_pdf(session: Session, report: Report, now: dt.datetime) -> DeliveredPdf:
    """The report's delivered file as it is handed out at ``now``."""
    attached = current_attachment(session, report.id)
    content = load_report_pdf_content(session, report.id, generated_at=now)
    return assemble(content, stored_delivery(report, attached is not None), attached)


def assemble(
    content: ReportPdfContent, delivery: ReportDelivery, attached: AttachedPdf | None
) -> DeliveredPdf:
    """Put the delivered file together from the report's content and its attached PDF."""
    if attached is None or delivery is ReportDelivery.REPORT:
        data = render_report_pdf(content)
        return _delivered(report_filename(content), data, ReportDelivery.REPORT, "generated")
    if delivery is ReportDelivery.REPORT_WITH_APPENDIX:
        return _with_appendix(content, attached)
    return _attached_with_addenda(content, attached)


def _with_appendix(content: ReportPdfContent, attached: AttachedPdf) -> DeliveredPdf:
    appendix_pages = page_count(attached.content)
    report = render_report_pdf(content, appendix=AppendixNote(attached.filename, appendix_pages))
    report_pages = page_count(report)
    appendix = stamp_page_numbers(
        attached.content,
        left=f"Appendix to the radiology report  ·  {_who(content)}",
        first_number=report_pages + 1,
        total=report_pages + appendix_pages,
    )
    return _delivered(
        report_filename(content),
        join_pdfs([report, appendix]),
        ReportDelivery.REPORT_WITH_APPENDIX,
        "generated",
        attached.document_id,
    )


def _attached_with_addenda(content: ReportPdfContent, attached: AttachedPdf) -> DeliveredPdf:
    later = content.addenda[attached.addenda_included :]
    if not later:
        return DeliveredPdf(
            attached.filename,
            attached.content,
            attached.sha256,
            ReportDelivery.ATTACHED_PDF,
            attached.source,
            attached.document_id,
            0,
            page_count(attached.content),
        )
    report_pages = page_count(attached.content)
    addenda = render_addenda_pdf(
        replace(content, addenda=later),
        first_number=attached.addenda_included + 1,
        page_offset=report_pages,
    )
    total = report_pages + page_count(addenda)
    report = stamp_page_numbers(attached.content, left=_who(content), first_number=1, total=total)
    return _delivered(
        attached.filename,
        join_pdfs([report, addenda]),
        ReportDelivery.ATTACHED_PDF,
        attached.source,
        attached.document_id,
        len(later),
    )


def _delivered(
    filename: str,
    data: bytes,
    delivery: ReportDelivery,
    source: str,
    document_id: int | None = None,
    appended_addenda: int = 0,
) -> DeliveredPdf:
    return DeliveredPdf(
        filename,
        data,
        hashlib.sha256(data).hexdigest(),
        delivery,
        source,
        document_id,
        appended_addenda,
        page_count(data),
    )


def _who(content: ReportPdfContent) -> str:
    return (
        f"{clean(content.patient_name)}  ·  MRN {clean(content.mrn)}  ·  "
        f"Ref {clean(content.reference)}"
    )
