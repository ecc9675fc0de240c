"""The login window: clinic name and logo, username, password, and the demo accounts.

It is the first window the program shows, before the database is reached: while
start-up runs it shows its steps and progress (the fields already take typing), and
:meth:`LoginWindow.attach` makes it ready once the clinic's database answers. So
this module imports nothing of the database stack; that loads off the GUI thread.

The password check (Argon2, ~50 ms and a database round trip) runs off the GUI
thread. Refusals are shown under the fields in the service's words, which never
say whether the username or the password was wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QPaintEvent
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

from mic_desktop import APP_TITLE

from .look import icon, logo_pixmap, window_title
from .tasks import run_task

if TYPE_CHECKING:
    from mic_desktop.db import Connection
    from mic_desktop.models import Role
    from mic_desktop.services.accounts.auth import AuthService, StaffAccount
    from mic_desktop.services.clinic import ClinicInfo


class DemoAccountLike(Protocol):
    """What the login window needs of ``services.demo.spec.DemoAccount``."""

    username: str
    password: str
    role: Role | str
    full_name: str


class LoginWindow(QWidget):
    """Emits ``logged_in`` with the account once the password was accepted."""

    logged_in = Signal(object)  # StaffAccount
    first_painted = Signal()  # the window is on screen: the heavier start-up may begin

    def __init__(
        self,
        *,
        workstation: str,
        demo: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._icons_loaded = False
        self.setObjectName("LoginWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._auth: AuthService | None = None
        self._busy = False
        self._workstation = workstation
        self.is_demo = demo
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

        self._centre = QHBoxLayout()
        self._centre.setSpacing(24)
        self._centre.addStretch(1)
        self._centre.addWidget(self._build_card(), 0, Qt.AlignmentFlag.AlignTop)
        self.demo_panel: QFrame | None = None
        self.demo_buttons: list[QPushButton] = []
        self._centre.addStretch(1)
        outer.addStretch(1)
        outer.addLayout(self._centre)
        outer.addStretch(1)

        self.footer = QLabel(f"Workstation: {workstation}", alignment=Qt.AlignmentFlag.AlignCenter)
        self.footer.setProperty("role", "hint")
        self.footer.setContentsMargins(0, 0, 0, 12)
        outer.addWidget(self.footer)
        self.set_status("Starting…")
        self.username.setFocus()

    @property
    def ready(self) -> bool:
        """Attached to the clinic's database: a login can be tried."""
        return self._auth is not None

    def attach(
        self,
        auth: AuthService,
        connection: Connection,
        clinic: ClinicInfo | None,
        *,
        demo_accounts: Sequence[DemoAccountLike] = (),
        has_staff: bool = True,
    ) -> None:
        """The database answered: show the clinic, the demo accounts, and take logins."""
        self._auth = auth
        self.clinic_label.setText(clinic.name if clinic else APP_TITLE)
        self.footer.setText(f"Database: {connection.label}   ·   Workstation: {self._workstation}")
        if self.is_demo and demo_accounts and self.demo_panel is None:
            self.demo_panel = self._build_demo_panel(demo_accounts)
            self._centre.insertWidget(2, self.demo_panel, 0, Qt.AlignmentFlag.AlignTop)
            if self._icons_loaded:
                self._load_icons()
        if not has_staff and self.setup_hint is None:
            self.setup_hint = setup = QLabel(
                "No staff accounts exist yet. Create the first manager account on this PC "
                "with:\nmic-desktop user add --role manager --username NAME",
                wordWrap=True,
            )
            setup.setProperty("role", "hint")
            setup.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._card_layout.addSpacing(8)
            self._card_layout.addWidget(setup)
        self._starting.hide()
        self.set_busy(None)
        if self.username.text() and self.password.text():
            self.login_button.setFocus()

    def set_status(self, text: str) -> None:
        """A start-up step under way (the form waits for :meth:`attach`)."""
        self.status.setText(text)
        self.progress.setRange(0, 0)
        self.detail.clear()
        self._starting.show()
        self.login_button.setEnabled(False)
        self.login_button.setText("Starting…")

    def set_progress(self, done: int, total: int, what: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.detail.setText(what)

    def _build_card(self) -> QFrame:
        card = QFrame()
        card.setProperty("role", "card")
        card.setFixedWidth(400)
        logo = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        logo.setPixmap(logo_pixmap(64))
        self.clinic_label = QLabel(APP_TITLE, alignment=Qt.AlignmentFlag.AlignCenter)
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
        self._reveal = QAction("Show password", self.password)
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

        self._starting = QWidget()
        self.status = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.status.setObjectName("StartupStatus")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.detail = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.detail.setProperty("role", "hint")
        self.detail.setWordWrap(True)
        starting = QVBoxLayout(self._starting)
        starting.setContentsMargins(0, 6, 0, 0)
        starting.setSpacing(4)
        starting.addWidget(self.status)
        starting.addWidget(self.progress)
        starting.addWidget(self.detail)

        layout = QVBoxLayout(card)
        self._card_layout = layout
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
        layout.addWidget(self._starting)
        self.setup_hint: QLabel | None = None
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
        from mic_desktop.models import Role

        for account in accounts:
            role = Role(account.role)
            button = QPushButton(
                f"{role.label} — {account.full_name}\n"
                f"Username: {account.username}\nPassword: {account.password}"
            )
            button.setObjectName("DemoAccountButton")
            button.setProperty("username", account.username)
            button.setProperty("icon_name", _ROLE_ICONS.get(role.value, "mdi6.account-outline"))
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

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._icons_loaded:
            # The icon font loads once the window is on screen, not before it.
            self._icons_loaded = True
            QTimer.singleShot(0, self._on_screen)

    def _on_screen(self) -> None:
        self.first_painted.emit()
        self._load_icons()

    def _load_icons(self) -> None:
        self._reveal.setIcon(icon("mdi6.eye-outline"))
        for button in self.demo_buttons:
            button.setIcon(icon(button.property("icon_name")))

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
        if self._busy or self._auth is None:
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
        auth = self._auth
        run_task(
            lambda: auth.login(username, password),
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
        if self._auth is None:  # still starting: typing yes, logging in not yet
            self.login_button.setEnabled(False)
            self.login_button.setText("Starting…")

    def show_error(self, text: str) -> None:
        self.set_busy(None)
        self.error.setText(text)
        self.password.clear()
        self.password.setFocus()

    def _accepted(self, account: StaffAccount) -> None:
        self.set_busy("Opening…")
        self.logged_in.emit(account)

    def _refused(self, error: BaseException) -> None:
        from mic_desktop.services.errors import AuthenticationError

        from .errors import describe_error

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
    "reception": "mdi6.calendar-account-outline",
    "radiologist": "mdi6.clipboard-text-outline",
    "manager": "mdi6.chart-box-outline",
}
