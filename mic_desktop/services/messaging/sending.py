"""Sending one claimed outbox message, and recording what came of it on its lease.

Right before the provider call the row is marked in flight, and its lease is
renewed while the call lasts (:mod:`.leases`). From then on nothing sends it again
blindly: an answer that is lost, or any error, makes it ``unknown``.

An SMS goes through Twilio (:mod:`.sms`); one that may already be at Twilio
(its outcome is ``unknown``, or a lease ran out while it was in flight) is
looked up there by recipient, time window and body first, since Twilio takes no
idempotency key. An e-mail goes through SMTP (:mod:`.email`), a report e-mail with
the report's PDF; it carries the same Message-ID at every attempt. A refused
account or server returns False so the dispatcher rests that channel.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import Channel, Report, ReportStatus
from mic_desktop.services.messaging.calendar import calendar_attachment
from mic_desktop.services.messaging.email import (
    AmbiguousEmailError,
    Attachment,
    EmailConfigurationError,
    EmailError,
    PermanentEmailError,
    TemporaryEmailError,
    refuse_active_content,
)
from mic_desktop.services.messaging.leases import Claim, Leases
from mic_desktop.services.messaging.sms import (
    AmbiguousSmsError,
    PermanentSmsError,
    SmsConfigurationError,
    SmsGateway,
    TemporarySmsError,
)
from mic_desktop.services.messaging.templates import CALENDAR_KINDS

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
            if not self._leases.is_held(claim):
                return True  # its outcome is recorded (or kept to be written)
            if self._leases.is_in_flight(claim):  # the provider may have it: never resend blindly
                self._leases.record_unknown(
                    claim,
                    f"Unexpected error ({exc.__class__.__name__}) once the message had gone to "
                    "the provider; it may have been sent.",
                )
                summary.unknown += 1
                return True
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
        if self._leases.begin_send(claim) is None:
            return True  # its lease ran out and another PC took it over
        try:
            with self._leases.renewed(claim):
                result = self._sms.send(claim.recipient, claim.body)
        except SmsConfigurationError as exc:
            self._leases.release(claim, exc.reason, None)
            summary.released += 1
            return False
        except PermanentSmsError as exc:  # 21610 also opts the patient out
            self._leases.record_failed(claim, exc.reason, exc.code)
            summary.failed += 1
            return True
        except TemporarySmsError as exc:  # it did not reach Twilio
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
        except TemporaryEmailError as exc:
            summary.retried += self._leases.record_retry(claim, exc.reason, None)
            return True
        except PermanentEmailError as exc:  # e.g. a report PDF with active content
            self._leases.record_failed(claim, exc.reason, None)
            summary.failed += 1
            return True
        proposed = claim.message_id or f"<mic-outbox-{claim.id}@{_domain(self._mailer.sender)}>"
        in_flight = self._leases.begin_send(claim, proposed)
        if in_flight is None:
            return True  # its lease ran out and another PC took it over
        try:
            with self._leases.renewed(claim):
                message_id = self._mailer.send(
                    claim.recipient,
                    claim.subject,
                    claim.body,
                    attachments,
                    message_id=in_flight.message_id or proposed,
                )
        except EmailConfigurationError as exc:
            self._leases.release(claim, exc.reason, None)
            summary.released += 1
            return False
        except PermanentEmailError as exc:
            self._leases.record_failed(claim, exc.reason, None)
            summary.failed += 1
            return True
        except AmbiguousEmailError as exc:  # reception decides; never resent blindly
            self._leases.record_unknown(claim, exc.reason)
            summary.unknown += 1
            return True
        except EmailError as exc:  # temporary: it did not reach the server
            summary.retried += self._leases.record_retry(claim, exc.reason, None)
            return True
        self._leases.record_sent(claim, message_id, None, attached=bool(attachments))
        summary.sent += 1
        return True

    def _attachments(self, claim: Claim) -> list[Attachment]:
        """The report's delivered PDF for a report e-mail, as the radiologist previewed it;
        the appointment's calendar event for a booking, move or cancellation e-mail."""
        if claim.kind in CALENDAR_KINDS and claim.appointment_id is not None:
            with self._sessions.begin() as session:
                return [calendar_attachment(session, claim.appointment_id, self._clock())]
        if claim.report_id is None:
            return []
        with self._sessions.begin() as session:
            generated = _delivered_report_pdf(session, claim.report_id, self._clock())
        if generated is None:
            raise TemporaryEmailError("The report PDF is not ready yet.")
        return [generated]


def _delivered_report_pdf(session: Session, report_id: int, now: dt.datetime) -> Attachment | None:
    # reportlab and pypdf load only when a report is e-mailed.
    from mic_desktop.services.reporting.delivery import delivered_pdf

    report = session.get(Report, report_id)
    final = (ReportStatus.COMPLETED.value, ReportStatus.REVIEWED.value)
    if report is None or report.status not in final:
        return None
    delivered = delivered_pdf(session, report, now)
    attachment = Attachment(delivered.filename, delivered.content)
    refuse_active_content([attachment])
    return attachment


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "mic-desktop.invalid"
