"""Handing out report PDFs, each hand-out written to the report access log.

Every view, download (save a copy), print and export goes through
:meth:`ReportAccessService.document_for`, which returns the bytes and writes the
:class:`ReportAccessLog` row in the same transaction: no file leaves the database
without its log row. The PDF is the attached one when there is one (with pages
for addenda written after it appended), otherwise it is generated from the report.
The access history of a report is shown to its radiologist and the manager only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, replace

from pypdf import PdfReader, PdfWriter
from sqlalchemy import select
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Report,
    ReportAccessAction,
    ReportAccessLog,
    ReportAddendum,
    ReportDocument,
    ReportStatus,
    Role,
    StaffUser,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.base import ClinicService
from mic_desktop.services.documents.report import render_addenda_pdf, render_report_pdf
from mic_desktop.services.documents.report_content import ReportPdfContent, report_filename
from mic_desktop.services.errors import NotFoundError, PermissionDeniedError
from mic_desktop.services.reporting.pdf_content import load_report_pdf_content

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
        document = session.scalars(
            select(ReportDocument).where(
                ReportDocument.report_id == report.id, ReportDocument.is_current
            )
        ).one_or_none()
        content = load_report_pdf_content(session, report.id, generated_at=now)
        if document is None:
            data = render_report_pdf(content)
            return ReportFile(
                report.id,
                report_filename(content),
                data,
                hashlib.sha256(data).hexdigest(),
                "generated",
                None,
                0,
            )
        attached = document.content
        later = _addenda_after(session, report.id, document.addendum_id)
        if later:
            attached = _append_addenda(attached, content, later)
        return ReportFile(
            report.id,
            document.filename,
            attached,
            document.sha256 if not later else hashlib.sha256(attached).hexdigest(),
            document.source,
            document.id,
            len(later),
        )


def _addenda_after(session: Session, report_id: int, addendum_id: int | None) -> list[int]:
    """Ids of the addenda written after the document (all of them for a draft's PDF)."""
    query = select(ReportAddendum.id).where(ReportAddendum.report_id == report_id)
    if addendum_id is not None:
        query = query.where(ReportAddendum.id > addendum_id)
    return list(session.scalars(query.order_by(ReportAddendum.id)))


def _append_addenda(pdf: bytes, content: ReportPdfContent, later: list[int]) -> bytes:
    """The attached PDF followed by pages with the addenda it does not contain."""
    first = len(content.addenda) - len(later)
    pages = render_addenda_pdf(
        replace(content, addenda=content.addenda[first:]), first_number=first + 1
    )
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf)))
    writer.append(PdfReader(io.BytesIO(pages)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
