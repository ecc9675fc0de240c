"""Sending one claimed outbox message, and recording what came of it on its lease.

An SMS goes through Twilio (:mod:`.sms`); one that may already be at Twilio
(its outcome is ``unknown``, or a lease ran out after the request was made) is
looked up there by recipient, time window and body first, since Twilio takes no
idempotency key. An e-mail goes through SMTP (:mod:`.email`), a report e-mail with
the report's PDF: the stored one, or one generated now. A refused account or
server returns False so the dispatcher rests that channel.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import Channel, ReportDocument
from mic_desktop.services.messaging.email import (
    Attachment,
    EmailConfigurationError,
    EmailError,
    PermanentEmailError,
    TemporaryEmailError,
)
from mic_desktop.services.messaging.leases import Claim, Leases
from mic_desktop.services.messaging.sms import (
    AmbiguousSmsError,
    PermanentSmsError,
    SmsConfigurationError,
    SmsGateway,
    TemporarySmsError,
)

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


class Mailer(Protocol):
    """What the dispatcher needs from an e-mail sender (see :class:`SmtpMailer`)."""

    @property
    def sender(self) -> str: ...

    def send(
        self,
        to: str,
        subject: str,
        body: str,
        attachments: Sequence[Attachment] = (),
        *,
        message_id: str | None = None,
    ) -> str: ...


@dataclass
class DispatchSummary:
    claimed: int = 0
    sent: int = 0
    found_at_provider: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    cancelled: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DispatchSummary) -> None:
        for name in (
            "claimed", "sent", "found_at_provider", "retried", "failed", "unknown",
            "cancelled", "released",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors


class MessageSender:
    """Sends one claimed message through its channel and records the outcome."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        leases: Leases,
        *,
        sms: SmsGateway | None,
        mailer: Mailer | None,
        clock: Clock,
    ) -> None:
        self._sessions = session_factory
        self._leases = leases
        self._sms = sms
        self._mailer = mailer
        self._clock = clock

    def send(self, claim: Claim, summary: DispatchSummary) -> bool:
        """Send one claimed row and record the outcome; False when its channel is down."""
        try:
            if claim.channel is Channel.SMS:
                return self._send_sms(claim, summary)
            return self._send_email(claim, summary)
        except Exception as exc:  # a bug or a database hiccup: never leave the row behind
            log.exception("Outbox message %s could not be processed", claim.id)
            summary.errors.append(f"{claim.id}: {exc.__class__.__name__}")
            self._leases.record_retry(claim, f"Unexpected error ({exc.__class__.__name__}).", None)
            summary.retried += 1
            return True

    def _send_sms(self, claim: Claim, summary: DispatchSummary) -> bool:
        assert self._sms is not None
        if claim.needs_lookup:
            since = claim.lookup_since or self._clock() - self._leases.lease
            try:
                found = self._sms.find_sent(claim.recipient, claim.body, since, self._clock())
            except SmsConfigurationError as exc:
                self._leases.release(claim, exc.reason, None)
                summary.released += 1
                return False
            except TemporarySmsError as exc:
                self._leases.record_unknown(
                    claim, f"Could not ask Twilio whether it was sent: {exc.reason}", retry=True
                )
                summary.unknown += 1
                return True
            if found is not None:
                self._leases.record_sent(claim, found.sid, found)
                summary.found_at_provider += 1
                summary.sent += 1
                return True
            if claim.stale_reason is not None:
                self._leases.record_cancelled(claim, claim.stale_reason)
                summary.cancelled += 1
                return True
            if claim.attempts > self._leases.max_attempts:
                self._leases.record_failed(
                    claim,
                    f"Gave up after {claim.attempts - 1} attempts: Twilio did not answer in "
                    "time and has no record of the message.",
                    None,
                )
                summary.failed += 1
                return True
        try:
            result = self._sms.send(claim.recipient, claim.body)
        except SmsConfigurationError as exc:
            self._leases.release(claim, exc.reason, None)
            summary.released += 1
            return False
        except PermanentSmsError as exc:  # 21610 also opts the patient out
            self._leases.record_failed(claim, exc.reason, exc.code)
            summary.failed += 1
            return True
        except TemporarySmsError as exc:
            summary.retried += self._leases.record_retry(claim, exc.reason, exc.code)
            summary.failed += 0 if claim.attempts < self._leases.max_attempts else 1
            return True
        except AmbiguousSmsError as exc:
            self._leases.record_unknown(claim, exc.reason)
            summary.unknown += 1
            return True
        self._leases.record_sent(claim, result.sid, result)
        summary.sent += 1
        return True

    def _send_email(self, claim: Claim, summary: DispatchSummary) -> bool:
        assert self._mailer is not None
        try:
            attachments = self._attachments(claim)
            message_id = self._mailer.send(
                claim.recipient,
                claim.subject,
                claim.body,
                attachments,
                message_id=f"<mic-outbox-{claim.id}@{_domain(self._mailer.sender)}>",
            )
        except EmailConfigurationError as exc:
            self._leases.release(claim, exc.reason, None)
            summary.released += 1
            return False
        except PermanentEmailError as exc:
            self._leases.record_failed(claim, exc.reason, None)
            summary.failed += 1
            return True
        except EmailError as exc:  # temporary: try again later
            summary.retried += self._leases.record_retry(claim, exc.reason, None)
            return True
        self._leases.record_sent(claim, message_id[:64], None, attached=bool(attachments))
        summary.sent += 1
        return True

    def _attachments(self, claim: Claim) -> list[Attachment]:
        """The report PDF for a report e-mail: the stored one, or one generated now."""
        if claim.report_id is None:
            return []
        with self._sessions.begin() as session:
            document = session.execute(
                select(ReportDocument.filename, ReportDocument.content).where(
                    ReportDocument.report_id == claim.report_id,
                    ReportDocument.is_current.is_(True),
                )
            ).first()
            if document is not None:
                return [Attachment(document.filename, document.content)]
            generated = _generate_report_pdf(session, claim.report_id, self._clock())
        if generated is None:
            raise TemporaryEmailError("The report PDF is not ready yet.")
        return [generated]


def _generate_report_pdf(session: Session, report_id: int, now: dt.datetime) -> Attachment | None:
    # reportlab loads only when a report is e-mailed without a stored PDF.
    from mic_desktop.services.documents.report import render_report_pdf
    from mic_desktop.services.documents.report_content import report_filename
    from mic_desktop.services.reporting.pdf_content import load_report_pdf_content

    content = load_report_pdf_content(session, report_id, generated_at=now)
    if not content.is_final:
        return None
    return Attachment(report_filename(content), render_report_pdf(content))


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "mic-desktop.invalid"
