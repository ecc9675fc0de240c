"""How a report reads in the report window: small rich-text pieces built from its detail.

The status line, the exam line, the critical finding, the addenda, the PDF line
(technical details such as the SHA-256 in its tooltip), which document is delivered,
a prior report and a row of the access history. Pure functions of the service's
:class:`ReportDetail` (and the clinic's time zone), so the window only places them.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from mic_desktop.models import ReportAccessAction, ReportDelivery, ReportStatus
from mic_desktop.services.formats import format_date
from mic_desktop.services.reporting.access_log import AccessEntry
from mic_desktop.services.reporting.detail import CriticalFindingView, DocumentInfo, ReportDetail
from mic_desktop.ui.common.colours import ERROR_TEXT, MUTED_TEXT, URGENT
from mic_desktop.ui.common.formatting import format_datetime

STATUS_TEXT = {
    ReportStatus.PENDING: "Not started",
    ReportStatus.IN_PROGRESS: "Draft",
    ReportStatus.COMPLETED: "Final",
    ReportStatus.REVIEWED: "Final, reviewed",
}
ACTION_TEXT = {
    ReportAccessAction.VIEW: "Viewed",
    ReportAccessAction.DOWNLOAD: "Saved a copy",
    ReportAccessAction.PRINT: "Printed",
    ReportAccessAction.EXPORT: "Exported",
}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def paragraphs(text: str) -> str:
    if not text.strip():
        return f"<p style='color:{MUTED_TEXT}'>—</p>"
    return "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())


def megabytes(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def exam_html(detail: ReportDetail, zone: ZoneInfo) -> str:
    """Birth date, sex, scan type (urgent marked), scan time and reference."""
    marker = f" <b style='color:{URGENT}'>● URGENT</b>" if detail.is_urgent else ""
    return (
        f"Born {format_date(detail.date_of_birth)} · {detail.sex.value.title()} · "
        f"<b>{escape(detail.scan_type)}</b> ({escape(detail.modality)}){marker} · "
        f"scanned {format_datetime(detail.exam_at, zone)} · {detail.reference}"
    )


def status_html(detail: ReportDetail, me: int, zone: ZoneInfo) -> str:
    """Draft or final, who holds or signed it and when; locked or read only."""
    status = STATUS_TEXT[detail.status]
    if detail.is_final and detail.finalised_at is not None:
        text = (
            f"<b style='color:#15723a'>{status}</b> — signed "
            f"{escape(detail.signed_name or '')}, {format_datetime(detail.finalised_at, zone)}"
        )
        if detail.reviewed_at is not None:
            text += (
                f"; reviewed by {escape(detail.reviewed_by_name or '')}, "
                f"{format_datetime(detail.reviewed_at, zone)}"
            )
        return text + " · locked: corrections go in an addendum"
    holder = detail.radiologist_name or "nobody (claim it from the worklist)"
    text = f"<b>{status}</b> — claimed by {escape(holder)}"
    if detail.status is ReportStatus.IN_PROGRESS:
        text += f", last saved {format_datetime(detail.updated_at, zone)}"
    if not detail.can_edit(me):
        text += " · read only"
    return text


def referral_html(detail: ReportDetail) -> str:
    """The referring doctor with the practice and phone."""
    doctor = detail.referring_doctor or "no referring doctor recorded"
    contact = " · ".join(p for p in (detail.referring_practice, detail.referring_doctor_phone) if p)
    return f"Referred by <b>{escape(doctor)}</b> {escape(contact)}"


def critical_html(critical: CriticalFindingView, zone: ZoneInfo) -> str:
    """The critical finding and whether (and to whom) it was communicated."""
    state = (
        f"told {critical.communicated_to} ({critical.communication_method.label.lower()})"
        f" {format_datetime(critical.communicated_at, zone)}"
        if critical.communicated_at and critical.communication_method
        else "not yet communicated"
    )
    return (
        f"<b style='color:{URGENT}'>● Critical finding:</b> {escape(critical.description)}"
        f" <span style='color:{MUTED_TEXT}'>— {state}</span>"
    )


def addenda_html(detail: ReportDetail, zone: ZoneInfo) -> str:
    """Every addendum, signed and dated, separated by rules ('' without addenda)."""
    parts = []
    for addendum in detail.addenda:
        pdf = " · with a replacement PDF" if addendum.document_id else ""
        parts.append(
            f"<p><b>Addendum {format_datetime(addendum.created_at, zone)}</b>, "
            f"signed {escape(addendum.signed_name)}{pdf}</p>{paragraphs(addendum.text)}"
        )
    return "<hr>".join(parts)


def pdf_html(detail: ReportDetail, editable: bool, zone: ZoneInfo) -> str:
    """The attached report PDF, or how the PDF is made when none is attached."""
    current = detail.current_document
    if current is not None:
        text = (
            f"<b>Report PDF:</b> {escape(current.filename)} "
            f"({megabytes(current.size_bytes)}), attached by "
            f"{escape(current.uploaded_by_name or '—')} "
            f"{format_datetime(current.uploaded_at, zone)}"
        )
        if current.identity_confirmed_at is not None:
            text += (
                f"<br><span style='color:{MUTED_TEXT}'>Confirmed as this patient's report by "
                f"{escape(current.identity_confirmed_by_name or '—')}: "
                f"“{escape(current.identity_confirmation_reason or '')}”</span>"
            )
        elif not current.names_the_patient and not detail.is_final:
            text += (
                f"<br><b style='color:{ERROR_TEXT}'>Its text does not name this patient "
                f"(MRN {escape(detail.mrn)}).</b> Check it is the right file: Finalise asks "
                "you to confirm it with a reason."
            )
        return text
    if editable:
        return (
            "<b>Report PDF:</b> none attached — it is generated from the text above. "
            "To use your own, attach it or drop the PDF file on this window."
        )
    return "<b>Report PDF:</b> generated from the report text."


def pdf_tooltip(document: DocumentInfo | None, zone: ZoneInfo) -> str:
    """The stored file's technical details, for whoever needs to compare copies."""
    if document is None:
        return ""
    return "\n".join(
        (
            f"File: {document.filename}",
            f"Size: {document.size_bytes:,} bytes",
            f"SHA-256: {document.sha256}",
            f"Attached: {format_datetime(document.uploaded_at, zone)}",
        )
    )


def delivery_html(detail: ReportDetail, has_text: bool) -> str:
    """Which document leaves the clinic as this report ('' when only the text exists)."""
    current = detail.current_document
    name = f"“{escape(current.filename)}”" if current is not None else "the PDF"
    delivers = detail.delivers
    if detail.is_final:
        if delivers is ReportDelivery.ATTACHED_PDF:
            note = (
                " The typed text shown below is a private note, not part of the report."
                if detail.private_note
                else ""
            )
            return f"<b>Delivered report:</b> the attached PDF {name}.{note}"
        if delivers is ReportDelivery.REPORT_WITH_APPENDIX:
            return (
                "<b>Delivered report:</b> generated from the findings and impression below, "
                f"with the PDF {name} as its appendix."
            )
        return ""
    if current is None:
        return ""
    if not has_text:
        return (
            f"<b>Will be delivered:</b> the attached PDF {name}. The text boxes below are "
            "empty; anything typed there would not be part of it."
        )
    return (
        f"<b>Two documents — only one can be the report:</b> the attached PDF {name} and "
        "the findings typed below. At Finalise you choose: deliver the PDF (your text kept "
        "as a private note, or cleared), or deliver the typed report with the PDF as an appendix."
    )


def prior_html(prior: ReportDetail, zone: ZoneInfo) -> str:
    """A prior report to read beside the current one: findings, impression, addenda."""
    signed = (
        f"Signed {escape(prior.signed_name or '')}, {format_datetime(prior.finalised_at, zone)}"
        if prior.finalised_at
        else STATUS_TEXT[prior.status]
    )
    addenda = "".join(
        f"<h4>Addendum {format_datetime(a.created_at, zone)} — {escape(a.signed_name)}</h4>"
        f"{paragraphs(a.text)}"
        for a in prior.addenda
    )
    return (
        f"<h3>{escape(prior.scan_type)}</h3>"
        f"<p style='color:{MUTED_TEXT}'>Scanned {format_datetime(prior.exam_at, zone)} · "
        f"{prior.reference} · {signed}</p>"
        f"<h4>Findings</h4>{paragraphs(prior.findings)}"
        f"<h4>Impression</h4>{paragraphs(prior.impression)}{addenda}"
    )


def history_cells(entry: AccessEntry, zone: ZoneInfo) -> tuple[str, str, str, str]:
    """When, who, what and the workstation of one access to the report."""
    what = ACTION_TEXT[entry.action] + (f" — {entry.detail}" if entry.detail else "")
    return (
        format_datetime(entry.accessed_at, zone),
        entry.staff_name,
        what,
        entry.workstation or "—",
    )
