"""The backup page: write a ``pg_dump`` of the clinic database to a chosen file.

The dump runs off the GUI thread with a progress bar; the outcome shows in the page.
Restoring replaces everything and is refused while anyone is connected, so it is
done from the command line only (the page says how).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import URL

from mic_desktop.services.admin.backup import BackupProgress, BackupResult, backup_database
from mic_desktop.ui.common.errors import describe_error
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.tasks import run_task

from . import files
from .forms import Notice


class _ProgressRelay(QObject):
    progress = Signal(object)


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


class BackupPage(QWidget):
    def __init__(self, url: URL, clock_text, parent: QWidget | None = None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._url = url
        self._clock_text = clock_text  # () -> "2026-11-22-1530"
        self.running = False
        self.result: BackupResult | None = None
        title = QLabel("Backup")
        title.setProperty("role", "page-title")
        subtitle = QLabel(
            "A complete copy of the clinic database (patients, appointments, reports, "
            "payments, settings) in one file. Keep copies off this PC."
        )
        subtitle.setProperty("role", "muted")
        subtitle.setWordWrap(True)
        self.path = QLineEdit(placeholderText="Choose where to save the backup file…")
        self.path.setReadOnly(True)
        self.choose_button = QPushButton(icon("mdi6.folder-outline"), "Choose file…")
        self.choose_button.clicked.connect(self.choose)
        self.start_button = QPushButton(icon("mdi6.database-export-outline"), "Back up now")
        self.start_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.hide()
        self.step = QLabel()
        self.step.setProperty("role", "muted")
        self.notice = Notice()
        restore = QLabel(
            "<b>Restoring</b> replaces everything in the clinic database with the backup. "
            "It is done from the command line on the server PC, after everyone has logged "
            "out: <code>mic-desktop restore FILE</code> (it refuses while anyone is "
            "connected and asks you to confirm). A backup can also be made there with "
            "<code>mic-desktop backup FILE</code>."
        )
        restore.setWordWrap(True)
        card = QFrame()
        card.setProperty("role", "card")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(18, 14, 18, 14)
        card_layout.addWidget(restore)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.choose_button)
        row.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.step)
        layout.addWidget(self.notice)
        layout.addSpacing(12)
        layout.addWidget(card)
        layout.addStretch(1)
        self._relay = _ProgressRelay(self)
        self._relay.progress.connect(self._progressed)

    def refresh(self) -> None:
        """Nothing to load: the page works on demand."""

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
        self.start_button.setEnabled(not self.running)

    def start(self) -> None:
        if self.running or not self.path.text():
            return
        self.running = True
        self.start_button.setEnabled(False)
        self.choose_button.setEnabled(False)
        self.notice.clear()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.step.setText("Starting the backup…")
        url, target, relay = self._url, Path(self.path.text()), self._relay
        run_task(
            lambda: backup_database(url, target, progress=relay.progress.emit),
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

    def _done(self, result: BackupResult) -> None:
        self._finish()
        self.result = result
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.step.setText("")
        self.notice.success(
            f"Backup complete: {result.tables} tables, {size_text(result.size_bytes)}, saved to "
            f"{result.path} in {result.seconds:.1f} s."
        )

    def _failed(self, error: BaseException) -> None:
        self._finish()
        self.progress.hide()
        self.step.setText("")
        self.notice.error(f"The backup failed: {describe_error(error)}")
