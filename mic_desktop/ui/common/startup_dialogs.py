"""What the person sees before the login window: the start-up window and the server password."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop import APP_TITLE, __version__
from mic_desktop.secrets import no_keyring_reason
from mic_desktop.startup import PasswordNeed

from .look import logo_pixmap, window_title


class StartupWindow(QWidget):
    """A small window with progress while the database starts, migrates or fills with demo data."""

    def __init__(self, *, demo: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StartupWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowTitle(window_title("Starting", demo=demo))
        self.setFixedSize(480, 300)
        logo = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        logo.setPixmap(logo_pixmap(64))
        name = QLabel(APP_TITLE, alignment=Qt.AlignmentFlag.AlignCenter)
        name.setProperty("role", "card-title")
        version = QLabel(
            f"Version {__version__}" + ("  ·  DEMO" if demo else ""),
            alignment=Qt.AlignmentFlag.AlignCenter,
        )
        version.setProperty("role", "hint")
        self.status = QLabel("Starting…", alignment=Qt.AlignmentFlag.AlignCenter)
        self.status.setObjectName("StartupStatus")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy until a step reports its size
        self.progress.setTextVisible(False)
        self.detail = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.detail.setProperty("role", "hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 28, 40, 24)
        layout.setSpacing(6)
        layout.addWidget(logo)
        layout.addWidget(name)
        layout.addWidget(version)
        layout.addStretch(1)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.detail)

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.progress.setRange(0, 0)
        self.detail.clear()

    def set_progress(self, done: int, total: int, what: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        self.detail.setText(what)


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
