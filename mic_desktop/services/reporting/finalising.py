"""The rules of finalising that go beyond signing: the report of record and the identity check.

When a PDF is attached and text typed, the delivery the radiologist chose decides
what happens to the text (:func:`apply_delivery`): delivered in the generated report,
or kept out of it as a private note, or cleared. An attached PDF that does not name
the patient is delivered only with a confirmation and its reason, written onto the
stored document and into the audit log (:func:`record_identity`).
:func:`preview_content` is the report as it will read once signed, for the preview.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy.orm import Session

from mic_desktop.models import Report, ReportDelivery, ReportDocument, ReportStatus
from mic_desktop.services import audit
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.documents.report_content import CriticalNote, ReportPdfContent
from mic_desktop.services.reporting.delivery import DeliveredPdf
from mic_desktop.services.reporting.identity import (
    IdentityConfirmationRequiredError,
    IdentityResult,
    check_identity,
    explain,
)


class TypedText(StrEnum):
    """What became of the typed findings and impression at finalising."""

    NONE = "none"  # nothing was typed
    DELIVERED = "delivered"  # printed in the generated report
    PRIVATE_NOTE = "private_note"  # kept, labelled, out of the delivered report
    CLEARED = "cleared"


@dataclass(frozen=True)
class DeliveryPreview:
    """Exactly the file that finalising now would deliver, and what its text says."""

    pdf: DeliveredPdf
    identity: IdentityResult | None  # None when no PDF is attached
    identity_message: str | None  # why a confirmation is needed, when it is

    @property
    def needs_identity_confirmation(self) -> bool:
        return self.identity is not None and self.identity.needs_confirmation


def private_note(findings: str, impression: str) -> str:
    """The typed text as one labelled note."""
    parts = [
        f"{label}:\n{text}"
        for label, text in (("Findings", findings), ("Impression", impression))
        if text
    ]
    return "\n\n".join(parts)


def apply_delivery(
    report: Report,
    delivery: ReportDelivery,
    findings: str,
    impression: str,
    keep_private_note: bool,
) -> TypedText:
    """Store the chosen delivery and the typed text where it now belongs."""
    report.delivery = delivery.value
    if not (findings or impression):
        report.findings, report.impression = "", ""
        return TypedText.NONE
    if delivery is not ReportDelivery.ATTACHED_PDF:
        report.findings, report.impression = findings, impression
        return TypedText.DELIVERED
    report.findings, report.impression = "", ""
    if keep_private_note:
        report.private_note = private_note(findings, impression)
        return TypedText.PRIVATE_NOTE
    report.private_note = ""
    return TypedText.CLEARED


def identity_of(
    session: Session, report: Report, content: bytes, filename: str
) -> tuple[IdentityResult, str | None]:
    """The identity check of ``content`` for ``report``'s exam, with the sentence it needs."""
    result = check_identity(session, report.appointment_id, content, filename)
    if not result.needs_confirmation:
        return result, None
    appointment = report.appointment
    return result, explain(result, filename, appointment.patient, appointment.reference)


def require_confirmation(result: IdentityResult, message: str | None, reason: str) -> None:
    """Refuse when the PDF does not name the patient and nobody confirmed it with a reason."""
    if result.needs_confirmation and not reason:
        raise IdentityConfirmationRequiredError(message or "Confirm the PDF's patient.", result)


def record_identity(
    session: Session,
    document: ReportDocument,
    result: IdentityResult,
    reason: str,
    actor: StaffAccount,
    workstation: str,
    now: dt.datetime,
    appointment_id: int,
) -> None:
    """Write the check onto the stored PDF; a confirmation also goes to the audit log."""
    document.identity_check = result.check.value
    if not result.needs_confirmation:
        return
    document.identity_confirmed_by_id = actor.id
    document.identity_confirmed_at = now
    document.identity_confirmation_reason = reason
    audit.record(
        session,
        "report_pdf_identity_confirmed",
        staff_id=actor.id,
        username=actor.username,
        entity="report",
        entity_id=document.report_id,
        details={
            "appointment_id": appointment_id,
            "document_id": document.id,
            "filename": document.filename,
            "identity_check": result.check.value,
            "other_references": list(result.other_references),
            "reason": reason,
        },
        workstation=workstation,
    )


def preview_content(
    content: ReportPdfContent,
    *,
    findings: str,
    impression: str,
    delivery: ReportDelivery,
    signed_name: str,
    now: dt.datetime,
    critical: str,
) -> ReportPdfContent:
    """The report as it reads once signed by ``signed_name`` at ``now``."""
    delivered_text = delivery is not ReportDelivery.ATTACHED_PDF
    return replace(
        content,
        findings=findings if delivered_text else "",
        impression=impression if delivered_text else "",
        status=ReportStatus.COMPLETED.value,
        signed_name=signed_name,
        finalised_at=now,
        critical=CriticalNote(critical) if critical else None,
    )
