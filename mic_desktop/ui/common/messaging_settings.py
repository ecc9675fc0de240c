"""The manager's "Messaging settings" dialog: Twilio for SMS, an SMTP server for e-mail.

The account SID, sender number and mail server go to this PC's settings file; the
Twilio auth token and the SMTP password go to the OS keyring through
:mod:`mic_desktop.services.messaging.setup` — never to the settings file. Without a
safe keyring the secrets are kept in memory until the program closes, and the
dialog says so. "Send a test message" sends one SMS or e-mail at once and shows
the outcome in the dialog.

Open it with :func:`open_messaging_settings` (the manager window's
"Messaging settings…" action).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from twilio.http import HttpClient

from mic_desktop.config import SmtpSecurity, SmtpSettings
from mic_desktop.secrets import backend_description
from mic_desktop.services.errors import ServiceError, ValidationError
from mic_desktop.services.messaging.setup import (
    MessagingSetupService,
    MessagingStatus,
    TestMessageResult,
    build_mailer,
    build_sms_gateway,
    check_smtp,
    check_twilio,
    messaging_status,
    save_smtp_credentials,
    save_twilio_credentials,
    use_secret_for_this_run,
)

from .colours import ERROR_TEXT, MUTED_TEXT
from .errors import describe_error
from .look import window_title
from .session import UserSession
from .tasks import run_task

OK_TEXT = "#15723a"
UNENCRYPTED_WARNING = (
    "Warning: without encryption the user name and password cross the network readable "
    "by anyone on it. Use this only for a mail relay on the clinic's own network."
)
STORED = "stored in the keyring — leave empty to keep it"
STORED_IN_MEMORY = "kept in memory for this run — leave empty to keep it"


def save_twilio(sid: str, sender: str, token: str, keyring_ok: bool) -> None:
    """Store the Twilio settings; without a keyring the token stays in memory."""
    if token and not keyring_ok:
        twilio = check_twilio(sid, sender)
        use_secret_for_this_run(twilio.secret_key, token)
        token = ""
    save_twilio_credentials(sid, sender, token or None)


def save_smtp(smtp: SmtpSettings, password: str, keyring_ok: bool) -> None:
    """Store the mail server; without a keyring the password stays in memory."""
    if password and not keyring_ok:
        smtp = check_smtp(smtp)
        if not smtp.user:
            raise ValidationError("A password needs a user name.", "user")
        use_secret_for_this_run(smtp.secret_key, password)
        password = ""
    save_smtp_credentials(smtp, password or None)


class MessagingSettingsDialog(QDialog):
    """Twilio and SMTP credentials, with "Send a test message"."""

    def __init__(
        self,
        session: UserSession,
        *,
        http_client: HttpClient | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._http_client = http_client  # tests answer Twilio with a fake
        self.service = MessagingSetupService(
            session.database.session_factory, session.account, session.workstation, session.clock
        )
        self.setWindowTitle(window_title("Messaging settings", demo=session.is_demo))
        self.setMinimumWidth(640)
        self._status: MessagingStatus | None = None
        self._busy = False

        intro = QLabel(
            "Reminders and notices go out as SMS through Twilio and as e-mail through the "
            "clinic's mail server. The auth token and the password are kept in this PC's "
            "secure keyring, never in a file."
        )
        intro.setWordWrap(True)
        intro.setProperty("role", "hint")
        self.keyring_note = QLabel()
        self.keyring_note.setWordWrap(True)
        self.keyring_note.hide()

        self.account_sid = QLineEdit(placeholderText="AC followed by 32 letters and digits")
        self.sender = QLineEdit(placeholderText="e.g. +15017122661 or ClinicName")
        self.auth_token = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.twilio_error = self._error_label()
        twilio_box = QGroupBox("SMS (Twilio)")
        twilio_form = QFormLayout(twilio_box)
        twilio_form.addRow("Account &SID:", self.account_sid)
        twilio_form.addRow("Sender &number:", self.sender)
        twilio_form.addRow("Auth &token:", self.auth_token)
        twilio_form.addRow("", self.twilio_error)

        self.smtp_host = QLineEdit(placeholderText="e.g. smtp.office365.com")
        self.smtp_port = QSpinBox()
        self.smtp_port.setRange(1, 65535)
        self.smtp_port.setValue(587)
        self.smtp_security = QComboBox()
        for value, text in (
            (SmtpSecurity.STARTTLS, "STARTTLS (usually port 587)"),
            (SmtpSecurity.TLS, "TLS from the start (usually port 465)"),
            (SmtpSecurity.NONE, "None (a relay on the clinic network only)"),
        ):
            self.smtp_security.addItem(text, value.value)
        self.smtp_user = QLineEdit()
        self.smtp_from = QLineEdit(placeholderText="e.g. appointments@clinic.example")
        self.smtp_password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.allow_unencrypted = QCheckBox("Allow unencrypted login (not recommended)")
        self.unencrypted_warning = QLabel(UNENCRYPTED_WARNING)
        self.unencrypted_warning.setWordWrap(True)
        self.unencrypted_warning.setStyleSheet(f"color:{ERROR_TEXT}")
        self.smtp_error = self._error_label()
        port_row = QHBoxLayout()
        port_row.addWidget(self.smtp_port)
        port_row.addWidget(self.smtp_security, 1)
        smtp_box = QGroupBox("E-mail (SMTP)")
        smtp_form = QFormLayout(smtp_box)
        smtp_form.addRow("Mail &server:", self.smtp_host)
        smtp_form.addRow("Port, security:", port_row)
        smtp_form.addRow("&User:", self.smtp_user)
        smtp_form.addRow("&From address:", self.smtp_from)
        smtp_form.addRow("Pass&word:", self.smtp_password)
        smtp_form.addRow("", self.allow_unencrypted)
        smtp_form.addRow("", self.unencrypted_warning)
        smtp_form.addRow("", self.smtp_error)
        self._smtp_form = smtp_form
        self.smtp_security.currentIndexChanged.connect(self._show_unencrypted)
        self.smtp_user.textChanged.connect(self._show_unencrypted)
        self.allow_unencrypted.toggled.connect(self._show_unencrypted)
        self._show_unencrypted()

        self.test_sms_to = QLineEdit(placeholderText="+263771234567")
        self.test_sms_button = QPushButton("Send test &SMS")
        self.test_sms_button.clicked.connect(self.send_test_sms)
        self.test_email_to = QLineEdit(placeholderText="you@clinic.example")
        self.test_email_button = QPushButton("Send test &e-mail")
        self.test_email_button.clicked.connect(self.send_test_email)
        self.test_result = QLabel()
        self.test_result.setObjectName("TestResult")
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_box = QGroupBox("Send a test message (saves the settings first)")
        test_form = QFormLayout(test_box)
        sms_row = QHBoxLayout()
        sms_row.addWidget(self.test_sms_to, 1)
        sms_row.addWidget(self.test_sms_button)
        email_row = QHBoxLayout()
        email_row.addWidget(self.test_email_to, 1)
        email_row.addWidget(self.test_email_button)
        test_form.addRow("SMS to:", sms_row)
        test_form.addRow("E-mail to:", email_row)
        test_form.addRow("", self.test_result)

        self.status_label = QLabel()
        self.status_label.setProperty("role", "hint")
        self.status_label.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.save_button.clicked.connect(lambda: self.save())
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.addWidget(intro)
        layout.addWidget(self.keyring_note)
        layout.addWidget(twilio_box)
        layout.addWidget(smtp_box)
        layout.addWidget(test_box)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)
        self.resize(700, max(720, self.sizeHint().height()))
        self._fields = {
            "account_sid": self.account_sid,
            "from_number": self.sender,
            "host": self.smtp_host,
            "port": self.smtp_port,
            "user": self.smtp_user,
            "from_address": self.smtp_from,
            "allow_unencrypted": self.allow_unencrypted,
            "to": None,
        }
        self._set_busy(True)
        run_task(messaging_status, self._status_loaded, self._load_failed, receiver=self)

    @staticmethod
    def _error_label() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setStyleSheet(f"color:{ERROR_TEXT}")
        label.hide()
        return label

    # -- loading ---------------------------------------------------------------------

    def _status_loaded(self, status: MessagingStatus) -> None:
        self._set_busy(False)
        self._status = status
        placeholder = STORED if status.keyring_available else STORED_IN_MEMORY
        if status.twilio is not None:
            self.account_sid.setText(status.twilio.account_sid)
            self.sender.setText(status.twilio.from_number)
        self.auth_token.setPlaceholderText(placeholder if status.twilio_secret_stored else "")
        if status.smtp is not None:
            smtp = status.smtp
            self.smtp_host.setText(smtp.host)
            self.smtp_port.setValue(smtp.port)
            self.smtp_security.setCurrentIndex(self.smtp_security.findData(smtp.security.value))
            self.smtp_user.setText(smtp.user)
            self.smtp_from.setText(smtp.from_address)
            self.allow_unencrypted.setChecked(smtp.allow_unencrypted)
        self.smtp_password.setPlaceholderText(placeholder if status.smtp_secret_stored else "")
        if not status.keyring_available:
            self.keyring_note.setText(
                f"No secure OS keyring is available on this PC ({backend_description()}). "
                "The auth token and password you enter are kept in memory only, until "
                "MIC Desktop closes; enter them again after the next start, or install or "
                "unlock the system keyring."
            )
            self.keyring_note.setStyleSheet(f"color:{ERROR_TEXT}")
            self.keyring_note.show()
        self.status_label.setText(self._summary(status))

    def _load_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self.status_label.setText(describe_error(error))

    @staticmethod
    def _summary(status: MessagingStatus) -> str:
        sms = "ready" if status.sms_ready else "not set up"
        email = "ready" if status.email_ready else "not set up"
        return f"SMS: {sms} · E-mail: {email}"

    # -- saving ----------------------------------------------------------------------

    def _twilio_entered(self) -> bool:
        return any(w.text().strip() for w in (self.account_sid, self.sender, self.auth_token))

    def _smtp_entered(self) -> bool:
        return any(
            w.text().strip() for w in (self.smtp_host, self.smtp_user, self.smtp_from)
        ) or bool(self.smtp_password.text())

    def _smtp_settings(self) -> SmtpSettings:
        return SmtpSettings(
            host=self.smtp_host.text().strip(),
            port=self.smtp_port.value(),
            user=self.smtp_user.text().strip(),
            from_address=self.smtp_from.text().strip(),
            security=SmtpSecurity(self.smtp_security.currentData()),
            allow_unencrypted=self.allow_unencrypted.isChecked() and self._unencrypted(),
        )

    def _unencrypted(self) -> bool:
        return self.smtp_security.currentData() == SmtpSecurity.NONE.value

    def _show_unencrypted(self) -> None:
        """The opt-in and its warning only matter for a login without encryption."""
        offered = self._unencrypted() and bool(self.smtp_user.text().strip())
        self._smtp_form.setRowVisible(self.allow_unencrypted, offered)
        self._smtp_form.setRowVisible(
            self.unencrypted_warning, offered and self.allow_unencrypted.isChecked()
        )

    def _save_work(self) -> Callable[[], MessagingStatus]:
        """What Save does, captured from the fields, to run off the GUI thread."""
        keyring_ok = self._status.keyring_available if self._status else True
        twilio = (
            (self.account_sid.text(), self.sender.text(), self.auth_token.text())
            if self._twilio_entered()
            else None
        )
        smtp = (self._smtp_settings(), self.smtp_password.text()) if self._smtp_entered() else None

        def work() -> MessagingStatus:
            errors: dict[str, ServiceError] = {}
            if twilio is not None:
                try:
                    save_twilio(*twilio, keyring_ok)
                except ServiceError as exc:
                    errors["twilio"] = exc
            if smtp is not None:
                try:
                    save_smtp(*smtp, keyring_ok)
                except ServiceError as exc:
                    errors["smtp"] = exc
            if errors:
                raise SaveErrors(errors)
            return messaging_status()

        return work

    def save(self, then: Callable[[], None] | None = None) -> None:
        if self._busy:
            return
        self._clear_errors()
        self._set_busy(True)
        self.status_label.setText("Saving…")
        run_task(
            self._save_work(),
            lambda status: self._saved(status, then),
            self._save_failed,
            receiver=self,
        )

    def _saved(self, status: MessagingStatus, then: Callable[[], None] | None) -> None:
        self._set_busy(False)
        self.auth_token.clear()
        self.smtp_password.clear()
        self._status_loaded(status)
        self.status_label.setText(f"Saved. {self._summary(status)}")
        if then is not None:
            then()

    def _save_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self.status_label.setText("Not saved: correct what is marked in red.")
        if not isinstance(error, SaveErrors):
            self.status_label.setText(describe_error(error))
            return
        for section, problem in error.errors.items():
            label = self.twilio_error if section == "twilio" else self.smtp_error
            label.setText(str(problem))
            label.show()
            field = self._fields.get(getattr(problem, "field", None) or "")
            if field is not None:
                field.setFocus()

    def _clear_errors(self) -> None:
        for label in (self.twilio_error, self.smtp_error):
            label.clear()
            label.hide()

    # -- test messages ---------------------------------------------------------------

    def send_test_sms(self) -> None:
        to, service, http = self.test_sms_to.text(), self.service, self._http_client

        def send() -> TestMessageResult:
            gateway = build_sms_gateway(http_client=http) if http is not None else None
            return service.send_test_sms(to, gateway)

        self.save(then=lambda: self._send_test("SMS", send))

    def send_test_email(self) -> None:
        to, service = self.test_email_to.text(), self.service
        self.save(
            then=lambda: self._send_test(
                "e-mail", lambda: service.send_test_email(to, build_mailer())
            )
        )

    def _send_test(self, what: str, send: Callable[[], TestMessageResult]) -> None:
        self._set_busy(True)
        self._show_test(f"Sending a test {what}…", MUTED_TEXT)
        run_task(send, self._test_sent, self._test_failed, receiver=self)

    def _test_sent(self, result: TestMessageResult) -> None:
        self._set_busy(False)
        what = "SMS" if result.channel == "sms" else "e-mail"
        self._show_test(
            f"Test {what} sent to {result.recipient} (status: {result.status}, "
            f"reference {result.provider_id}).",
            OK_TEXT,
        )

    def _test_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self._show_test(describe_error(error), ERROR_TEXT)

    def _show_test(self, text: str, colour: str) -> None:
        self.test_result.setStyleSheet(f"color:{colour};font-weight:600")
        self.test_result.setText(text)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for button in (self.save_button, self.test_sms_button, self.test_email_button):
            button.setEnabled(not busy)


class SaveErrors(ServiceError):
    """Save failed for one or both sections; ``errors`` maps "twilio"/"smtp" to why."""

    def __init__(self, errors: dict[str, ServiceError]) -> None:
        super().__init__("; ".join(str(e) for e in errors.values()))
        self.errors = errors


def open_messaging_settings(
    session: UserSession, parent: QWidget | None = None
) -> MessagingSettingsDialog:
    """Show the messaging settings (window-modal); returns the dialog."""
    dialog = MessagingSettingsDialog(session, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
