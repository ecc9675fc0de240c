"""The practice manager's home page: the backup status light and this month's key figures.

Each tile says what it counts, so nobody has to guess whether cancelled
appointments or refunds are in a number. The backup light is read again when a
backup finishes on any PC and every ten minutes (it turns red once the last verified
backup is 36 hours old).
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from mic_desktop.services.admin.backup_health import BackupHealth
from mic_desktop.services.analytics.overview import MonthFigures, OverviewService
from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.reporting.worklist import WorklistCounts, WorklistService
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import (
    format_datetime,
    format_money,
    format_percent,
)
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import MessagePanel
from mic_desktop.ui.common.tasks import run_task
from mic_desktop.ui.common.window import HomePage

from .backup_light import BackupLight
from .status_mix import StatusMix

LIGHT_EVERY_MS = 10 * 60 * 1000


class FigureTile(QFrame):
    """A caption, one large value and a line on what is counted."""

    def __init__(self, caption: str, icon_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "tile")
        self.setMinimumHeight(150)
        head = QLabel()
        head.setPixmap(icon(icon_name, "#2f6fa8").pixmap(22, 22))
        self.caption = QLabel(caption)
        self.caption.setProperty("role", "tile-caption")
        self.value = QLabel("…")
        self.value.setProperty("role", "tile-value")
        self.value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.note = QLabel(wordWrap=True)
        self.note.setProperty("role", "muted")
        top = QGridLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(head, 0, 0)
        top.addWidget(self.caption, 0, 1)
        top.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        layout.addStretch(1)

    def set(self, value: str, note: str) -> None:
        self.value.setText(value)
        self.note.setText(note)


class MonthPage(HomePage):
    def __init__(
        self,
        overview: OverviewService,
        worklist: WorklistService,
        currency: str,
        zone: ZoneInfo,
        backup_health: Callable[[], BackupHealth] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._backup_health = backup_health
        self._overview = overview
        self._worklist = worklist
        self._currency = currency
        self._zone = zone
        self._generation = 0
        self.figures: MonthFigures | None = None
        self.waiting: WorklistCounts | None = None
        self.title = QLabel(f"This month — {Period.this_month(overview.today()).label}")
        self.title.setProperty("role", "page-title")
        self.subtitle = QLabel("Loading…")
        self.subtitle.setProperty("role", "muted")
        self.backup_light = BackupLight()
        self.backup_light.setVisible(backup_health is not None)
        self._light_timer = QTimer(self)
        self._light_timer.setInterval(LIGHT_EVERY_MS)
        self._light_timer.timeout.connect(self.refresh_light)
        self.tiles = {
            "booked": FigureTile("Appointments", "mdi6.calendar-month-outline"),
            "completed": FigureTile("Completed scans", "mdi6.check-circle-outline"),
            "no_show": FigureTile("No-show rate", "mdi6.account-cancel-outline"),
            "payments": FigureTile("Payments received", "mdi6.cash-multiple"),
            "awaiting": FigureTile("Awaiting a report", "mdi6.clipboard-text-clock-outline"),
            "late": FigureTile("Late cancellations", "mdi6.calendar-remove-outline"),
        }
        grid = QGridLayout()
        grid.setSpacing(16)
        for number, tile in enumerate(self.tiles.values()):
            grid.addWidget(tile, number // 3, number % 3)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        self.tiles_box = QWidget()
        self.tiles_box.setLayout(grid)
        grid.setContentsMargins(0, 0, 0, 0)
        self.mix = StatusMix()
        mix_card = QFrame()
        mix_card.setProperty("role", "tile")
        mix_title = QLabel("This month's appointments by status")
        mix_title.setProperty("role", "tile-caption")
        self.mix_note = QLabel("Every appointment starting this month, cancelled ones included.")
        self.mix_note.setProperty("role", "muted")
        mix_layout = QVBoxLayout(mix_card)
        mix_layout.setContentsMargins(20, 16, 20, 16)
        mix_layout.setSpacing(10)
        mix_layout.addWidget(mix_title)
        mix_layout.addWidget(self.mix)
        mix_layout.addWidget(self.mix_note)
        grid.addWidget(mix_card, 2, 0, 1, 3)
        self.message = MessagePanel()
        self.message.hide()
        self.empty_note = QLabel(wordWrap=True)
        self.empty_note.setProperty("role", "hint")
        self.empty_note.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.backup_light)
        layout.addSpacing(4)
        layout.addWidget(self.tiles_box)
        layout.addWidget(self.empty_note)
        layout.addWidget(self.message, 1)
        layout.addStretch(1)

    def refresh_light(self) -> None:
        """Read the backup status again (after a backup anywhere, and every ten minutes)."""
        health = self._backup_health
        if health is None:
            return
        if not self._light_timer.isActive():
            self._light_timer.start()
        light = self.backup_light
        run_task(
            health,
            light.show_health,
            lambda error: light.show_error(f"{describe_error(error)} Press F5 to try again."),
            receiver=light,
        )

    def live_changed(self) -> None:
        """A backup started or finished on some PC: only the light changes."""
        self.refresh_light()

    def refresh(self) -> None:
        self.refresh_light()
        self._generation += 1
        generation = self._generation
        overview, worklist = self._overview, self._worklist
        run_task(
            lambda: (overview.month_figures(), worklist.counts()),
            lambda loaded: self._loaded(generation, *loaded),
            lambda error: self._failed(generation, error),
            receiver=self,
        )

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self.tiles_box.hide()
        self.message.show_message(
            "The figures could not be loaded",
            f"{describe_error(error)}\nPress F5 to try again.",
            "mdi6.alert-circle-outline",
        )
        self.message.show()

    def _loaded(self, generation: int, figures: MonthFigures, waiting: WorklistCounts) -> None:
        if generation != self._generation:
            return
        self.figures, self.waiting = figures, waiting
        self.message.hide()
        self.tiles_box.show()
        month = figures.period.label
        self.title.setText(f"This month — {month}")
        self.subtitle.setText(
            f"The calendar month in the clinic's time zone, as of "
            f"{format_datetime(figures.as_of, self._zone)}. Press F5 for the latest figures."
        )
        t = self.tiles
        cancelled = (
            f"not counting {figures.cancelled:,} cancelled"
            if figures.cancelled
            else "none cancelled"
        )
        t["booked"].set(f"{figures.booked:,}", f"Booked to start in {month}; {cancelled}.")
        t["completed"].set(
            f"{figures.completed:,}", "Appointments of this month whose scan was completed."
        )
        t["no_show"].set(
            format_percent(figures.no_show_rate),
            f"{figures.no_shows:,} no-shows of {figures.due:,} appointments due so far "
            "(cancelled ones not counted)."
            if figures.due
            else "No appointment of this month has been due yet.",
        )
        t["payments"].set(
            format_money(figures.payments_total, self._currency),
            f"{figures.payments_count:,} payments received this month, refunds subtracted.",
        )
        overdue = f", {waiting.overdue:,} over the reporting target" if waiting.overdue else ""
        t["awaiting"].set(
            f"{waiting.total:,}",
            f"Completed scans of any month whose report is not final yet{overdue}.",
        )
        t["late"].set(
            f"{figures.late_cancellations:,}",
            "Cancelled less than the clinic's notice period before the start.",
        )
        self.mix.set_counts(figures.by_status)
        if figures.booked == 0 and figures.cancelled == 0:
            self.empty_note.setText(
                "No appointments are booked for this month yet. The figures fill in as "
                "reception books, checks in and takes payments."
            )
            self.empty_note.show()
        else:
            self.empty_note.hide()
