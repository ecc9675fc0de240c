"""The backup status light: a green or red dot, what the last verified backup was, and why
it is red (none for 36 hours, or the last one failed). On the home page and the Backup
page; the status comes from :func:`~mic_desktop.services.admin.backup_health.backup_health`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from mic_desktop.services.admin.backup_health import BackupHealth
from mic_desktop.ui.common.colours import ERROR_TEXT, MUTED_TEXT, URGENT

GREEN = "#16a34a"  # the "completed" green of the status colours
DOT_SIZE = 14


class BackupLight(QFrame):
    """One line: the light, the headline, the detail; optionally a button to the Backup page."""

    open_backup = Signal()

    def __init__(self, with_button: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BackupLight")
        self.health: BackupHealth | None = None
        self.dot = QLabel()
        self.dot.setFixedSize(DOT_SIZE, DOT_SIZE)
        self.headline = QLabel("Backup: checking…")
        self.headline.setStyleSheet("font-weight: 600")
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet(f"color: {MUTED_TEXT}")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text = QVBoxLayout()
        text.setSpacing(1)
        text.setContentsMargins(0, 0, 0, 0)
        text.addWidget(self.headline)
        text.addWidget(self.detail)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(10)
        layout.addWidget(self.dot, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(text, 1)
        self.button: QPushButton | None = None
        if with_button:
            self.button = QPushButton("Backup page")
            self.button.setToolTip("Open the Backup page: back up now, the daily backup, the list")
            self.button.clicked.connect(self.open_backup.emit)
            layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)
        self._paint("#9aa5b4", "#f4f6f9", "#dce2ea")

    def _paint(self, dot: str, background: str, border: str) -> None:
        self.dot.setStyleSheet(
            f"background: {dot}; border-radius: {DOT_SIZE // 2}px; border: 1px solid {dot};"
        )
        self.setStyleSheet(
            f"#BackupLight {{ background: {background}; border: 1px solid {border};"
            " border-radius: 8px; }"
        )

    @property
    def red(self) -> bool:
        return self.health is not None and self.health.red

    def show_health(self, health: BackupHealth) -> None:
        self.health = health
        running = ""
        if health.running is not None:
            running = f" A backup is running now on {health.running.workstation}."
        self.headline.setText(health.headline)
        self.detail.setText(health.detail + running)
        self.dot.setToolTip("Red: no verified backup for 36 hours, or the last one failed")
        if health.red:
            self.headline.setStyleSheet(f"font-weight: 600; color: {ERROR_TEXT}")
            self._paint(URGENT, "#fdf1f0", "#f3b4ac")
        else:
            self.headline.setStyleSheet("font-weight: 600; color: #17603a")
            self._paint(GREEN, "#eef8f1", "#a6d9b8")

    def show_error(self, message: str) -> None:
        self.health = None
        self.headline.setText("The backup status could not be read")
        self.headline.setStyleSheet(f"font-weight: 600; color: {ERROR_TEXT}")
        self.detail.setText(message)
        self._paint("#9aa5b4", "#f4f6f9", "#dce2ea")
