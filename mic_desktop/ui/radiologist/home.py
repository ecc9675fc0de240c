"""The radiologist's home page: completed studies whose report is missing or not final.

The rows come from the worklist service (the same list, order and overdue rule the
full worklist uses).
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QWidget

from mic_desktop.models import ReportStatus
from mic_desktop.services.worklist import WorklistItem, WorklistService
from mic_desktop.ui.common.colours import URGENT
from mic_desktop.ui.common.formatting import format_datetime, format_hours
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import RIGHT, Column, ListPage
from mic_desktop.ui.common.window import HomePage

REPORT_STATE = {ReportStatus.PENDING: "Not started", ReportStatus.IN_PROGRESS: "Draft"}


def awaiting_columns(zone: ZoneInfo, overdue_hours: int) -> list[Column]:
    urgent_icon = icon("mdi6.alert-circle", URGENT)
    return [
        Column(
            "Urgency",
            lambda r: "Urgent" if r.is_urgent else "Routine",
            sort_key=lambda r: 0 if r.is_urgent else 1,
            icon=lambda r: urgent_icon if r.is_urgent else None,
            colour=lambda r: URGENT if r.is_urgent else None,
            width=110,
        ),
        Column("Patient", lambda r: r.patient_name, width=220),
        Column("MRN", lambda r: r.mrn, width=110),
        Column("Scan", lambda r: r.scan_type, tooltip=lambda r: r.scan_type, stretch=True),
        Column("Modality", lambda r: r.modality_name, width=170),
        Column(
            "Completed",
            lambda r: format_datetime(r.completed_at, zone),
            sort_key=lambda r: r.completed_at.timestamp(),
            width=180,
        ),
        Column(
            "Waiting",
            lambda r: format_hours(r.hours_waiting),
            sort_key=lambda r: r.hours_waiting,
            align=RIGHT,
            colour=lambda r: URGENT if r.is_overdue else None,
            tooltip=lambda r: (
                f"Over the clinic's {overdue_hours} h reporting target" if r.is_overdue else None
            ),
            width=90,
        ),
        Column(
            "Report",
            lambda r: REPORT_STATE.get(r.report_status, r.report_status.value),
            tooltip=lambda r: f"Claimed by {r.radiologist_name}" if r.radiologist_name else None,
            width=110,
        ),
    ]


class AwaitingReportsPage(ListPage, HomePage):
    def __init__(
        self,
        worklist: WorklistService,
        zone: ZoneInfo,
        overdue_hours: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Studies awaiting a report",
            awaiting_columns(zone, overdue_hours),
            empty_headline="No studies are waiting for a report",
            empty_text=(
                "Every completed scan has a final report. Scans appear here as soon as "
                "they are marked completed; press F5 to check again."
            ),
            empty_icon="mdi6.clipboard-check-outline",
            parent=parent,
        )
        self._worklist = worklist
        self._overdue_hours = overdue_hours

    def refresh(self) -> None:
        self.load(self._worklist.items)

    def rows_loaded(self, rows: Sequence[WorklistItem]) -> None:
        urgent = sum(1 for r in rows if r.is_urgent)
        overdue = sum(1 for r in rows if r.is_overdue)
        parts = [f"{len(rows)} {'study' if len(rows) == 1 else 'studies'}"]
        if urgent:
            parts.append(f"{urgent} urgent")
        if overdue:
            parts.append(f"{overdue} over {self._overdue_hours} h")
        if rows:
            parts.append("urgent first, then the longest waiting")
        self.subtitle.setText("   ·   ".join(parts))
