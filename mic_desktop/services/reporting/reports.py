"""Writing a radiology report: draft, finalise (signed and locked), review, addenda, PDFs.

Statuses: pending -> in_progress (draft) -> completed (final, signed) -> reviewed.
Only the radiologist who claimed a study writes its draft; a final report is never
edited again: corrections are dated, signed addenda, and a replacement PDF can only
come with one. Every save checks the version the editor loaded (a stale save is
refused with who changed it and when); every change is audited and announced live.
Opening a report is a "view" in the report access log.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mic_desktop.models import (
    AppointmentAttachment,
    ClinicSettings,
    CriticalFinding,
    Report,
    ReportAccessAction,
    ReportAddendum,
    ReportDocument,
    ReportStatus,
    Role,
    StaffUser,
)
from mic_desktop.services import audit, live
from mic_desktop.services.base import ClinicService
from mic_desktop.services.errors import (
    NotFoundError,
    PermissionDeniedError,
    StaleRecordError,
    ValidationError,
)
from mic_desktop.services.formats import format_datetime
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.messaging import notifications
from mic_desktop.services.reporting.access_log import log_access
from mic_desktop.services.reporting.detail import (
    ReferralLetterFile,
    ReportDetail,
    load_report_detail,
)
from mic_desktop.services.reporting.errors import (
    AlreadyReviewedError,
    NotClaimedError,
    ReportAlreadyFinalError,
    ReportLockedError,
    ReportNotFinalError,
    SelfReviewError,
)
from mic_desktop.services.reporting.pdf_checks import (
    DEFAULT_MAX_MB,
    CheckedPdf,
    check_report_pdf,
)

DRAFT_STATUSES = (ReportStatus.PENDING.value, ReportStatus.IN_PROGRESS.value)
FINAL_STATUSES = (ReportStatus.COMPLETED.value, ReportStatus.REVIEWED.value)
MAX_CRITICAL_DESCRIPTION = 2000


class ReportService(ClinicService):
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
            report.findings = _text(findings)
            report.impression = _text(impression)
            report.status = ReportStatus.IN_PROGRESS.value
            self._touch(report, now)
            session.flush()
            self._changed(
                session, "report_draft_saved", report, {"from": previous, "to": report.status}
            )
            return load_report_detail(session, report_id)

    def finalise(
        self,
        report_id: int,
        *,
        findings: str,
        impression: str,
        expected_version: int,
        critical_finding: str | None = None,
    ) -> ReportDetail:
        """Sign and lock the report; flag a critical result; queue "report ready"."""
        self._require(Role.RADIOLOGIST)
        now = self._clock()
        findings, impression = _text(findings), _text(impression)
        critical = " ".join((critical_finding or "").split())
        if len(critical) > MAX_CRITICAL_DESCRIPTION:
            raise ValidationError(
                f"Keep the critical finding under {MAX_CRITICAL_DESCRIPTION} characters.",
                "critical_finding",
            )
        with self._sessions.begin() as session:
            report = self._locked(session, report_id)
            if report.status in FINAL_STATUSES:
                raise ReportAlreadyFinalError(report.signed_name)
            self._check_claim(session, report)
            self._check_version(session, report, expected_version)
            if not (findings or impression) and _current_document(session, report_id) is None:
                raise ValidationError(
                    "Write the findings or the impression, or attach the report PDF, "
                    "before finalising.",
                    "findings",
                )
            signer = session.get(StaffUser, self._actor.id)
            assert signer is not None
            previous = report.status
            report.findings = findings
            report.impression = impression
            report.status = ReportStatus.COMPLETED.value
            report.finalised_at = now
            report.finalised_by_id = signer.id
            report.signed_name = _signature(signer)
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
    ) -> ReportDetail:
        """Add a dated, signed addendum to a final report, optionally with a replacement PDF."""
        self._require(Role.RADIOLOGIST)
        now = self._clock()
        body = _text(text)
        if not body:
            raise ValidationError("Write the addendum before saving it.", "addendum")
        checked = self._check_pdf(pdf, pdf_filename) if pdf is not None else None
        with self._sessions.begin() as session:
            report = self._locked(session, report_id)
            if report.status not in FINAL_STATUSES:
                raise ReportNotFinalError(
                    "Addenda are for final reports. This report is still a draft: "
                    "edit the findings instead."
                )
            signer = session.get(StaffUser, self._actor.id)
            assert signer is not None
            addendum = ReportAddendum(
                report_id=report_id,
                text=body,
                created_by_id=signer.id,
                signed_name=_signature(signer),
                created_at=now,
            )
            session.add(addendum)
            session.flush()
            details: dict[str, object] = {"addendum_id": addendum.id}
            if checked is not None:
                document = self._store_pdf(session, report_id, checked, now, addendum.id)
                details |= {"document_id": document.id, "sha256": checked.sha256}
            self._touch(report, now)
            session.flush()
            self._changed(session, "report_addendum_added", report, details)
            return load_report_detail(session, report_id)

    def attach_pdf(
        self, report_id: int, content: bytes, filename: str, *, expected_version: int
    ) -> ReportDetail:
        """Attach the report PDF to a draft; a final report's PDF changes only by addendum."""
        self._require(Role.RADIOLOGIST)
        now = self._clock()
        checked = self._check_pdf(content, filename)
        with self._sessions.begin() as session:
            report = self._editable(session, report_id, expected_version)
            document = self._store_pdf(session, report_id, checked, now, None)
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
                },
            )
            return load_report_detail(session, report_id)

    def detach_pdf(self, report_id: int, *, expected_version: int) -> ReportDetail:
        """Take a wrongly attached PDF off a draft (it stays stored as history)."""
        self._require(Role.RADIOLOGIST)
        now = self._clock()
        with self._sessions.begin() as session:
            report = self._editable(session, report_id, expected_version)
            current = _current_document(session, report_id)
            if current is None:
                return load_report_detail(session, report_id)
            current.is_current = False
            self._touch(report, now)
            session.flush()
            self._changed(session, "report_pdf_detached", report, {"document_id": current.id})
            return load_report_detail(session, report_id)

    # --- rules ---------------------------------------------------------------------

    def _require(self, *roles: Role) -> None:
        if self._actor.role not in roles:
            if roles == (Role.RADIOLOGIST,):
                raise PermissionDeniedError("Only radiologists write and sign reports.")
            raise PermissionDeniedError("Reports are for radiologists and the practice manager.")

    def _locked(self, session: Session, report_id: int) -> Report:
        report = session.scalars(
            select(Report).where(Report.id == report_id).with_for_update()
        ).one_or_none()
        if report is None:
            raise NotFoundError("This report no longer exists.")
        return report

    def _editable(self, session: Session, report_id: int, expected_version: int) -> Report:
        report = self._locked(session, report_id)
        if report.status in FINAL_STATUSES:
            raise ReportLockedError()
        self._check_claim(session, report)
        self._check_version(session, report, expected_version)
        return report

    def _check_claim(self, session: Session, report: Report) -> None:
        if report.radiologist_id == self._actor.id:
            return
        if report.radiologist_id is None:
            raise NotClaimedError("Claim this study from the worklist before writing its report.")
        holder = session.get(StaffUser, report.radiologist_id)
        raise NotClaimedError(
            f"This study is claimed by {holder.full_name if holder else 'another radiologist'}; "
            "only they can write its report."
        )

    def _check_version(self, session: Session, report: Report, expected_version: int) -> None:
        if report.version == expected_version:
            return
        who = session.get(StaffUser, report.updated_by_id) if report.updated_by_id else None
        when = format_datetime(report.updated_at, _zone(session))
        raise StaleRecordError(
            f"This report was changed by {who.full_name if who else 'someone else'} at {when}; "
            "reload it and try again."
        )

    def _check_pdf(self, content: bytes, filename: str | None) -> CheckedPdf:
        with self._sessions() as session:
            settings = session.get(ClinicSettings, 1)
            max_mb = settings.report_pdf_max_mb if settings is not None else DEFAULT_MAX_MB
        return check_report_pdf(content, filename or "report.pdf", max_mb)

    def _store_pdf(
        self,
        session: Session,
        report_id: int,
        checked: CheckedPdf,
        now: dt.datetime,
        addendum_id: int | None,
    ) -> ReportDocument:
        session.execute(
            update(ReportDocument)
            .where(ReportDocument.report_id == report_id, ReportDocument.is_current)
            .values(is_current=False)
            .execution_options(synchronize_session=False)
        )
        document = ReportDocument(
            report_id=report_id,
            addendum_id=addendum_id,
            filename=checked.filename,
            source="attached",
            content=checked.content,
            size_bytes=checked.size_bytes,
            sha256=checked.sha256,
            is_current=True,
            uploaded_by_id=self._actor.id,
            uploaded_at=now,
        )
        session.add(document)
        session.flush()
        return document

    def _touch(self, report: Report, now: dt.datetime) -> None:
        report.updated_at = now
        report.updated_by_id = self._actor.id

    def _changed(
        self, session: Session, action: str, report: Report, details: dict[str, object]
    ) -> None:
        audit.record(
            session,
            action,
            staff_id=self._actor.id,
            username=self._actor.username,
            entity="report",
            entity_id=report.id,
            details={"appointment_id": report.appointment_id, **details},
            workstation=self._workstation,
        )
        live.notify(session, LiveChannel.REPORT, report.id)


# --- reading helpers -------------------------------------------------------------------


def _text(value: str) -> str:
    """Typed text as stored: one kind of line break, no trailing blanks."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _signature(user: StaffUser) -> str:
    title = (user.professional_title or "").strip()
    return f"{user.full_name}, {title}" if title else user.full_name


def _zone(session: Session) -> ZoneInfo:
    settings = session.get(ClinicSettings, 1)
    return ZoneInfo(settings.time_zone if settings is not None else "UTC")


def _current_document(session: Session, report_id: int) -> ReportDocument | None:
    return session.scalars(
        select(ReportDocument).where(
            ReportDocument.report_id == report_id, ReportDocument.is_current
        )
    ).one_or_none()
