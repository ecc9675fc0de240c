"""The login window: clinic name and logo, username, password, and the demo accounts.

The password check (Argon2, ~50 ms and a database round trip) runs off the GUI
thread. Refusals are shown under the fields in the service's words, which never
say whether the username or the password was wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mic_desktop import APP_TITLE
from mic_desktop.db import Connection
from mic_desktop.models import Role
from mic_desktop.services.accounts.auth import AuthService, StaffAccount
from mic_desktop.services.clinic import ClinicInfo
from mic_desktop.services.errors import AuthenticationError

from .errors import describe_error
from .look import icon, logo_pixmap, window_title
from .tasks import run_task


class DemoAccountLike(Protocol):
    """What the login window needs of ``services.demo.spec.DemoAccount``."""

    username: str
    password: str
    role: Role | str
    full_name: str


class LoginWindow(QWidget):
    """Emits ``logged_in`` with the account once the password was accepted."""

    logged_in = Signal(object)  # StaffAccount

    def __init__(
        self,
        auth: AuthService,
        connection: Connection,
        clinic: ClinicInfo | None,
        *,
        workstation: str,
        demo_accounts: Sequence[DemoAccountLike] = (),
        has_staff: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("LoginWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._auth = auth
        self._busy = False
        self.is_demo = connection.is_demo
        self.setWindowTitle(window_title("Log in", demo=self.is_demo))
        self.resize(1000, 680)
        self.setMinimumSize(720, 560)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        if self.is_demo:
            banner = QLabel(
                "DEMO — a made-up clinic for trying MIC Desktop out. "
                "Nothing here is real patient data.",
                alignment=Qt.AlignmentFlag.AlignCenter,
            )
            banner.setObjectName("DemoBanner")
            outer.addWidget(banner)

        centre = QHBoxLayout()
        centre.setSpacing(24)
        centre.addStretch(1)
        centre.addWidget(self._build_card(clinic, has_staff), 0, Qt.AlignmentFlag.AlignTop)
        self.demo_panel: QFrame | None = None
        self.demo_buttons: list[QPushButton] = []
        if self.is_demo and demo_accounts:
            self.demo_panel = self._build_demo_panel(demo_accounts)
            centre.addWidget(self.demo_panel, 0, Qt.AlignmentFlag.AlignTop)
        centre.addStretch(1)
        outer.addStretch(1)
        outer.addLayout(centre)
        outer.addStretch(1)

        footer = QLabel(
            f"Database: {connection.label}   ·   Workstation: {workstation}",
            alignment=Qt.AlignmentFlag.AlignCenter,
        )
        footer.setProperty("role", "hint")
        footer.setContentsMargins(0, 0, 0, 12)
        outer.addWidget(footer)
        self.username.setFocus()

    def _build_card(self, clinic: ClinicInfo | None, has_staff: bool) -> QFrame:
        card = QFrame()
        card.setProperty("role", "card")
        card.setFixedWidth(400)
        logo = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        logo.setPixmap(logo_pixmap(64))
        self.clinic_label = QLabel(
            clinic.name if clinic else APP_TITLE, alignment=Qt.AlignmentFlag.AlignCenter
        )
        self.clinic_label.setProperty("role", "card-title")
        self.clinic_label.setWordWrap(True)
        product = QLabel(f"{APP_TITLE} · please log in", alignment=Qt.AlignmentFlag.AlignCenter)
        product.setProperty("role", "muted")

        user_label = QLabel("&Username")
        self.username = QLineEdit()
        self.username.setObjectName("Username")
        self.username.setPlaceholderText("e.g. tmoyo")
        self.username.returnPressed.connect(self._username_entered)
        user_label.setBuddy(self.username)
        password_label = QLabel("&Password")
        self.password = QLineEdit()
        self.password.setObjectName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.returnPressed.connect(self.submit)
        password_label.setBuddy(self.password)
        self._reveal = QAction(icon("mdi6.eye-outline"), "Show password", self.password)
        self._reveal.setCheckable(True)
        self._reveal.toggled.connect(self._toggle_reveal)
        self.password.addAction(self._reveal, QLineEdit.ActionPosition.TrailingPosition)

        self.error = QLabel(wordWrap=True)
        self.error.setObjectName("LoginError")
        self.error.setProperty("role", "error")
        self.error.setMinimumHeight(self.error.fontMetrics().lineSpacing() * 2)
        self.error.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.login_button = QPushButton("Log in")
        self.login_button.setObjectName("LoginButton")
        self.login_button.setProperty("primary", True)
        self.login_button.clicked.connect(self.submit)

        layout = QVBoxLayout(card)
        layout.setContentsMargins(36, 30, 36, 28)
        layout.setSpacing(6)
        layout.addWidget(logo)
        layout.addSpacing(4)
        layout.addWidget(self.clinic_label)
        layout.addWidget(product)
        layout.addSpacing(18)
        layout.addWidget(user_label)
        layout.addWidget(self.username)
        layout.addSpacing(6)
        layout.addWidget(password_label)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addWidget(self.login_button)
        self.setup_hint: QLabel | None = None
        if not has_staff:
            self.setup_hint = setup = QLabel(
                "No staff accounts exist yet. Create the first manager account on this PC "
                "with:\nmic-desktop user add --role manager --username NAME",
                wordWrap=True,
            )
            setup.setProperty("role", "hint")
            setup.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addSpacing(8)
            layout.addWidget(setup)
        return card

    def _build_demo_panel(self, accounts: Sequence[DemoAccountLike]) -> QFrame:
        panel = QFrame()
        panel.setObjectName("DemoPanel")
        panel.setProperty("role", "card")
        panel.setFixedWidth(340)
        title = QLabel("Demo accounts")
        title.setProperty("role", "section-title")
        text = QLabel(
            "One account per role. Click one to fill in its username and password.",
            wordWrap=True,
        )
        text.setProperty("role", "muted")
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(22, 20, 22, 20)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addSpacing(4)
        for account in accounts:
            role = Role(account.role)
            button = QPushButton(
                f"{role.label} — {account.full_name}\n"
                f"Username: {account.username}\nPassword: {account.password}"
            )
            button.setObjectName("DemoAccountButton")
            button.setProperty("username", account.username)
            button.setIcon(icon(_ROLE_ICONS.get(role, "mdi6.account-outline")))
            button.setToolTip(f"Fill in the {role.label.lower()} demo account")
            button.clicked.connect(
                lambda _checked=False, a=account: self.fill(a.username, a.password)
            )
            layout.addWidget(button)
            self.demo_buttons.append(button)
        return panel

    # -- behaviour --------------------------------------------------------------------

    def fill(self, username: str, password: str) -> None:
        self.username.setText(username)
        self.password.setText(password)
        self.error.clear()
        self.login_button.setFocus()

    def _toggle_reveal(self, on: bool) -> None:
        self.password.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        self._reveal.setIcon(icon("mdi6.eye-off-outline" if on else "mdi6.eye-outline"))
        self._reveal.setText("Hide password" if on else "Show password")

    def _username_entered(self) -> None:
        if self.password.text():
            self.submit()
        else:
            self.password.setFocus()

    def submit(self) -> None:
        if self._busy:
            return
        username, password = self.username.text().strip(), self.password.text()
        if not username:
            self.error.setText("Enter your username.")
            self.username.setFocus()
            return
        if not password:
            self.error.setText("Enter your password.")
            self.password.setFocus()
            return
        self.error.clear()
        self.set_busy("Logging in…")
        run_task(
            lambda: self._auth.login(username, password),
            self._accepted,
            self._refused,
            receiver=self,
        )

    def set_busy(self, text: str | None) -> None:
        """Disable the form while work runs; ``None`` enables it again."""
        self._busy = text is not None
        for widget in (self.username, self.password, self.login_button, *self.demo_buttons):
            widget.setEnabled(not self._busy)
        self.login_button.setText(text or "Log in")

    def show_error(self, text: str) -> None:
        self.set_busy(None)
        self.error.setText(text)
        self.password.clear()
        self.password.setFocus()

    def _accepted(self, account: StaffAccount) -> None:
        self.set_busy("Opening…")
        self.logged_in.emit(account)

    def _refused(self, error: BaseException) -> None:
        if isinstance(error, AuthenticationError):
            self.show_error(str(error))
        else:
            self.show_error(describe_error(error))

    def reset(self) -> None:
        """Ready for the next person: empty fields, no message."""
        self.set_busy(None)
        self.username.clear()
        self.password.clear()
        self.error.clear()
        self._reveal.setChecked(False)
        self.username.setFocus()


_ROLE_ICONS = {
    Role.RECEPTION: "mdi6.calendar-account-outline",
    Role.RADIOLOGIST: "mdi6.clipboard-text-outline",
    Role.MANAGER: "mdi6.chart-box-outline",
}
