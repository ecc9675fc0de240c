"""The lock screen laid over a role window after idle time or "Lock screen".

It covers the window without touching what is under it, so nothing typed is lost.
The same person's password unlocks it; "Log out" lets someone else end the session.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.services.accounts.auth import StaffAccount

from .look import icon, logo_pixmap


def first_name(account: StaffAccount) -> str:
    return account.full_name.split()[0] if account.full_name.strip() else account.username


class LockScreen(QWidget):
    """An opaque overlay with a password field; the owner window places and shows it."""

    unlock_requested = Signal(str)
    logout_requested = Signal()

    def __init__(self, account: StaffAccount, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("LockScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAutoFillBackground(True)
        name = first_name(account)

        card = QFrame(self)
        card.setProperty("role", "card")
        card.setFixedWidth(440)
        logo = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        logo.setPixmap(logo_pixmap(56))
        headline = QLabel("Screen locked", alignment=Qt.AlignmentFlag.AlignCenter)
        headline.setProperty("role", "card-title")
        who = QLabel(
            f"{account.full_name} ({account.role.label}) is logged in here. "
            "Their work is kept just as they left it.",
            alignment=Qt.AlignmentFlag.AlignCenter,
            wordWrap=True,
        )
        who.setProperty("role", "muted")

        label = QLabel(f"{name}'s password")
        self.password = QLineEdit()
        self.password.setObjectName("LockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        self.password.returnPressed.connect(self._submit)
        label.setBuddy(self.password)
        self.error = QLabel(wordWrap=True)
        self.error.setProperty("role", "error")
        self.unlock_button = QPushButton(
            icon("mdi6.lock-open-variant-outline", "#ffffff"), "Unlock"
        )
        self.unlock_button.setProperty("primary", True)
        self.unlock_button.clicked.connect(self._submit)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setProperty("role", "separator")
        other = QLabel(
            f"Not {name}? Log out to end this session. Anything not saved in it is lost.",
            wordWrap=True,
        )
        other.setProperty("role", "muted")
        self.logout_button = QPushButton(icon("mdi6.logout"), "Log out")
        self.logout_button.clicked.connect(self.logout_requested)

        layout = QVBoxLayout(card)
        layout.setContentsMargins(32, 28, 32, 24)
        layout.setSpacing(8)
        layout.addWidget(logo)
        layout.addWidget(headline)
        layout.addWidget(who)
        layout.addSpacing(10)
        layout.addWidget(label)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addWidget(self.unlock_button)
        layout.addSpacing(8)
        layout.addWidget(line)
        row = QHBoxLayout()
        row.addWidget(other, 1)
        row.addWidget(self.logout_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addLayout(row)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(card)
        centred.addStretch(1)
        outer.addLayout(centred)
        outer.addStretch(2)
        self.hide()

    def activate(self) -> None:
        """Cover the parent and take the keyboard."""
        self.password.clear()
        self.error.clear()
        self.set_busy(False)
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_busy(self, busy: bool) -> None:
        self.password.setEnabled(not busy)
        self.unlock_button.setEnabled(not busy)
        self.logout_button.setEnabled(not busy)
        self.unlock_button.setText("Checking…" if busy else "Unlock")

    def show_error(self, text: str) -> None:
        self.set_busy(False)
        self.error.setText(text)
        self.password.clear()
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def _submit(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        password = self.password.text()
        if not password:
            self.error.setText("Enter your password to unlock.")
            return
        self.error.clear()
        self.set_busy(True)
        self.unlock_requested.emit(password)
