"""The Backup page: the status light, "Back up now", the daily backup, and the list of
recorded backups.

Every backup is written with the tools that fit the server, checked by restoring it
into a scratch database and recorded (see :mod:`mic_desktop.services.admin.backup_records`);
it runs off the GUI thread with a progress bar, and the outcome shows in the page.
Restoring replaces everything and is refused while anyone is connected, so it is done
from the command line only (the page says how).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.models import BackupKind, BackupState
from mic_desktop.services.admin.backup import BackupProgress
from mic_desktop.services.admin.backup_health import BackupHealth
from mic_desktop.services.admin.backup_records import (
    BackupEntry,
    BackupOutcome,
    BackupService,
    size_text,
)
from mic_desktop.services.admin.backup_schedule import BackupSchedule, BackupScheduleService
from mic_desktop.ui.common.colours import ERROR_TEXT, MUTED_TEXT
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.formatting import format_datetime
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.table import (
    EVERY_DATETIME,
    RIGHT,
    Column,
    MessagePanel,
    RowTableModel,
    make_table_view,
    size_columns,
)
from mic_desktop.ui.common.tasks import run_task

from . import files
from .backup_light import GREEN, BackupLight
from .backup_schedule import ScheduleCard
from .forms import Notice

RECENT = 30
_RESULT = {
    BackupState.VERIFIED: ("Verified", GREEN),
    BackupState.FAILED: ("Failed", ERROR_TEXT),
    BackupState.RUNNING: ("Running", MUTED_TEXT),
}


class _ProgressRelay(QObject):
    progress = Signal(object)


def _card(title: str) -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setProperty("role", "card")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(18, 14, 18, 14)
    layout.setSpacing(8)
    heading = QLabel(title)
    heading.setProperty("role", "tile-caption")
    layout.addWidget(heading)
    return card, layout


def _result_tip(entry: BackupEntry) -> str:
    lines = [entry.file_path]
    if entry.failure_reason:
        lines.append(entry.failure_reason)
    if entry.verified_on:
        lines.append(f"Checked on {entry.verified_on}")
    if entry.sha256:
        lines.append(f"SHA-256 {entry.sha256}")
    if entry.tools:
        lines.append(f"Made with {entry.tools}")
    if entry.removed_at:
        lines.append("The file was deleted (the daily backup keeps the newest ones).")
    return "\n".join(lines)


class BackupPage(QWidget):
    def __init__(
        self,
        backups: BackupService,
        schedule: BackupScheduleService,
        health: Callable[[], BackupHealth],
        zone: ZoneInfo,
        clock_text: Callable[[], str],  # () -> "2026-11-22-1530"
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._backups = backups
        self._schedule_service = schedule
        self._health = health
        self._zone = zone
        self._clock_text = clock_text
        self._generation = 0
        self.running = False
        self.result: BackupOutcome | None = None
        title = QLabel("Backup")
        title.setProperty("role", "page-title")
        subtitle = QLabel(
            "A complete copy of the clinic database (patients, appointments, reports, "
            "payments, settings) in one file. Every backup is checked by restoring it into "
            "a scratch database and comparing. Keep copies off this PC."
        )
        subtitle.setProperty("role", "muted")
        subtitle.setWordWrap(True)
        self.light = BackupLight(with_button=False)

        now_card, now_layout = _card("Back up now")
        self.path = QLineEdit(placeholderText="Choose where to save the backup file…")
        self.path.setReadOnly(True)
        self.choose_button = QPushButton(icon("mdi6.file-outline"), "Choose file…")
        self.choose_button.setToolTip("Choose the file to write the backup to")
        self.choose_button.clicked.connect(self.choose)
        self.start_button = QPushButton(icon("mdi6.database-export-outline"), "Back up now")
        self.start_button.setToolTip("Write the backup, then check it")
        self.start_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.hide()
        self.step = QLabel()
        self.step.setProperty("role", "muted")
        self.notice = Notice()
        what = QLabel(
            "Writes the file with the pg_dump that fits the server, then restores it into a "
            "scratch database and compares row counts and checksums."
        )
        what.setProperty("role", "hint")
        what.setWordWrap(True)
        now_layout.addWidget(what)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.choose_button)
        now_layout.addLayout(row)
        now_layout.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignRight)
        now_layout.addWidget(self.progress)
        now_layout.addWidget(self.step)
        now_layout.addWidget(self.notice)
        now_layout.addStretch(1)

        self.schedule = ScheduleCard(schedule)
        self.schedule.saved.connect(lambda _schedule: self.refresh())
        cards = QHBoxLayout()
        cards.setSpacing(16)
        cards.addWidget(now_card, 1)
        cards.addWidget(self.schedule, 1)

        list_card, list_layout = _card("Recent backups")
        self.model = RowTableModel(self._columns())
        self.view = make_table_view()
        self.view.setSortingEnabled(False)
        self.view.setModel(self.model)
        self.view.setMinimumHeight(120)
        size_columns(self.view, self.model.columns)
        self.empty = MessagePanel()
        self.empty.show_message(
            "No backups yet",
            "Back up now, or set a daily backup: each one is listed here with its check.",
            "mdi6.database-outline",
        )
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.empty)
        self.list_stack.addWidget(self.view)
        self.list_stack.setMinimumHeight(120)
        list_layout.addWidget(self.list_stack)

        command = "<nobr><code>mic-desktop {}</code></nobr>".format
        restore = QLabel(
            "<b>Restoring</b> replaces everything in the clinic database with a backup. It is "
            "done from the command line on the server PC, after everyone has logged out: "
            f"{command('restore FILE')} (it refuses while anyone is connected and asks you "
            f"to confirm). {command('backup FILE --verify')} checks a backup file again; "
            f"{command('backup --list')} lists them."
        )
        restore.setWordWrap(True)
        restore.setProperty("role", "muted")
        list_layout.addWidget(restore)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addWidget(self.light)
        layout.addLayout(cards)
        layout.addWidget(list_card, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._relay = _ProgressRelay(self)
        self._relay.progress.connect(self._progressed)

    def _columns(self) -> list[Column]:
        zone = self._zone

        def result(entry: BackupEntry) -> str:
            return _RESULT[entry.status][0]

        return [
            Column("When", lambda e: format_datetime(e.started_at, zone), fits=EVERY_DATETIME),
            Column(
                "Kind",
                lambda e: "Daily" if e.kind is BackupKind.SCHEDULED else "Manual",
                tooltip=lambda e: e.started_by or None,
                width=80,
            ),
            Column("PC", lambda e: e.workstation, tooltip=lambda e: e.workstation, width=120),
            Column("Size", lambda e: size_text(e.size_bytes), align=RIGHT, width=80),
            Column(
                "Result",
                result,
                colour=lambda e: _RESULT[e.status][1],
                tooltip=_result_tip,
                width=90,
            ),
            Column(
                "File / reason",
                lambda e: (
                    e.failure_reason or (e.file_name + (" (deleted)" if e.removed_at else ""))
                ),
                tooltip=_result_tip,
                stretch=True,
            ),
        ]

    # -- loading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        self._generation += 1
        generation = self._generation
        backups, schedule, health = self._backups, self._schedule_service, self._health
        run_task(
            lambda: (schedule.load(), backups.recent(RECENT), health()),
            lambda loaded: self._loaded(generation, *loaded),
            lambda error: self._load_failed(generation, error),
            receiver=self,
        )

    def live_changed(self) -> None:
        self.refresh()

    def _loaded(
        self,
        generation: int,
        schedule: BackupSchedule,
        entries: list[BackupEntry],
        health: BackupHealth,
    ) -> None:
        if generation != self._generation:
            return
        self.schedule.show_schedule(schedule)
        self.model.set_rows(entries)
        self.list_stack.setCurrentWidget(self.view if entries else self.empty)
        self.light.show_health(health)

    def _load_failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            self.light.show_error(f"{describe_error(error)} Press F5 to try again.")

    # -- back up now -------------------------------------------------------------------------

    def choose(self) -> None:
        path = files.choose_save_path(
            self,
            "Save the backup as",
            f"mic-backup-{self._clock_text()}.dump",
            "Database backups (*.dump)",
        )
        if path is not None:
            self.set_path(path)

    def set_path(self, path: Path) -> None:
        self.path.setText(str(path))
        self.path.setToolTip(str(path))
        self.start_button.setEnabled(not self.running)

    def start(self) -> None:
        if self.running or not self.path.text():
            return
        self.running = True
        self.result = None
        self.start_button.setEnabled(False)
        self.choose_button.setEnabled(False)
        self.notice.clear()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.step.setText("Starting the backup…")
        backups, target, relay = self._backups, Path(self.path.text()), self._relay
        run_task(
            lambda: backups.back_up(target, progress=relay.progress.emit),
            self._done,
            self._failed,
            receiver=self,
        )

    def _progressed(self, progress: BackupProgress) -> None:
        if not self.running:
            return
        self.progress.setRange(0, max(progress.total, 1))
        self.progress.setValue(progress.done)
        self.step.setText(f"{progress.message} ({progress.done} of {progress.total} tables)")

    def _finish(self) -> None:
        self.running = False
        self.choose_button.setEnabled(True)
        self.start_button.setEnabled(bool(self.path.text()))
        self.progress.hide()
        self.step.setText("")
        self.refresh()

    def _done(self, outcome: BackupOutcome) -> None:
        self.result = outcome
        self._finish()
        result, check = outcome.result, outcome.check
        if outcome.verified:
            rows = f"{check.contents.total_rows:,} rows, " if check.contents else ""
            self.notice.success(
                f"Backup verified: {result.tables} tables, {size_text(result.size_bytes)}, "
                f"saved to {result.path}. Restored into {check.where} and compared "
                f"({rows}{result.seconds + check.seconds:.1f} s in all)."
            )
        else:
            self.notice.error(
                f"The backup was written to {result.path}, but its check failed: "
                f"{outcome.entry.failure_reason}"
            )

    def _failed(self, error: BaseException) -> None:
        self._finish()
        self.notice.error(f"The backup failed: {describe_error(error)}")
