"""E-mail through the clinic's SMTP server (``smtplib``), with STARTTLS or implicit TLS.

Failures are sorted like SMS ones: :class:`TemporaryEmailError` (server unreachable,
4xx answers: retry later), :class:`PermanentEmailError` (5xx refusal of this
message or address), :class:`EmailConfigurationError` (login, sender or TLS
refused: no message is at fault) and :class:`AmbiguousEmailError`: the connection
broke once the message was being handed over (``DATA``), so the server may have
it. SMTP has no lookup, so an e-mail in doubt is never sent again automatically;
reception decides, and a copy carries the same Message-ID (made from its outbox
row) so the recipient's mail program can tell the copies are one message. Once
the server has accepted a message, a failure while saying goodbye (``QUIT``)
changes nothing.
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


class ActiveContentEmailError(PermanentEmailError):
    """A PDF to attach holds JavaScript, a launch action, embedded files...: never sent."""


def refuse_active_content(attachments: Sequence[Attachment]) -> None:
    """Raise :class:`ActiveContentEmailError` when a PDF to attach has active content."""
    # pypdf loads only when a PDF is about to be e-mailed.
    from mic_desktop.services.documents.pdf_active_content import active_content_in, describe

    for attachment in attachments:
        if attachment.mime_type != "application/pdf" and not attachment.content.startswith(
            b"%PDF-"
        ):
            continue
        try:
            kinds = active_content_in(attachment.content)
        except Exception as exc:  # pypdf raises many types on a malformed file
            raise ActiveContentEmailError(
                f"{attachment.filename} cannot be read as a PDF, so it was not e-mailed."
            ) from exc
        if kinds:
            raise ActiveContentEmailError(
                f"{attachment.filename} contains {describe(kinds)}; a PDF with active content "
                "is never e-mailed to patients or doctors."
            )


class AmbiguousEmailError(EmailError):
    """The server may have accepted the message: never resend it without asking."""


class _Handover:
    """Remembers whether the message itself has begun to go to the server (``DATA``)."""

    handing_over = False

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        self.handing_over = True
        return super().data(msg)  # type: ignore[misc]


class _SMTP(_Handover, smtplib.SMTP):
    pass


class _SMTPSSL(_Handover, smtplib.SMTP_SSL):
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
        """Send and return the Message-ID; a PDF with active content is refused unsent."""
        if self.settings.login_unencrypted and not self.settings.allow_unencrypted:
            raise EmailConfigurationError(
                "The mail server is set up to log in without encryption, which was not "
                "allowed: choose STARTTLS or TLS in the messaging settings."
            )
        refuse_active_content(attachments)
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
        smtp: _SMTP | _SMTPSSL | None = None
        try:
            smtp = self._connect()
            if self.settings.user and self._password:
                smtp.login(self.settings.user, self._password)
            smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
            handing_over = smtp is not None and smtp.handing_over
            raise self._sorted(exc, to, handing_over=handing_over) from exc
        finally:
            if smtp is not None:
                _close(smtp)
        return str(message["Message-ID"])

    def _sorted(self, exc: Exception, to: str, *, handing_over: bool) -> EmailError:
        """What a failure means for the message (see the module's docstring)."""
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return EmailConfigurationError("The mail server refused the user name or password.")
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return EmailConfigurationError(
                f"The mail server refused the sender address {self.sender}."
            )
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(400 <= code < 500 for code in codes):
                return TemporaryEmailError(f"The mail server cannot take mail for {to} now.")
            return PermanentEmailError(f"The mail server refused the address {to}.")
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            if "AUTH" in str(exc):
                return EmailConfigurationError(
                    "The mail server does not accept a login here; check the security "
                    "setting or leave the user name empty."
                )
            return EmailConfigurationError(
                "The mail server does not offer STARTTLS; choose another security setting."
            )
        if isinstance(exc, smtplib.SMTPResponseException):  # the server answered: a refusal
            text = _text(exc.smtp_error)
            if 400 <= exc.smtp_code < 500:
                return TemporaryEmailError(f"The mail server said: {text}")
            return PermanentEmailError(f"The mail server refused the message: {text}")
        if handing_over:
            return AmbiguousEmailError(
                "The connection to the mail server broke while the message was being "
                f"handed over ({exc.__class__.__name__}); it may have been sent."
            )
        if isinstance(exc, ssl.SSLError):
            return EmailConfigurationError(
                "A secure connection to the mail server could not be made "
                f"({exc.__class__.__name__})."
            )
        return TemporaryEmailError(
            f"The mail server {self.settings.host}:{self.settings.port} could not be "
            f"reached ({exc.__class__.__name__})."
        )

    def _connect(self) -> _SMTP | _SMTPSSL:
        settings = self.settings
        if settings.security is SmtpSecurity.TLS:
            return _SMTPSSL(
                settings.host,
                settings.port,
                timeout=settings.timeout_seconds,
                context=self._context,
            )
        smtp = _SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        try:
            if settings.security is SmtpSecurity.STARTTLS:
                smtp.ehlo()
                smtp.starttls(context=self._context)
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp


def _close(smtp: smtplib.SMTP) -> None:
    """Say goodbye; the message's fate was settled before, so no failure here counts."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "mic-desktop.invalid"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
