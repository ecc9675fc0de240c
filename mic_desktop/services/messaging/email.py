"""E-mail through the clinic's SMTP server (``smtplib``), with STARTTLS or implicit TLS.

Failures are sorted like SMS ones: :class:`TemporaryEmailError` (server unreachable,
4xx answers: retry later), :class:`PermanentEmailError` (5xx refusal of this
message or address) and :class:`EmailConfigurationError` (login, sender or TLS
refused: no message is at fault). SMTP has no lookup, so a message whose answer
was lost may arrive twice; it carries a Message-ID made from its outbox row, so
the doctor's mail program can tell the copies are one message.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from mic_desktop.config import SmtpSecurity, SmtpSettings
from mic_desktop.log_redaction import register_secret


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


class EmailError(Exception):
    """An e-mail could not be sent; ``reason`` is readable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryEmailError(EmailError):
    pass


class PermanentEmailError(EmailError):
    pass


class EmailConfigurationError(EmailError):
    pass


class SmtpMailer:
    """Sends one message per connection (the outbox sends few, and they are spread out)."""

    def __init__(
        self,
        settings: SmtpSettings,
        password: str | None,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        register_secret(password)
        self.settings = settings
        self._password = password
        self._context = ssl_context or ssl.create_default_context()

    @property
    def sender(self) -> str:
        return self.settings.from_address or self.settings.user

    def send(
        self,
        to: str,
        subject: str,
        body: str,
        attachments: Sequence[Attachment] = (),
        *,
        message_id: str | None = None,
    ) -> str:
        """Send and return the Message-ID."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = message_id or make_msgid(domain=_domain(self.sender))
        message.set_content(body)
        for attachment in attachments:
            main, _, sub = attachment.mime_type.partition("/")
            message.add_attachment(
                attachment.content, maintype=main, subtype=sub, filename=attachment.filename
            )
        try:
            with self._connect() as smtp:
                if self.settings.user and self._password:
                    smtp.login(self.settings.user, self._password)
                smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise EmailConfigurationError(
                "The mail server refused the user name or password."
            ) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise EmailConfigurationError(
                f"The mail server refused the sender address {self.sender}."
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(400 <= code < 500 for code in codes):
                raise TemporaryEmailError(
                    f"The mail server cannot take mail for {to} now."
                ) from exc
            raise PermanentEmailError(f"The mail server refused the address {to}.") from exc
        except smtplib.SMTPNotSupportedError as exc:
            if "AUTH" in str(exc):
                raise EmailConfigurationError(
                    "The mail server does not accept a login here; check the security "
                    "setting or leave the user name empty."
                ) from exc
            raise EmailConfigurationError(
                "The mail server does not offer STARTTLS; choose another security setting."
            ) from exc
        except smtplib.SMTPResponseException as exc:
            text = _text(exc.smtp_error)
            if 400 <= exc.smtp_code < 500:
                raise TemporaryEmailError(f"The mail server said: {text}") from exc
            raise PermanentEmailError(f"The mail server refused the message: {text}") from exc
        except ssl.SSLError as exc:
            raise EmailConfigurationError(
                "A secure connection to the mail server could not be made "
                f"({exc.__class__.__name__})."
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryEmailError(
                f"The mail server {self.settings.host}:{self.settings.port} could not be "
                f"reached ({exc.__class__.__name__})."
            ) from exc
        return str(message["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        if settings.security is SmtpSecurity.TLS:
            return smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=settings.timeout_seconds,
                context=self._context,
            )
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        try:
            if settings.security is SmtpSecurity.STARTTLS:
                smtp.ehlo()
                smtp.starttls(context=self._context)
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "mic-desktop.invalid"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
