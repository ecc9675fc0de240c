"""The clinic server's password, asked for during start-up over the login window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop.secrets import no_keyring_reason
from mic_desktop.startup import PasswordNeed

from .look import window_title


class ServerPasswordDialog(QDialog):
    """Asks for the clinic server's database password, and whether to keep it in the keyring."""

    def __init__(
        self, need: PasswordNeed, *, error: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.need = need
        self.setWindowTitle(window_title("Clinic database password"))
        self.setModal(True)
        self.setMinimumWidth(460)
        title = QLabel("Connect to the clinic database")
        title.setProperty("role", "card-title")
        self.intro = intro = QLabel(
            f"MIC Desktop needs the password of the database user <b>{need.user}</b> "
            f"on the clinic server <b>{need.server}</b>. Ask the practice manager or "
            "whoever set up the server.",
            wordWrap=True,
        )
        intro.setTextFormat(Qt.TextFormat.RichText)
        label = QLabel("&Database password")
        self.password = QLineEdit()
        self.password.setObjectName("ServerPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        label.setBuddy(self.password)
        self.error = QLabel(error, wordWrap=True)
        self.error.setProperty("role", "field-error")
        self.error.setVisible(bool(error))
        self.remember = QCheckBox("Remember it in this PC's secure keyring")
        self.remember.setChecked(need.keyring_available)
        self.remember.setVisible(need.keyring_available)
        self.no_keyring = QLabel(no_keyring_reason(), wordWrap=True)
        self.no_keyring.setObjectName("NoKeyring")
        self.no_keyring.setProperty("role", "hint")
        self.no_keyring.setVisible(not need.keyring_available)

        buttons = QDialogButtonBox()
        self.connect_button = QPushButton("Connect")
        self.connect_button.setProperty("primary", True)
        self.connect_button.setDefault(True)
        buttons.addButton(self.connect_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Quit", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(label)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addWidget(self.remember)
        layout.addWidget(self.no_keyring)
        layout.addSpacing(6)
        layout.addWidget(buttons)
        self.password.setFocus()

    def _submit(self) -> None:
        if not self.password.text():
            self.error.setText("Enter the password, or Quit.")
            self.error.show()
            return
        self.accept()

    @property
    def remember_requested(self) -> bool:
        return self.need.keyring_available and self.remember.isChecked()
