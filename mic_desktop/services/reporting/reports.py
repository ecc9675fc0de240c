"""Writing a radiology report: draft, finalise (signed and locked), review, addenda, PDFs.

Statuses: pending -> in_progress (draft) -> completed (final, signed) -> reviewed.
Only the radiologist who claimed a study writes its draft; a final report is never
edited again: corrections are dated, signed addenda, and a replacement PDF can only
come with one. Finalising delivers one document of record (:mod:`.delivery`), shown
beforehand by :meth:`ReportService.preview`; an attached PDF is checked against the
patient (:mod:`.identity`, :mod:`.finalising`). Every save checks the version the
editor loaded (a stale save is refused with who changed it and when); every change is
audited and announced live (:mod:`.report_rules`). Opening a report is a "view" in the
report access log.
"""

from __future__ import annotations

from mic_desktop.models import (
    AppointmentAttachment,
    CriticalFinding,
    Report,
    ReportAccessAction,
    ReportAddendum,
    ReportDelivery,
    ReportStatus,
    Role,
    StaffUser,
)
from mic_desktop.services import audit
from mic_desktop.services.errors import NotFoundError, ValidationError
from mic_desktop.services.messaging import notifications
from mic_desktop.services.reporting import finalising
from mic_desktop.services.reporting.access_log import log_access
from mic_desktop.services.reporting.delivery import assemble, current_attachment, stored_delivery
from mic_desktop.services.reporting.detail import (
    ReferralLetterFile,
    ReportDetail,
    load_report_detail,
)
from mic_desktop.services.reporting.errors import (
    AlreadyReviewedError,
    ReportAlreadyFinalError,
    ReportNotFinalError,
    SelfReviewError,
)
from mic_desktop.services.reporting.finalising import DeliveryPreview
from mic_desktop.services.reporting.identity import IdentityResult, clean_reason
from mic_desktop.services.reporting.pdf_content import load_report_pdf_content
from mic_desktop.services.reporting.report_rules import (
    FINAL_STATUSES,
    ReportRules,
    clean_critical,
    clean_text,
    current_document,
    signature,
)

DRAFT_STATUSES = (ReportStatus.PENDING.value, ReportStatus.IN_PROGRESS.value)
__all__ = ["DeliveryPreview", "ReportDetail", "ReportService"]


class ReportService(ReportRules):
    # --- reading -------------------------------------------------------------------

    def open(self, report_id: int) -> ReportDetail:
        """The report for the editor or viewer; written to the access log as a view."""
        self._require(Role.RADIOLOGIST, Role.MANAGER)
        with self._sessions.begin() as session:
            detail = load_report_detail(session, report_id)
            log_access(
                session,
                report_id,
                self._actor,
                ReportAccessAction.VIEW,
                self._workstation,
                "opened in the report window",
                self._clock(),
            )
            return detail

    def referral_letter(self, attachment_id: int) -> ReferralLetterFile:
        """A referral letter of the booking, to show beside the editor."""
        self._require(Role.RADIOLOGIST, Role.MANAGER)
        with self._sessions() as session:
            row = session.get(AppointmentAttachment, attachment_id)
            if row is None:
                raise NotFoundError("This referral letter no longer exists.")
            return ReferralLetterFile(row.id, row.filename, row.content_type, row.content)

    # --- writing -------------------------------------------------------------------

    def save_draft(
        self, report_id: int, *, findings: str, impression: str, expected_version: int
    ) -> ReportDetail:
        """Save the text as a draft (in_progress)."""
        self._require(Role.RADIOLOGIST)
        now = self._clock()
        with self._sessions.begin() as session:
            report = self._editable(session, report_id, expected_version)
            previous = report.status
            report.findings = clean_text(findings)
            report.impression = clean_text(impression)
            report.status = ReportStatus.IN_PROGRESS.value
            self._touch(report, now)
            session.flush()
            self._changed(
                session, "report_draft_saved", report, {"from": previous, "to": report.status}
            )
            return load_report_detail(session, report_id)

    def preview(
        self,
        report_id: int,
        *,
        findings: str,
        impression: str,
        delivery: ReportDelivery | None = None,
        critical_finding: str | None = None,
    ) -> DeliveryPreview:
        """The file finalising with this text and ``delivery`` would deliver, signed now.

        Refuses like :meth:`finalise` (no choice made, a PDF naming another patient) but
        does not ask for the identity confirmation: it says whether one is needed.
        """
        self._require(Role.RADIOLOGIST)
        now = self._clock()
        findings, impression = clean_text(findings), clean_text(impression)
        critical = clean_critical(critical_finding)
        with self._sessions.begin() as session:
            report = session.get(Report, report_id)
            if report is None:
                raise NotFoundError("This report no longer exists.")
            if report.status in FINAL_STATUSES:
                raise ReportAlreadyFinalError(report.signed_name)
            self._check_claim(session, report)
            attached = current_attachment(session, report_id)
            chosen = self._choose(findings, impression, attached is not None, delivery)
            identity, message = None, None
            if attached is not None:
                identity, message = finalising.identity_of(
                    session, report, attached.content, attached.filename
                )
            signer = session.get(StaffUser, self._actor.id)
            assert signer is not None
            content = finalising.preview_content(
                load_report_pdf_content(session, report_id, generated_at=now),
                findings=findings,
                impression=impression,
                delivery=chosen,
                signed_name=signature(signer),
                now=now,
                critical=critical,
            )
            pdf = assemble(content, chosen, attached)
            log_access(
                session,
                report_id,
                self._actor,
                ReportAccessAction.VIEW,
                self._workstation,
                "previewed before finalising",
                now,
            )
            return DeliveryPreview(pdf, identity, message)

    def finalise(
        self,
        report_id: int,
        *,
        findings: str,
        impression: str,
        expected_version: int,
        critical_finding: str | None = None,
        delivery: ReportDelivery | None = None,
        keep_private_note: bool = True,
        identity_confirmation: str | None = None,
    ) -> ReportDetail:
        """Sign and lock the report; flag a critical result; queue "report ready".

        With a PDF attached and text typed, ``delivery`` says which is the report; when
        the PDF is delivered, the text is kept as a private note (``keep_private_note``)
        or cleared. A PDF that does not name the patient needs ``identity_confirmation``,
        the reason the radiologist gives that it is this patient's report.
        """
        self._require(Role.RADIOLOGIST)
        now = self._clock()
        findings, impression = clean_text(findings), clean_text(impression)
        critical = clean_critical(critical_finding)
        reason = clean_reason(identity_confirmation)
        with self._sessions.begin() as session:
            report = self._locked(session, report_id)
            if report.status in FINAL_STATUSES:
                raise ReportAlreadyFinalError(report.signed_name)
            self._check_claim(session, report)
            self._check_version(session, report, expected_version)
            document = current_document(session, report_id)
            chosen = self._choose(findings, impression, document is not None, delivery)
            identity: IdentityResult | None = None
            if document is not None:
                identity, message = finalising.identity_of(
                    session, report, document.content, document.filename
                )
                finalising.require_confirmation(identity, message, reason)
            signer = session.get(StaffUser, self._actor.id)
            assert signer is not None
            previous = report.status
            typed = finalising.apply_delivery(
                report, chosen, findings, impression, keep_private_note
            )
            report.status = ReportStatus.COMPLETED.value
            report.finalised_at = now
            report.finalised_by_id = signer.id
            report.signed_name = signature(signer)
            self._touch(report, now)
            if critical:
                session.add(
                    CriticalFinding(
                        report_id=report.id,
                        description=critical,
                        flagged_by_id=signer.id,
                        flagged_at=now,
                    )
                )
            session.flush()
            if document is not None and identity is not None:
                finalising.record_identity(
                    session,
                    document,
                    identity,
                    reason,
                    self._actor,
                    self._workstation,
                    now,
                    report.appointment_id,
                )
            queued = notifications.queue_report_ready(session, report)
            self._changed(
                session,
                "report_finalised",
                report,
                {
                    "from": previous,
                    "signed_name": report.signed_name,
                    "critical_finding": bool(critical),
                    "notifications_queued": queued,
                    "delivery": chosen.value,
                    "typed_text": typed.value,
                    "document_id": document.id if document is not None else None,
                },
            )
            if critical:
                audit.record(
                    session,
                    "critical_finding_flagged",
                    staff_id=self._actor.id,
                    username=self._actor.username,
                    entity="report",
                    entity_id=report.id,
                    details={"description": critical},
                    workstation=self._workstation,
                )
            return load_report_detail(session, report_id)

    def review(self, report_id: int, *, expected_version: int) -> ReportDetail:
        """A second radiologist confirms a final report (completed -> reviewed)."""
        self._require(Role.RADIOLOGIST)
        now = self._clock()
        with self._sessions.begin() as session:
            report = self._locked(session, report_id)
            if report.status in DRAFT_STATUSES:
                raise ReportNotFinalError("Only a final report can be reviewed.")
            if report.status == ReportStatus.REVIEWED.value:
                reviewer = session.get(StaffUser, report.reviewed_by_id)
                raise AlreadyReviewedError(reviewer.full_name if reviewer else "someone")
            if report.finalised_by_id == self._actor.id:
                raise SelfReviewError()
            self._check_version(session, report, expected_version)
            report.status = ReportStatus.REVIEWED.value
            report.reviewed_at = now
            report.reviewed_by_id = self._actor.id
            self._touch(report, now)
            session.flush()
            self._changed(session, "report_reviewed", report, {"from": "completed"})
            return load_report_detail(session, report_id)

    def add_addendum(
        self,
        report_id: int,
        text: str,
        *,
        pdf: bytes | None = None,
        pdf_filename: str | None = None,
        identity_confirmation: str | None = None,
    ) -> ReportDetail:
        """Add a dated, signed addendum to a final report, optionally with a replacement PDF.

        The PDF replaces the delivered PDF (or the appendix); a report that delivered its
        typed text keeps it and gets the PDF as an appendix. A PDF that does not name the
        patient needs ``identity_confirmation`` (see :meth:`finalise`).
        """
        self._require(Role.RADIOLOGIST)
        now = self._clock()
        body = clean_text(text)
        if not body:
            raise ValidationError("Write the addendum before saving it.", "addendum")
        checked = self._check_pdf(pdf, pdf_filename) if pdf is not None else None
        reason = clean_reason(identity_confirmation)
        with self._sessions.begin() as session:
            report = self._locked(session, report_id)
            if report.status not in FINAL_STATUSES:
                raise ReportNotFinalError(
                    "Addenda are for final reports. This report is still a draft: "
                    "edit the findings instead."
                )
            identity: IdentityResult | None = None
            if checked is not None:
                identity, message = finalising.identity_of(
                    session, report, checked.content, checked.filename
                )
                finalising.require_confirmation(identity, message, reason)
            signer = session.get(StaffUser, self._actor.id)
            assert signer is not None
            addendum = ReportAddendum(
                report_id=report_id,
                text=body,
                created_by_id=signer.id,
                signed_name=signature(signer),
                created_at=now,
            )
            session.add(addendum)
            session.flush()
            details: dict[str, object] = {"addendum_id": addendum.id}
            if checked is not None and identity is not None:
                delivers = stored_delivery(report, current_document(session, report_id) is not None)
                if delivers is ReportDelivery.REPORT:
                    report.delivery = ReportDelivery.REPORT_WITH_APPENDIX.value
                else:
                    report.delivery = delivers.value
                document = self._store_pdf(session, report_id, checked, now, addendum.id)
                finalising.record_identity(
                    session,
                    document,
                    identity,
                    reason,
                    self._actor,
                    self._workstation,
                    now,
                    report.appointment_id,
                )
                details |= {
                    "document_id": document.id,
                    "sha256": checked.sha256,
                    "delivery": report.delivery,
                }
            self._touch(report, now)
            session.flush()
            self._changed(session, "report_addendum_added", report, details)
            return load_report_detail(session, report_id)

    def attach_pdf(
        self, report_id: int, content: bytes, filename: str, *, expected_version: int
    ) -> ReportDetail:
        """Attach the report PDF to a draft; a final report's PDF changes only by addendum.

        A PDF naming another patient's MRN is refused; whether it names this patient is
        stored with it (Finalise then asks for a confirmation when it does not).
        """
        self._require(Role.RADIOLOGIST)
        now = self._clock()
        checked = self._check_pdf(content, filename)
        with self._sessions.begin() as session:
            report = self._editable(session, report_id, expected_version)
            identity, _message = finalising.identity_of(
                session, report, checked.content, checked.filename
            )
            document = self._store_pdf(session, report_id, checked, now, None)
            document.identity_check = identity.check.value
            if report.status == ReportStatus.PENDING.value:
                report.status = ReportStatus.IN_PROGRESS.value
            self._touch(report, now)
            session.flush()
            self._changed(
                session,
                "report_pdf_attached",
                report,
                {
                    "document_id": document.id,
                    "filename": checked.filename,
                    "size_bytes": checked.size_bytes,
                    "sha256": checked.sha256,
                    "identity_check": identity.check.value,
                },
            )
            return load_report_detail(session, report_id)

    def detach_pdf(self, report_id: int, *, expected_version: int) -> ReportDetail:
        """Take a wrongly attached PDF off a draft (it stays stored as history)."""
        self._require(Role.RADIOLOGIST)
        now = self._clock()
        with self._sessions.begin() as session:
            report = self._editable(session, report_id, expected_version)
            current = current_document(session, report_id)
            if current is None:
                return load_report_detail(session, report_id)
            current.is_current = False
            self._touch(report, now)
            session.flush()
            self._changed(session, "report_pdf_detached", report, {"document_id": current.id})
            return load_report_detail(session, report_id)
