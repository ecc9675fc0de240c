"""The checks every change of a report makes, shared by :class:`~.reports.ReportService`.

Who may write (the role, the claim), that a final report stays locked, that the
editor saved on the version it loaded (a stale save says who changed it and when),
that a PDF is a real one, how a PDF is stored, and the audit row with the live
notification that every change sends. The small text helpers (line breaks, the
signature, the critical finding) live here too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mic_desktop.models import (
    ClinicSettings,
    Report,
    ReportDelivery,
    ReportDocument,
    ReportStatus,
    Role,
    StaffUser,
)
from mic_desktop.services import audit, live
from mic_desktop.services.attachments import read_attachment
from mic_desktop.services.base import ClinicService
from mic_desktop.services.errors import (
    NotFoundError,
    PermissionDeniedError,
    StaleRecordError,
    ValidationError,
)
from mic_desktop.services.formats import format_datetime
from mic_desktop.services.live import LiveChannel
from mic_desktop.services.reporting.delivery import choose_delivery
from mic_desktop.services.reporting.errors import NotClaimedError, ReportLockedError
from mic_desktop.services.reporting.pdf_checks import (
    DEFAULT_MAX_MB,
    FIELD,
    CheckedPdf,
    check_report_pdf,
    max_bytes,
)

FINAL_STATUSES = (ReportStatus.COMPLETED.value, ReportStatus.REVIEWED.value)
MAX_CRITICAL_DESCRIPTION = 2000
WHAT = "report PDFs"


class ReportRules(ClinicService):
    """The base of the report service: its checks and the way it records a change."""

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

    def _choose(
        self, findings: str, impression: str, has_pdf: bool, requested: ReportDelivery | None
    ) -> ReportDelivery:
        has_text = bool(findings or impression)
        if not has_text and not has_pdf:
            raise ValidationError(
                "Write the findings or the impression, or attach the report PDF, "
                "before finalising.",
                "findings",
            )
        return choose_delivery(has_text=has_text, has_pdf=has_pdf, requested=requested)

    def read_pdf_file(self, path: Path) -> bytes:
        """A PDF from this PC's disk, refused by its size (``os.stat``) before it is read."""
        return read_attachment(path, max_bytes(self._pdf_limit_mb()), what=WHAT, field=FIELD)

    def _pdf_limit_mb(self) -> int:
        with self._sessions() as session:
            settings = session.get(ClinicSettings, 1)
            return settings.report_pdf_max_mb if settings is not None else DEFAULT_MAX_MB

    def _check_pdf(self, content: bytes, filename: str | None) -> CheckedPdf:
        return check_report_pdf(content, filename or "report.pdf", self._pdf_limit_mb())

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


def clean_text(value: str) -> str:
    """Typed text as stored: one kind of line break, no trailing blanks."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_critical(description: str | None) -> str:
    critical = " ".join((description or "").split())
    if len(critical) > MAX_CRITICAL_DESCRIPTION:
        raise ValidationError(
            f"Keep the critical finding under {MAX_CRITICAL_DESCRIPTION} characters.",
            "critical_finding",
        )
    return critical


def signature(user: StaffUser) -> str:
    title = (user.professional_title or "").strip()
    return f"{user.full_name}, {title}" if title else user.full_name


def _zone(session: Session) -> ZoneInfo:
    settings = session.get(ClinicSettings, 1)
    return ZoneInfo(settings.time_zone if settings is not None else "UTC")


def current_document(session: Session, report_id: int) -> ReportDocument | None:
    return session.scalars(
        select(ReportDocument).where(
            ReportDocument.report_id == report_id, ReportDocument.is_current
        )
    ).one_or_none()
