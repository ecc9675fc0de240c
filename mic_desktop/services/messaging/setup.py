"""Twilio and SMTP credentials, the senders built from them, and "Send a test message".

The account SID, sender number and SMTP server are in the settings file; the auth
token and SMTP password are in the OS keyring (``twilio:<account sid>``,
``smtp:<user>@<host>``), never in the settings file, the database or a log line.
Without a safe keyring the settings dialog may keep a secret in memory for this
run only (:func:`use_secret_for_this_run`); the command line refuses instead.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from twilio.http import HttpClient

from mic_desktop.config import Settings, SmtpSettings, TwilioSettings
from mic_desktop.log_redaction import register_secret
from mic_desktop.models import ClinicSettings, Role
from mic_desktop.secrets import backend_description, get_secret, keyring_available, set_secret
from mic_desktop.services import audit
from mic_desktop.services.base import ClinicService
from mic_desktop.services.errors import PermissionDeniedError, ServiceError, ValidationError
from mic_desktop.services.messaging.email import EmailError, SmtpMailer
from mic_desktop.services.messaging.outbox import E164, EMAIL
from mic_desktop.services.messaging.sms import (
    DEFAULT_TIMEOUT_SECONDS,
    SmsError,
    SmsGateway,
    TwilioSms,
)

Clock = Callable[[], dt.datetime]

ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")

_memory_lock = threading.Lock()
_memory: dict[str, str] = {}


class CredentialsError(ServiceError):
    """A credential cannot be stored or is missing; the message says what to do."""


class TestMessageError(ServiceError):
    """The provider refused the test message; the message gives its reason."""

    __test__ = False  # not a pytest class


def use_secret_for_this_run(key: str, value: str) -> None:
    """Keep a secret in memory only (no safe keyring on this PC)."""
    register_secret(value)
    with _memory_lock:
        _memory[key] = value


def forget_secrets_for_this_run() -> None:
    with _memory_lock:
        _memory.clear()


def _secret(key: str) -> str | None:
    value = get_secret(key)
    if value is None:
        with _memory_lock:
            value = _memory.get(key)
    register_secret(value)
    return value


def _store_secret(key: str, value: str) -> None:
    if not keyring_available():
        raise CredentialsError(
            f"No secure OS keyring is available on this PC ({backend_description()}), so "
            "nothing was stored. Install or unlock the system keyring (Windows Credential "
            "Manager, macOS Keychain, GNOME Keyring or KWallet) and try again."
        )
    register_secret(value)
    if not set_secret(key, value):
        raise CredentialsError("The OS keyring refused to store the secret.")


# --- storing ---------------------------------------------------------------------------


def check_twilio(account_sid: str, from_number: str) -> TwilioSettings:
    account_sid, from_number = account_sid.strip(), from_number.strip()
    if not ACCOUNT_SID.match(account_sid):
        raise ValidationError(
            "A Twilio account SID is AC followed by 32 letters and digits.", "account_sid"
        )
    if not (E164.match(from_number) or ALPHANUMERIC_SENDER.match(from_number)):
        raise ValidationError(
            "The sender is a Twilio number in international form (e.g. +15017122661) "
            "or a sender name of up to 11 letters and digits.",
            "from_number",
        )
    return TwilioSettings(account_sid, from_number)


class UnencryptedLoginError(ValidationError):
    """A login over a connection without TLS, and the manager did not allow it."""

    def __init__(self) -> None:
        super().__init__(
            "With no encryption the user name and password would cross the network "
            "readable by anyone on it. Choose STARTTLS or TLS, leave the user name empty "
            "for a relay without login, or tick “Allow unencrypted login”.",
            "allow_unencrypted",
        )


def check_smtp(smtp: SmtpSettings) -> SmtpSettings:
    if not smtp.host.strip():
        raise ValidationError("Enter the mail server's name.", "host")
    if not 0 < smtp.port < 65536:
        raise ValidationError("The port is a number from 1 to 65535.", "port")
    if not EMAIL.match(smtp.from_address or smtp.user):
        raise ValidationError("Enter the address the clinic's e-mail comes from.", "from_address")
    if smtp.timeout_seconds <= 0:
        raise ValidationError("The timeout must be more than 0 seconds.", "timeout_seconds")
    if smtp.login_unencrypted and not smtp.allow_unencrypted:
        raise UnencryptedLoginError()
    return smtp


def save_twilio_credentials(
    account_sid: str,
    from_number: str,
    auth_token: str | None,
    *,
    settings_file: Path | None = None,
) -> TwilioSettings:
    """Account SID and sender to the settings file; the auth token to the keyring."""
    twilio = check_twilio(account_sid, from_number)
    if auth_token:
        _store_secret(twilio.secret_key, auth_token)
    elif _secret(twilio.secret_key) is None:
        raise CredentialsError(f"No auth token is stored for {twilio.account_sid}; enter it.")
    settings = Settings.load(settings_file)
    settings.twilio = twilio
    settings.save(settings_file)
    return twilio


def save_smtp_credentials(
    smtp: SmtpSettings, password: str | None, *, settings_file: Path | None = None
) -> SmtpSettings:
    """Server, user and sender to the settings file; the password to the keyring."""
    smtp = check_smtp(smtp)
    if password:
        if not smtp.user:
            raise ValidationError("A password needs a user name.", "user")
        _store_secret(smtp.secret_key, password)
    settings = Settings.load(settings_file)
    settings.smtp = smtp
    settings.save(settings_file)
    return smtp


# --- what is configured, and the senders -------------------------------------------------


@dataclass(frozen=True)
class MessagingStatus:
    """What the settings dialog and ``credentials show`` report (never a secret)."""

    twilio: TwilioSettings | None
    twilio_secret_stored: bool
    smtp: SmtpSettings | None
    smtp_secret_stored: bool
    keyring_available: bool

    @property
    def sms_ready(self) -> bool:
        return self.twilio is not None and self.twilio_secret_stored

    @property
    def email_ready(self) -> bool:
        if self.smtp is None or (self.smtp.login_unencrypted and not self.smtp.allow_unencrypted):
            return False  # e.g. set up before the opt-in existed: the sender would refuse
        return self.smtp_secret_stored or not self.smtp.user


def messaging_status(settings: Settings | None = None) -> MessagingStatus:
    settings = settings if settings is not None else Settings.load()
    twilio, smtp = settings.twilio, settings.smtp
    return MessagingStatus(
        twilio=twilio,
        twilio_secret_stored=twilio is not None and _secret(twilio.secret_key) is not None,
        smtp=smtp,
        smtp_secret_stored=smtp is not None
        and bool(smtp.user)
        and _secret(smtp.secret_key) is not None,
        keyring_available=keyring_available(),
    )


def build_sms_gateway(
    settings: Settings | None = None,
    *,
    http_client: HttpClient | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> TwilioSms | None:
    """The Twilio sender, or None when the account or its token is missing."""
    settings = settings if settings is not None else Settings.load()
    twilio = settings.twilio
    if twilio is None:
        return None
    token = _secret(twilio.secret_key)
    if not token:
        return None
    return TwilioSms(
        twilio.account_sid, token, twilio.from_number, http_client=http_client, timeout=timeout
    )


def build_mailer(settings: Settings | None = None) -> SmtpMailer | None:
    """The SMTP sender, or None when no server (or its password) is set up."""
    settings = settings if settings is not None else Settings.load()
    smtp = settings.smtp
    if smtp is None:
        return None
    password = _secret(smtp.secret_key) if smtp.user else None
    if smtp.user and not password:
        return None
    return SmtpMailer(smtp, password)


# --- "Send a test message" ---------------------------------------------------------------


@dataclass(frozen=True)
class TestMessageResult:
    __test__ = False  # not a pytest class

    channel: str
    recipient: str
    provider_id: str
    status: str


class MessagingSetupService(ClinicService):
    """The settings dialog's "Send a test message" (manager, or the command line)."""

    def send_test_sms(self, to: str, sms: SmsGateway | None = None) -> TestMessageResult:
        """Send one SMS now, straight to Twilio (not through the outbox)."""
        self._require_manager()
        to = to.strip()
        if not E164.match(to):
            raise ValidationError(
                "Enter the number in international form (+ and country code).", "to"
            )
        sms = sms or build_sms_gateway()
        if sms is None:
            raise CredentialsError(
                "SMS is not set up: enter the Twilio account SID, sender and auth token."
            )
        body = self._text("SMS")
        try:
            sent = sms.send(to, body)
        except SmsError as exc:
            self._audit("sms", to, ok=False, detail=exc.reason)
            raise TestMessageError(f"The test SMS was not sent: {exc.reason}") from exc
        self._audit("sms", to, ok=True, detail=sent.sid)
        return TestMessageResult("sms", to, sent.sid, sent.status)

    def send_test_email(self, to: str, mailer: SmtpMailer | None = None) -> TestMessageResult:
        """Send one e-mail now through the SMTP server (not through the outbox)."""
        self._require_manager()
        to = to.strip()
        if not EMAIL.match(to):
            raise ValidationError("Enter an e-mail address.", "to")
        mailer = mailer or build_mailer()
        if mailer is None:
            raise CredentialsError(
                "E-mail is not set up: enter the mail server, user, sender and password."
            )
        try:
            message_id = mailer.send(to, "MIC Desktop test message", self._text("e-mail"))
        except EmailError as exc:
            self._audit("email", to, ok=False, detail=exc.reason)
            raise TestMessageError(f"The test e-mail was not sent: {exc.reason}") from exc
        self._audit("email", to, ok=True, detail=message_id)
        return TestMessageResult("email", to, message_id, "sent")

    def _text(self, what: str) -> str:
        with self._sessions.begin() as session:
            clinic = session.get(ClinicSettings, 1)
            name = clinic.name if clinic is not None else "MIC Desktop"
            zone = ZoneInfo(clinic.time_zone if clinic is not None else "UTC")
        when = self._clock().astimezone(zone).strftime("%a %d %b %Y %H:%M")
        who = f" by {self._actor.full_name}" if self._actor is not None else ""
        return f"Test {what} from {name} (MIC Desktop), sent{who} on {when}. No reply needed."

    def _audit(self, channel: str, to: str, *, ok: bool, detail: str) -> None:
        with self._sessions.begin() as session:
            audit.record(
                session,
                "test_message_sent" if ok else "test_message_failed",
                staff_id=self._actor.id if self._actor else None,
                username=self._actor.username if self._actor else None,
                entity="messaging",
                details={"channel": channel, "to": to, "result": detail},
                workstation=self._workstation,
            )

    def _require_manager(self) -> None:
        if self._actor is not None and self._actor.role is not Role.MANAGER:
            raise PermissionDeniedError("Only a manager may send test messages.")
