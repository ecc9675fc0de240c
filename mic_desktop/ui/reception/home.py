"""Reception's home page: today's appointments with their status."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLineEdit, QWidget

from mic_desktop.models import AppointmentStatus
from mic_desktop.services.analytics.overview import DayAppointment, OverviewService
from mic_desktop.services.live import LiveChannel
from mic_desktop.ui.common.colours import URGENT
from mic_desktop.ui.common.formatting import format_date, format_datetime, format_time
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import Column, ListPage
from mic_desktop.ui.common.window import HomePage

_SUMMARY_ORDER = (
    AppointmentStatus.ARRIVED,
    AppointmentStatus.IN_PROGRESS,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.CANCELLED,
)


def today_columns(zone: ZoneInfo) -> list[Column]:
    urgent_icon = icon("mdi6.alert-circle", URGENT)
    scanner_icon = icon("mdi6.radiology-box-outline")  # a scanner reported on it (MPPS)
    return [
        Column(
            "Time",
            lambda a: format_time(a.start_at, zone),
            sort_key=lambda a: a.start_at.timestamp(),
            tooltip=lambda a: (
                f"{format_datetime(a.start_at, zone)} – {format_time(a.end_at, zone)}"
            ),
            width=60,
        ),
        Column(
            "Patient",
            lambda a: a.patient_name,
            icon=lambda a: urgent_icon if a.is_urgent else None,
            tooltip=lambda a: f"{a.patient_name} (urgent)" if a.is_urgent else a.patient_name,
            width=190,
        ),
        Column("MRN", lambda a: a.mrn, width=100),
        Column("Scan", lambda a: a.scan, tooltip=lambda a: a.scan, stretch=True),
        Column(
            "Room",
            lambda a: a.room,
            icon=lambda a: scanner_icon if a.scanner else None,
            tooltip=lambda a: f"{a.room}: {a.scanner} (DICOM)" if a.scanner else a.room,
            width=112,
        ),
        Column(
            "Status",
            lambda a: a.status.label,
            sort_key=lambda a: list(AppointmentStatus).index(a.status),
            badge=lambda a: a.status.value,
            width=120,
        ),
    ]


class TodayPage(ListPage, HomePage):
    """Today's list in the clinic's time zone, filterable by patient, MRN, scan or room."""

    def __init__(
        self,
        overview: OverviewService,
        zone: ZoneInfo,
        changes: QObject | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Today's appointments",
            today_columns(zone),
            empty_headline="No appointments today",
            empty_text=(
                "Nobody is booked for today yet. Scans booked for today at any desk "
                "appear here; press F5 to check again."
            ),
            empty_icon="mdi6.calendar-blank-outline",
            struck=lambda a: a.status is AppointmentStatus.CANCELLED,
            parent=parent,
        )
        self._overview = overview
        self._zone = zone
        self.filter = QLineEdit()
        self.filter.setObjectName("TodayFilter")
        self.filter.setPlaceholderText("Filter by patient, MRN, scan or room")
        self.filter.setClearButtonEnabled(True)
        self.filter.setFixedWidth(340)
        self.filter.addAction(icon("mdi6.magnify"), QLineEdit.ActionPosition.LeadingPosition)
        self.filter.textChanged.connect(self.set_filter)
        self.header_row.addWidget(self.filter, 0, Qt.AlignmentFlag.AlignBottom)
        self.subtitle.setText(format_date(overview.today()))
        focus = QAction("Filter today's list", self)
        focus.setShortcut(QKeySequence.StandardKey.Find)
        focus.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        focus.triggered.connect(self._focus_filter)
        self.addAction(focus)
        clear = QAction("Clear the filter", self.filter)
        clear.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        clear.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        clear.triggered.connect(self.filter.clear)
        self.filter.addAction(clear)
        if changes is not None:
            changes.changed.connect(self._changed)  # type: ignore[attr-defined]
            changes.reset.connect(self.refresh)  # type: ignore[attr-defined]

    def _changed(self, channel: str, _ids: object) -> None:
        if channel in (LiveChannel.APPOINTMENT.value, LiveChannel.CATALOGUE.value):
            self.refresh()

    def _focus_filter(self) -> None:
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()

    def refresh(self) -> None:
        self.load(self._overview.day_appointments)

    def rows_loaded(self, rows: Sequence[DayAppointment]) -> None:
        self.subtitle.setText(self._summary(rows))

    def _summary(self, rows: Sequence[DayAppointment]) -> str:
        day = format_date(self._overview.today())
        counts = Counter(row.status for row in rows)
        booked = sum(n for s, n in counts.items() if s is not AppointmentStatus.CANCELLED)
        parts = [day, f"{booked} booked"]
        parts += [f"{counts[s]} {s.label.lower()}" for s in _SUMMARY_ORDER if counts[s]]
        return "   ·   ".join(parts)
