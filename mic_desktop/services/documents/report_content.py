"""What a generated radiology report PDF prints: :class:`ReportPdfContent` with its
critical result and addenda (and :class:`AppendixNote` when an attached PDF follows it),
frozen and detached from the database.

:mod:`mic_desktop.services.reporting.pdf_content` fills it from a report;
:mod:`.report` renders it; :func:`report_filename` names the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from mic_desktop.models import ReportStatus
from mic_desktop.services.documents.letterhead import Letterhead

FINAL_STATUSES = (ReportStatus.COMPLETED.value, ReportStatus.REVIEWED.value)


@dataclass(frozen=True)
class AddendumText:
    text: str
    signed_name: str
    created_at: dt.datetime


@dataclass(frozen=True)
class CriticalNote:
    description: str
    communicated_to: str | None = None
    communication_method: str | None = None
    communicated_at: dt.datetime | None = None


@dataclass(frozen=True)
class AppendixNote:
    """The attached PDF that follows a generated report as its appendix."""

    filename: str
    page_count: int


@dataclass(frozen=True)
class ReportPdfContent:
    """Everything printed on a report, detached from the database."""

    letterhead: Letterhead
    reference: str
    patient_name: str
    mrn: str
    date_of_birth: dt.date | None
    sex: str
    scan_type: str
    modality: str
    exam_at: dt.datetime
    urgency: str
    referring_doctor: str | None
    referring_practice: str | None
    clinical_notes: str
    findings: str
    impression: str
    status: str
    signed_name: str | None
    finalised_at: dt.datetime | None
    reviewed_by: str | None = None
    reviewed_at: dt.datetime | None = None
    critical: CriticalNote | None = None
    addenda: tuple[AddendumText, ...] = ()
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def zone(self) -> ZoneInfo:
        return self.letterhead.zone

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


def report_filename(content: ReportPdfContent) -> str:
    """``Report MIC100001 A000123.pdf``: what the save dialog offers."""
    return f"Report {content.mrn} {content.reference}.pdf"
