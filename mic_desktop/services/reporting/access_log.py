"""Handing out report PDFs, each hand-out written to the report access log.

Every view, download (save a copy), print and export goes through
:meth:`ReportAccessService.document_for`, which returns the bytes and writes the
:class:`ReportAccessLog` row in the same transaction: no file leaves the database
without its log row. The PDF is the report's delivered document, put together by
:mod:`.delivery` exactly as the radiologist saw it in the Finalise preview.
The access history of a report is shown to its radiologist and the manager only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Report,
    ReportAccessAction,
    ReportAccessLog,
    ReportDelivery,
    ReportStatus,
    Role,
    StaffUser,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.base import ClinicService
from mic_desktop.services.errors import NotFoundError, PermissionDeniedError
from mic_desktop.services.reporting.delivery import delivered_pdf

FINAL_STATUSES = (ReportStatus.COMPLETED.value, ReportStatus.REVIEWED.value)


@dataclass(frozen=True)
class ReportFile:
    """A report PDF handed to the person who asked for it."""

    report_id: int
    filename: str
    content: bytes
    sha256: str
    source: str  # "attached" or "generated"
    document_id: int | None  # the stored attachment, when the PDF came from one
    appended_addenda: int  # addenda pages added after an attached PDF
    delivery: ReportDelivery = ReportDelivery.REPORT
    page_count: int = 0

    @property
    def size_bytes(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class AccessEntry:
    """One line of a report's access history."""

    accessed_at: dt.datetime
    staff_id: int | None
    staff_name: str
    role: Role | None
    action: ReportAccessAction
    detail: str | None
    workstation: str | None


def log_access(
    session: Session,
    report_id: int,
    actor: StaffAccount,
    action: ReportAccessAction,
    workstation: str,
    detail: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Add an access-log row to ``session``; it commits with the access it records."""
    row = ReportAccessLog(
        report_id=report_id,
        staff_id=actor.id,
        action=action.value,
        detail=detail,
        workstation=workstation,
    )
    if at is not None:
        row.accessed_at = at
    session.add(row)


class ReportAccessService(ClinicService):
    def document_for(
        self, report_id: int, action: ReportAccessAction, detail: str | None = None
    ) -> ReportFile:
        """The report's PDF for ``action`` (view, download, print, export), logged.

        ``detail`` says more for the log, e.g. the file name it was saved as or the printer.
        A draft is only handed to radiologists and the manager.
        """
        now = self._clock()
        with self._sessions.begin() as session:
            report = session.get(Report, report_id)
            if report is None:
                raise NotFoundError("This report no longer exists.")
            if report.status not in FINAL_STATUSES and self._actor.role is Role.RECEPTION:
                raise PermissionDeniedError(
                    "This report is not final yet: it cannot be printed or given out."
                )
            file = self._pdf(session, report, now)
            log_access(session, report_id, self._actor, action, self._workstation, detail, now)
        return file

    def access_history(self, report_id: int) -> list[AccessEntry]:
        """Who viewed, saved, printed or exported the report, newest first."""
        with self._sessions() as session:
            report = session.get(Report, report_id)
            if report is None:
                raise NotFoundError("This report no longer exists.")
            authors = {report.radiologist_id, report.finalised_by_id}
            if self._actor.role is not Role.MANAGER and self._actor.id not in authors:
                raise PermissionDeniedError(
                    "Only the report's radiologist and the practice manager can see who opened it."
                )
            rows = session.execute(
                select(ReportAccessLog, StaffUser.full_name, StaffUser.role)
                .outerjoin(StaffUser, StaffUser.id == ReportAccessLog.staff_id)
                .where(ReportAccessLog.report_id == report_id)
                .order_by(ReportAccessLog.accessed_at.desc(), ReportAccessLog.id.desc())
            ).all()
        return [
            AccessEntry(
                accessed_at=log.accessed_at,
                staff_id=log.staff_id,
                staff_name=name or "Unknown",
                role=Role(role) if role else None,
                action=ReportAccessAction(log.action),
                detail=log.detail,
                workstation=log.workstation,
            )
            for log, name, role in rows
        ]

    def _pdf(self, session: Session, report: Report, now: dt.datetime) -> ReportFile:
        delivered = delivered_pdf(session, report, now)
        return ReportFile(
            report_id=report.id,
            filename=delivered.filename,
            content=delivered.content,
            sha256=delivered.sha256,
            source=delivered.source,
            document_id=delivered.document_id,
            appended_addenda=delivered.appended_addenda,
            delivery=delivered.delivery,
            page_count=delivered.page_count,
        )
