"""The Backup page's daily-backup card: the time, the folder and how many to keep.

The card remembers the clinic settings' version it was loaded from (a save after
someone else's is refused with who and when); errors show beside their field. The
save runs off the GUI thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.admin.backup_schedule import (
    KEEP_RANGE,
    BackupSchedule,
    BackupScheduleService,
)
from mic_desktop.ui.common.look import icon
from mic_desktop.ui.common.tasks import run_task

from . import files
from .forms import FieldForm


class ScheduleCard(QFrame):
    """The form of the daily backup; ``saved`` carries the new schedule."""

    saved = Signal(object)

    def __init__(self, service: BackupScheduleService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self._service = service
        self.schedule: BackupSchedule | None = None
        self._filling = False
        self.dirty = False
        heading = QLabel("Daily backup")
        heading.setProperty("role", "tile-caption")
        f = self.form = FieldForm()
        self.time = QTimeEdit()
        self.time.setDisplayFormat("HH:mm")
        self.time.setMaximumWidth(100)
        self.keep = QSpinBox()
        self.keep.setRange(*KEEP_RANGE)
        self.keep.setSuffix(" backups")
        self.keep.setMaximumWidth(140)
        when = QWidget()
        when_row = QHBoxLayout(when)
        when_row.setContentsMargins(0, 0, 0, 0)
        when_row.addWidget(self.time)
        when_row.addSpacing(12)
        when_row.addWidget(QLabel("keeping the last"))
        when_row.addWidget(self.keep)
        when_row.addStretch(1)
        f.add_field(
            "time",
            "At",
            when,
            "Clinic time. The first PC that is on after it and reaches the folder makes "
            "the backup; older daily backups there are deleted.",
        )
        self.folder = QLineEdit(placeholderText="No daily backup")
        self.choose_button = QPushButton(icon("mdi6.folder-outline"), "Choose…")
        self.choose_button.setToolTip("Choose the folder for the daily backups")
        self.choose_button.clicked.connect(self.choose)
        folder_row = QWidget()
        row = QHBoxLayout(folder_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.folder, 1)
        row.addWidget(self.choose_button)
        f.add_field(
            "folder", "Into", folder_row, "Use a network share when several PCs may make it."
        )
        self.save_button = QPushButton(icon("mdi6.content-save-outline"), "Save schedule")
        self.save_button.setToolTip("Save the daily backup's time, folder and number to keep")
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(False)
        self.off_button = QPushButton("Turn off")
        self.off_button.setToolTip("Stop the daily backup (existing backups are kept)")
        self.off_button.clicked.connect(self.turn_off)
        self.off_button.setEnabled(False)
        self.state = QLabel()
        self.state.setProperty("role", "muted")
        self.state.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        buttons.addWidget(self.off_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addWidget(self.form.general)
        layout.addLayout(self.form)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.time.timeChanged.connect(self._edited)
        self.folder.textChanged.connect(self._edited)
        self.keep.valueChanged.connect(self._edited)

    def _edited(self, *_args: object) -> None:
        if not self._filling:
            self.dirty = True
            self.save_button.setEnabled(self.schedule is not None)

    def show_schedule(self, schedule: BackupSchedule, *, force: bool = False) -> None:
        """Fill the form (kept as typed when it has unsaved edits, unless ``force``)."""
        self.schedule = schedule
        if not self.dirty or force:
            self._filling = True
            self.time.setTime(QTime(schedule.time.hour, schedule.time.minute))
            self.folder.setText(schedule.folder)
            self.keep.setValue(schedule.keep)
            self._filling = False
            self.dirty = False
            self.form.clear_errors()
        self.save_button.setEnabled(self.dirty)
        self.off_button.setEnabled(schedule.enabled)
        if schedule.enabled:
            self.state.setText(
                f"Every day at {schedule.time:%H:%M} into {schedule.folder}, "
                f"keeping the last {schedule.keep}."
            )
        else:
            self.state.setText("No daily backup is set.")
        self.state.setToolTip(self.state.text())

    def choose(self) -> None:
        folder = files.choose_folder(self, "The folder for the daily backups")
        if folder is not None:
            self.folder.setText(str(folder))

    def save(self) -> None:
        at = self.time.time()
        self._submit(self.folder.text(), dt.time(at.hour(), at.minute()), self.keep.value())

    def turn_off(self) -> None:
        if self.schedule is not None:
            self._submit("", self.schedule.time, self.schedule.keep)

    def _submit(self, folder: str, at: dt.time, keep: int) -> None:
        if self.schedule is None:
            return
        service, version = self._service, self.schedule.version
        self.form.clear_errors()
        self.save_button.setEnabled(False)
        self.off_button.setEnabled(False)
        save: Callable[[], BackupSchedule] = lambda: service.save(  # noqa: E731
            folder, at, keep, expected_version=version
        )
        run_task(save, self._saved, self._failed, receiver=self)

    def _saved(self, schedule: BackupSchedule) -> None:
        self.dirty = False
        self.show_schedule(schedule, force=True)
        self.saved.emit(schedule)

    def _failed(self, error: BaseException) -> None:
        self.form.show_error(error, {"keep": "time"})
        self.save_button.setEnabled(True)
        self.off_button.setEnabled(self.schedule is not None and self.schedule.enabled)
