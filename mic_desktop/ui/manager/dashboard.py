"""The manager's analytics dashboard: a period, a modality filter and one tab per chart.

Each tab is a :class:`~.chart_panel.ChartPanel`: the chart with its title and its
definition line above it, and its tables of numbers beside it. The dashboard
loads off the GUI thread; while it loads the last charts stay in place under a
busy bar. Exports: the whole dashboard as PDF, the chart on screen as PNG, the
table on screen as CSV.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDate, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.analytics.export import dashboard_pdf, export_filename
from mic_desktop.services.analytics.periods import Period, PeriodKind
from mic_desktop.services.analytics.queries import AnalyticsService
from mic_desktop.services.analytics.reply_queries import ReplyAnalytics
from mic_desktop.services.analytics.results import Dashboard, ModalityChoice
from mic_desktop.services.errors import ValidationError
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.tasks import run_task

from . import files
from .chart_panel import ChartPanel
from .reply_figures import ReplyFiguresStrip

TAB_NAMES = {
    "volume": "Volume",
    "popularity": "Scan types",
    "attendance": "Attendance",
    "revenue": "Revenue",
    "medical_aid": "Medical aid",
    "satisfaction": "Satisfaction",
    "turnaround": "Turnaround",
    "utilisation": "Rooms",
}
PERIOD_KINDS = (
    PeriodKind.WEEK,
    PeriodKind.LAST_WEEK,
    PeriodKind.MONTH,
    PeriodKind.LAST_MONTH,
    PeriodKind.QUARTER,
    PeriodKind.LAST_QUARTER,
    PeriodKind.YEAR,
    PeriodKind.LAST_YEAR,
    PeriodKind.CUSTOM,
)
KEY_FIGURES = 8


class KeyFigureBox(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "tile")
        self.caption = QLabel(wordWrap=True)
        self.caption.setProperty("role", "hint")
        self.value = QLabel("—")
        self.value.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.note = QLabel(wordWrap=True)
        self.note.setProperty("role", "hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(0)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.note)


class DashboardPage(QWidget):
    """Period and modality selectors, key figures, one tab per chart, exports."""

    def __init__(
        self,
        service: AnalyticsService,
        prepared_by: str,
        parent: QWidget | None = None,
        reply_figures: ReplyAnalytics | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._prepared_by = prepared_by
        self._generation = 0
        self._today: dt.date | None = None
        self.dashboard: Dashboard | None = None
        self.exports_running = 0

        title = QLabel("Dashboard")
        title.setProperty("role", "page-title")
        self.period_box = QComboBox()
        for kind in PERIOD_KINDS:
            self.period_box.addItem(kind.label, kind)
        self.period_box.setCurrentIndex(PERIOD_KINDS.index(PeriodKind.MONTH))
        self.period_box.setToolTip("The period the charts cover")
        self.first_day = QDateEdit(calendarPopup=True)
        self.last_day = QDateEdit(calendarPopup=True)
        for edit in (self.first_day, self.last_day):
            edit.setDisplayFormat("ddd d MMM yyyy")
            edit.setVisible(False)
        self.to_label = QLabel("to")
        self.to_label.setVisible(False)
        self.modality_box = QComboBox()
        self.modality_box.addItem("All modalities", None)
        self.modality_box.setToolTip("Show one modality only")
        self.modality_box.setMinimumContentsLength(16)
        self.pdf_button = QPushButton(icon("mdi6.file-pdf-box"), "Export PDF…")
        self.pdf_button.setShortcut("Ctrl+E")
        self.pdf_button.setToolTip("Save every chart and table as a PDF report (Ctrl+E)")
        self.pdf_button.setEnabled(False)
        self.pdf_button.clicked.connect(self.export_pdf)

        controls = QHBoxLayout()
        controls.setSpacing(8)
        controls.addWidget(title)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Period:"))
        controls.addWidget(self.period_box)
        controls.addWidget(self.first_day)
        controls.addWidget(self.to_label)
        controls.addWidget(self.last_day)
        controls.addWidget(QLabel("Modality:"))
        controls.addWidget(self.modality_box)
        controls.addStretch(1)
        controls.addWidget(self.pdf_button)

        self.period_error = QLabel()
        self.period_error.setProperty("role", "field-error")
        self.period_error.hide()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumHeight(6)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.status = QLabel("Loading the charts…")
        self.status.setProperty("role", "muted")
        self.status.setWordWrap(True)

        self.figures = [KeyFigureBox() for _ in range(KEY_FIGURES)]
        figures_row = QHBoxLayout()
        figures_row.setSpacing(8)
        for box in self.figures:
            figures_row.addWidget(box, 1)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.panels: dict[str, ChartPanel] = {}
        for key, name in TAB_NAMES.items():
            panel = ChartPanel(key, self)
            self.panels[key] = panel
            self.tabs.addTab(panel, name)
        # Two-way SMS and the waitlist: their figures under the attendance chart's title.
        self.reply_figures = ReplyFiguresStrip(reply_figures) if reply_figures else None
        if self.reply_figures is not None:
            self.panels["attendance"].layout().insertWidget(2, self.reply_figures)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 8)
        layout.setSpacing(6)
        layout.addLayout(controls)
        layout.addWidget(self.period_error)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        layout.addLayout(figures_row)
        layout.addWidget(self.tabs, 1)

        self._custom_timer = QTimer(self, singleShot=True, interval=400)
        self._custom_timer.timeout.connect(self.refresh)
        self.period_box.currentIndexChanged.connect(self._period_changed)
        self.modality_box.currentIndexChanged.connect(lambda _index: self.refresh())
        self.first_day.dateChanged.connect(lambda _date: self._custom_timer.start())
        self.last_day.dateChanged.connect(lambda _date: self._custom_timer.start())

    # -- loading ------------------------------------------------------------------------

    @property
    def is_loading(self) -> bool:
        return not self.busy.isHidden()

    def period_kind(self) -> PeriodKind:
        return PeriodKind(self.period_box.currentData())

    def _period_changed(self) -> None:
        custom = self.period_kind() is PeriodKind.CUSTOM
        for widget in (self.first_day, self.to_label, self.last_day):
            widget.setVisible(custom)
        if custom and self.dashboard is not None:
            period = self.dashboard.period
            for edit, day in ((self.first_day, period.first_day), (self.last_day, period.last_day)):
                edit.blockSignals(True)
                edit.setDate(QDate(day.year, day.month, day.day))
                edit.blockSignals(False)
        self.refresh()

    def _custom_period(self) -> Period | None:
        first = self.first_day.date().toPython()
        last = self.last_day.date().toPython()
        try:
            period = Period.custom(first, last)  # type: ignore[arg-type]
        except ValidationError as error:
            self.period_error.setText(str(error))
            self.period_error.show()
            return None
        self.period_error.hide()
        return period

    def refresh(self) -> None:
        """Load every chart for the chosen period and modality, off the GUI thread."""
        kind = self.period_kind()
        custom: Period | None = None
        if kind is PeriodKind.CUSTOM:
            custom = self._custom_period()
            if custom is None:
                return
        else:
            self.period_error.hide()
        modality_id = self.modality_box.currentData()
        service = self._service
        self._generation += 1
        generation = self._generation
        self.busy.show()
        self.pdf_button.setEnabled(False)
        self._set_status("Loading the charts…")

        def load() -> tuple[list[ModalityChoice], Dashboard]:
            period = custom or Period.of_kind(kind, service.today())
            return service.modalities(), service.load_dashboard(period, modality_id)

        run_task(
            load,
            lambda loaded: self._loaded(generation, *loaded),
            lambda error: self._failed(generation, error),
            receiver=self,
        )

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self.busy.hide()
        self.pdf_button.setEnabled(self.dashboard is not None)
        self._set_status(
            f"The charts could not be loaded: {describe_error(error)} Press F5 to try again.",
            failed=True,
        )

    def _loaded(
        self, generation: int, modalities: list[ModalityChoice], dashboard: Dashboard
    ) -> None:
        if generation != self._generation:
            return
        self.busy.hide()
        self.dashboard = dashboard
        self._fill_modalities(modalities)
        zone = dashboard.letterhead.zone
        self._set_status(
            f"{dashboard.period.label} ({dashboard.period.dates_label}) · "
            f"{dashboard.filter_label} · as of {format_datetime(dashboard.generated_at, zone)}. "
            "Press F5 for the latest figures."
        )
        for box, figure in zip(self.figures, dashboard.key_figures, strict=True):
            box.caption.setText(figure.label)
            box.value.setText(figure.value)
            box.note.setText(figure.note)
            box.setToolTip(f"{figure.label}: {figure.value} {figure.note}".strip())
        for chart in dashboard.charts:
            self.panels[chart.key].show_chart(chart)
        if self.reply_figures is not None:
            self.reply_figures.load(dashboard.period, self.modality_box.currentData())
        self.pdf_button.setEnabled(True)

    def _fill_modalities(self, modalities: list[ModalityChoice]) -> None:
        current = self.modality_box.currentData()
        self.modality_box.blockSignals(True)
        self.modality_box.clear()
        self.modality_box.addItem("All modalities", None)
        for modality in modalities:
            self.modality_box.addItem(modality.label, modality.id)
        index = self.modality_box.findData(current)
        self.modality_box.setCurrentIndex(max(index, 0))
        self.modality_box.blockSignals(False)

    # -- exports ------------------------------------------------------------------------

    def export_pdf(self) -> None:
        dashboard = self.dashboard
        if dashboard is None:
            return
        path = files.choose_save_path(
            self,
            "Export the dashboard as PDF",
            export_filename(dashboard, "", "pdf"),
            "PDF documents (*.pdf)",
        )
        if path is None:
            return
        prepared_by = self._prepared_by
        self.write_export(
            path, lambda: dashboard_pdf(dashboard, prepared_by=prepared_by), "the dashboard report"
        )

    def write_export(self, path: Path, build: Callable[[], bytes], what: str) -> None:
        """Build the file's bytes and write them, off the GUI thread; say how it went."""
        self.exports_running += 1
        self._set_status(f"Saving {what}…")

        def work() -> Path:
            data = build()
            path.write_bytes(data)
            return path

        run_task(
            work,
            lambda saved: self._exported(f"Saved {what} to {saved}."),
            lambda error: self._exported(
                f"Could not save {what}: {describe_error(error)}", failed=True
            ),
            receiver=self,
        )

    def _exported(self, text: str, *, failed: bool = False) -> None:
        self.exports_running -= 1
        self._set_status(text, failed=failed)

    def _set_status(self, text: str, *, failed: bool = False) -> None:
        self.status.setProperty("role", "error" if failed else "muted")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setText(text)
