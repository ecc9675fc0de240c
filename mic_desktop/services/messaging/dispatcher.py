"""Sending the outbox from many PCs at once, each message exactly once.

One round (:meth:`Dispatcher.dispatch_due`):

1. In one short transaction, claim due rows with ``FOR UPDATE SKIP LOCKED`` (queued
   rows whose time has come, rows whose outcome is ``unknown``, and rows whose
   lease ran out), mark them ``sending`` with a lease and this PC's name, commit.
   Rows that are no longer worth sending (the appointment moved, was cancelled or
   is too close; the patient opted out) are cancelled in the same transaction.
2. Outside any transaction, call the provider (it has a timeout).
3. Record the outcome in its own short transaction: ``sent`` with the provider's id;
   a temporary failure back to ``queued`` with exponential back-off; a permanent
   one ``failed`` with a readable reason (21610 also turns the patient's SMS off);
   a timeout after the request left ``unknown``.

Twilio takes no idempotency key, so a row that may have reached Twilio (``unknown``,
or a lease that ran out after a request was made) is looked up at Twilio by
recipient, time window and body before it is sent again. SMS wait outside the
clinic's quiet hours. After sending, :meth:`Dispatcher.poll_delivery` follows each
SMS's delivery status until it is final. On stop, rows claimed but not sent go
back to where they were: none is left in ``sending``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    OutboxMessage,
    OutboxStatus,
    Patient,
    ReportAccessAction,
    ReportAccessLog,
    ReportDocument,
)
from mic_desktop.services import audit
from mic_desktop.services.clock import utc_now
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging.email import (
    Attachment,
    EmailConfigurationError,
    EmailError,
    PermanentEmailError,
    TemporaryEmailError,
)
from mic_desktop.services.messaging.notifications import (
    APPOINTMENT_NOTICE_KINDS,
    REMINDER_KIND_PREFIX,
)
from mic_desktop.services.messaging.quiet_hours import clinic_quiet_until
from mic_desktop.services.messaging.reminders import reminder_useful_until
from mic_desktop.services.messaging.sms import (
    UNSUBSCRIBED,
    AmbiguousSmsError,
    PermanentSmsError,
    SentSms,
    SmsConfigurationError,
    SmsGateway,
    TemporarySmsError,
)

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

MAX_ATTEMPTS = 6
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=2)
LOOKUP_DELAY = dt.timedelta(minutes=1)  # before asking Twilio about an unknown outcome
CONFIGURATION_DELAY = dt.timedelta(minutes=5)
POLL_FIRST = dt.timedelta(seconds=30)
POLL_MAX_INTERVAL = dt.timedelta(hours=1)
POLL_GIVE_UP = dt.timedelta(days=3)  # some networks never report delivery
POLL_LEASE = dt.timedelta(minutes=2)
PROVIDER_TIMEOUT_SECONDS = 15.0


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


def backoff(
    attempts: int, base: dt.timedelta = BACKOFF_BASE, cap: dt.timedelta = BACKOFF_CAP
) -> dt.timedelta:
    """Delay before attempt ``attempts + 1``: base, 2x base, 4x base ... up to ``cap``."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Claim:
    """A row this dispatcher holds (status ``sending``) until it records an outcome."""

    id: int
    channel: Channel
    kind: str
    recipient: str
    subject: str
    body: str
    patient_id: int | None
    appointment_id: int | None
    report_id: int | None
    attempts: int  # including this one
    previous_status: str
    needs_lookup: bool  # it may already be at Twilio: look before sending
    lookup_since: dt.datetime | None
    stale_reason: str | None  # send nothing new (only record what a lookup finds)


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


class Dispatcher:
    """Claims, sends and records outbox messages; one per workstation (or thread)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        workstation: str,
        sms: SmsGateway | None = None,
        mailer: Mailer | None = None,
        clock: Clock = utc_now,
        batch_size: int = 10,
        lease: dt.timedelta | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base: dt.timedelta = BACKOFF_BASE,
        backoff_cap: dt.timedelta = BACKOFF_CAP,
        provider_timeout_seconds: float = PROVIDER_TIMEOUT_SECONDS,
    ) -> None:
        self._sessions = session_factory
        self.workstation = workstation[:64]
        self._sms = sms
        self._mailer = mailer
        self._clock = clock
        self._batch = batch_size
        # Long enough for a whole batch of provider calls that each time out.
        self._lease = lease or dt.timedelta(
            seconds=max(120.0, batch_size * (provider_timeout_seconds + 5) * 1.5)
        )
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._stop = threading.Event()
        # A channel whose account or server refused us rests on this PC for a while.
        self._down_until: dict[Channel, dt.datetime] = {}
        self._held: dict[int, Claim] = {}
        self._held_lock = threading.Lock()

    # --- control -----------------------------------------------------------------------

    def request_stop(self) -> None:
        """Finish the message in hand, then give the rest of the batch back."""
        self._stop.set()

    def resume(self) -> None:
        """Allow dispatching again after :meth:`request_stop` (a worker restarted)."""
        self._stop.clear()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def held_ids(self) -> list[int]:
        with self._held_lock:
            return sorted(self._held)

    # --- dispatch ----------------------------------------------------------------------

    def dispatch_due(self, max_batches: int | None = None) -> DispatchSummary:
        """Send everything due now, batch by batch, until nothing is left or stop."""
        total = DispatchSummary()
        batches = 0
        while not self._stop.is_set() and (max_batches is None or batches < max_batches):
            summary = self.dispatch_batch()
            total.add(summary)
            batches += 1
            if summary.claimed == 0:
                break
        return total

    def dispatch_batch(self) -> DispatchSummary:
        summary = DispatchSummary()
        claims = self.claim(summary)
        try:
            for claim in claims:
                if self._stop.is_set():
                    break
                if claim.channel in self._down_until:
                    continue
                if not self._process(claim, summary):
                    self._down_until[claim.channel] = self._clock() + CONFIGURATION_DELAY
        finally:
            summary.released += self.release_held()
        return summary

    def claim(self, summary: DispatchSummary | None = None) -> list[Claim]:
        """Take up to a batch of due rows for this PC (one short transaction)."""
        summary = summary if summary is not None else DispatchSummary()
        now = self._clock()
        claims: list[Claim] = []
        cancelled = 0
        with self._sessions.begin() as session:
            channels = self._channels_open(session, now)
            if not channels:
                return []
            rows = session.execute(
                select(
                    OutboxMessage,
                    Appointment.status,
                    Appointment.start_at,
                    Patient.sms_opt_in,
                    Patient.email_opt_in,
                )
                .outerjoin(Appointment, Appointment.id == OutboxMessage.appointment_id)
                .outerjoin(Patient, Patient.id == OutboxMessage.patient_id)
                .where(
                    OutboxMessage.channel.in_([channel.value for channel in channels]),
                    or_(
                        and_(
                            OutboxMessage.status.in_(
                                (OutboxStatus.QUEUED.value, OutboxStatus.UNKNOWN.value)
                            ),
                            OutboxMessage.due_at <= now,
                        ),
                        and_(
                            OutboxMessage.status == OutboxStatus.SENDING.value,
                            OutboxMessage.lease_expires_at <= now,
                        ),
                    ),
                )
                .order_by(OutboxMessage.due_at, OutboxMessage.id)
                .limit(self._batch)
                .with_for_update(of=OutboxMessage, skip_locked=True)
            ).all()
            for row, appointment_status, start_at, sms_opt_in, email_opt_in in rows:
                channel = Channel(row.channel)
                stale = _stale_reason(
                    row, appointment_status, start_at, sms_opt_in, email_opt_in, now
                )
                needs_lookup = channel is Channel.SMS and (
                    row.status == OutboxStatus.UNKNOWN.value
                    or (
                        row.status == OutboxStatus.SENDING.value and row.last_attempt_at is not None
                    )
                )
                if stale is not None and not needs_lookup:
                    row.status = OutboxStatus.CANCELLED.value
                    row.last_error = stale
                    row.lease_expires_at = row.claimed_by = None
                    cancelled += 1
                    notify(session, LiveChannel.OUTBOX, row.appointment_id or 0)
                    continue
                claim = Claim(
                    id=row.id,
                    channel=channel,
                    kind=row.kind,
                    recipient=row.recipient,
                    subject=row.subject,
                    body=row.body,
                    patient_id=row.patient_id,
                    appointment_id=row.appointment_id,
                    report_id=row.report_id,
                    attempts=row.attempts + 1,
                    previous_status=(
                        OutboxStatus.UNKNOWN.value if needs_lookup else OutboxStatus.QUEUED.value
                    ),
                    needs_lookup=needs_lookup,
                    lookup_since=row.last_attempt_at,
                    stale_reason=stale,
                )
                row.status = OutboxStatus.SENDING.value
                row.lease_expires_at = now + self._lease
                row.claimed_by = self.workstation
                row.attempts = claim.attempts
                if not needs_lookup:
                    row.last_attempt_at = now
                claims.append(claim)
        with self._held_lock:
            self._held.update({claim.id: claim for claim in claims})
        summary.claimed += len(claims) + cancelled
        summary.cancelled += cancelled
        return claims

    def _resting(self, channel: Channel, now: dt.datetime) -> bool:
        until = self._down_until.get(channel)
        if until is not None and now >= until:
            self._down_until.pop(channel, None)
            return False
        return until is not None

    def _channels_open(self, session: Session, now: dt.datetime) -> list[Channel]:
        channels = []
        if (
            self._sms is not None
            and not self._resting(Channel.SMS, now)
            and clinic_quiet_until(session, now) is None
        ):
            channels.append(Channel.SMS)
        if self._mailer is not None and not self._resting(Channel.EMAIL, now):
            channels.append(Channel.EMAIL)
        return channels

    def channel_problem(self, channel: Channel) -> dt.datetime | None:
        """Until when this PC rests a channel whose credentials were refused, or None."""
        return self._down_until.get(channel)

    def _process(self, claim: Claim, summary: DispatchSummary) -> bool:
        """Send one claimed row and record the outcome; False when its channel is down."""
        try:
            if claim.channel is Channel.SMS:
                return self._process_sms(claim, summary)
            return self._process_email(claim, summary)
        except Exception as exc:  # a bug or a database hiccup: never leave the row behind
            log.exception("Outbox message %s could not be processed", claim.id)
            summary.errors.append(f"{claim.id}: {exc.__class__.__name__}")
            self._record_retry(claim, f"Unexpected error ({exc.__class__.__name__}).", None)
            summary.retried += 1
            return True

    def _process_sms(self, claim: Claim, summary: DispatchSummary) -> bool:
        assert self._sms is not None
        if claim.needs_lookup:
            since = claim.lookup_since or self._clock() - self._lease
            try:
                found = self._sms.find_sent(claim.recipient, claim.body, since, self._clock())
            except SmsConfigurationError as exc:
                self._release(claim, exc.reason, None)
                summary.released += 1
                return False
            except TemporarySmsError as exc:
                self._record_unknown(
                    claim, f"Could not ask Twilio whether it was sent: {exc.reason}", retry=True
                )
                summary.unknown += 1
                return True
            if found is not None:
                self._record_sent(claim, found.sid, found)
                summary.found_at_provider += 1
                summary.sent += 1
                return True
            if claim.stale_reason is not None:
                self._record_cancelled(claim, claim.stale_reason)
                summary.cancelled += 1
                return True
            if claim.attempts > self._max_attempts:
                self._record_failed(
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
            self._release(claim, exc.reason, None)
            summary.released += 1
            return False
        except PermanentSmsError as exc:
            self._record_failed(claim, exc.reason, exc.code)  # 21610 also opts the patient out
            summary.failed += 1
            return True
        except TemporarySmsError as exc:
            summary.retried += self._record_retry(claim, exc.reason, exc.code)
            summary.failed += 0 if claim.attempts < self._max_attempts else 1
            return True
        except AmbiguousSmsError as exc:
            self._record_unknown(claim, exc.reason)
            summary.unknown += 1
            return True
        self._record_sent(claim, result.sid, result)
        summary.sent += 1
        return True

    def _process_email(self, claim: Claim, summary: DispatchSummary) -> bool:
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
            self._release(claim, exc.reason, None)
            summary.released += 1
            return False
        except PermanentEmailError as exc:
            self._record_failed(claim, exc.reason, None)
            summary.failed += 1
            return True
        except EmailError as exc:  # temporary: try again later
            summary.retried += self._record_retry(claim, exc.reason, None)
            return True
        self._record_sent(claim, message_id[:64], None, attached=bool(attachments))
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

    # --- recording outcomes ------------------------------------------------------------

    def _mine(self, claim: Claim) -> ColumnElement[bool]:
        return and_(
            OutboxMessage.id == claim.id,
            OutboxMessage.status == OutboxStatus.SENDING.value,
            OutboxMessage.claimed_by == self.workstation,
        )

    def _done(self, claim: Claim) -> None:
        with self._held_lock:
            self._held.pop(claim.id, None)

    def _record(
        self,
        claim: Claim,
        condition: ColumnElement[bool],
        values: dict[str, object],
        *,
        attached: bool = False,
    ) -> bool:
        """Write an outcome in its own short transaction; False when the row moved on."""
        try:
            with self._sessions.begin() as session:
                updated = session.execute(
                    update(OutboxMessage)
                    .where(condition)
                    .values(**values)
                    .returning(OutboxMessage.appointment_id)
                ).first()
                if updated is None:
                    return False
                notify(session, LiveChannel.OUTBOX, updated.appointment_id or 0)
                if values.get("error_code") == str(UNSUBSCRIBED) and claim.patient_id is not None:
                    _turn_sms_off(session, claim.patient_id, self.workstation)
                if attached and claim.report_id is not None:
                    session.add(
                        ReportAccessLog(
                            report_id=claim.report_id,
                            staff_id=None,
                            action=ReportAccessAction.EXPORT.value,
                            detail=f"e-mailed to {claim.recipient} ({claim.kind})",
                            workstation=self.workstation,
                        )
                    )
                return True
        finally:
            self._done(claim)

    def _record_sent(
        self, claim: Claim, provider_id: str, sms: SentSms | None, *, attached: bool = False
    ) -> None:
        now = self._clock()
        values: dict[str, object] = {
            "status": OutboxStatus.SENT.value,
            "provider_message_id": provider_id,
            "sent_at": now,
            "lease_expires_at": None,
            "claimed_by": None,
            "last_error": None,
            "error_code": None,
        }
        if sms is not None:
            values["delivery_status"] = sms.status
            values["delivery_updated_at"] = now
            values["next_poll_at"] = None if sms.is_final else now + POLL_FIRST
        # Whoever holds the row now, this outcome is the truth (a lookup would find it).
        condition = and_(
            OutboxMessage.id == claim.id,
            OutboxMessage.status.in_((OutboxStatus.SENDING.value, OutboxStatus.UNKNOWN.value)),
        )
        if not self._record(claim, condition, values, attached=attached):
            log.warning("Outbox message %s was sent but had been taken over", claim.id)

    def _record_failed(self, claim: Claim, reason: str, code: int | None) -> None:
        self._record(
            claim,
            self._mine(claim),
            {
                "status": OutboxStatus.FAILED.value,
                "last_error": reason,
                "error_code": str(code) if code is not None else None,
                "lease_expires_at": None,
                "claimed_by": None,
            },
        )

    def _record_retry(self, claim: Claim, reason: str, code: int | None) -> int:
        """Back to the queue after a back-off, or failed once the attempts are used up."""
        if claim.attempts >= self._max_attempts:
            self._record_failed(
                claim, f"Gave up after {claim.attempts} attempts. Last error: {reason}", code
            )
            return 0
        delay = backoff(claim.attempts, self._backoff_base, self._backoff_cap)
        self._record(
            claim,
            self._mine(claim),
            {
                "status": OutboxStatus.QUEUED.value,
                "due_at": self._clock() + delay,
                "last_error": reason,
                "error_code": str(code) if code is not None else None,
                "lease_expires_at": None,
                "claimed_by": None,
            },
        )
        return 1

    def _record_unknown(self, claim: Claim, reason: str, *, retry: bool = False) -> None:
        if retry and claim.attempts >= self._max_attempts:
            self._record_failed(
                claim,
                "Twilio could not be asked whether this message went out; check the "
                f"patient's phone before sending it again. ({reason})",
                None,
            )
            return
        delay = (
            backoff(claim.attempts, self._backoff_base, self._backoff_cap)
            if retry
            else LOOKUP_DELAY
        )
        self._record(
            claim,
            self._mine(claim),
            {
                "status": OutboxStatus.UNKNOWN.value,
                "due_at": self._clock() + delay,
                "last_error": reason,
                "lease_expires_at": None,
                "claimed_by": None,
            },
        )

    def _record_cancelled(self, claim: Claim, reason: str) -> None:
        self._record(
            claim,
            self._mine(claim),
            {
                "status": OutboxStatus.CANCELLED.value,
                "last_error": reason,
                "lease_expires_at": None,
                "claimed_by": None,
            },
        )

    def _release(self, claim: Claim, reason: str | None, delay: dt.timedelta | None) -> None:
        """Give a claimed row back untouched (the attempt does not count)."""
        values: dict[str, object] = {
            "status": claim.previous_status,
            "attempts": claim.attempts - 1,
            "lease_expires_at": None,
            "claimed_by": None,
        }
        if reason is not None:
            values["last_error"] = reason
        if delay is not None:
            values["due_at"] = self._clock() + delay
        self._record(claim, self._mine(claim), values)

    def release_held(self) -> int:
        """Give back every row this dispatcher claimed and has not finished."""
        with self._held_lock:
            held = list(self._held.values())
        for claim in held:
            self._release(claim, None, None)
        return len(held)

    # --- delivery status ---------------------------------------------------------------

    def poll_delivery(self, max_batches: int | None = None) -> int:
        """Ask Twilio about sent SMS whose delivery status is not final; returns how many."""
        if self._sms is None or self._resting(Channel.SMS, self._clock()):
            return 0
        polled = 0
        batches = 0
        while not self._stop.is_set() and (max_batches is None or batches < max_batches):
            batches += 1
            now = self._clock()
            with self._sessions.begin() as session:
                rows = session.execute(
                    select(OutboxMessage.id, OutboxMessage.provider_message_id)
                    .where(
                        OutboxMessage.next_poll_at <= now,
                        OutboxMessage.status == OutboxStatus.SENT.value,
                        OutboxMessage.channel == Channel.SMS.value,
                        OutboxMessage.provider_message_id.is_not(None),
                    )
                    .order_by(OutboxMessage.next_poll_at)
                    .limit(self._batch)
                    .with_for_update(skip_locked=True)
                ).all()
                if rows:
                    session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id.in_([row.id for row in rows]))
                        .values(next_poll_at=now + POLL_LEASE)
                    )
            if not rows:
                break
            for row in rows:
                if self._stop.is_set():
                    break
                try:
                    report = self._sms.fetch(row.provider_message_id)
                except SmsConfigurationError:
                    self._down_until[Channel.SMS] = self._clock() + CONFIGURATION_DELAY
                    return polled
                except TemporarySmsError:
                    continue  # asked again when the poll lease runs out
                self._record_delivery(row.id, report)
                polled += 1
        return polled

    def _record_delivery(self, message_id: int, report: SentSms) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.get(OutboxMessage, message_id, with_for_update=True)
            if row is None or row.status != OutboxStatus.SENT.value:
                return
            changed = row.delivery_status != report.status
            row.delivery_status = report.status
            row.delivery_updated_at = now
            if report.error_code is not None:
                row.error_code = str(report.error_code)
                row.last_error = report.error_reason
            age = now - (row.sent_at or now)
            if report.is_final or age >= POLL_GIVE_UP:
                row.next_poll_at = None
            else:
                interval = min(POLL_MAX_INTERVAL, max(POLL_FIRST, age / 4))
                row.next_poll_at = now + interval
            if changed:
                notify(session, LiveChannel.OUTBOX, row.appointment_id or 0)


def _stale_reason(
    row: OutboxMessage,
    appointment_status: str | None,
    start_at: dt.datetime | None,
    sms_opt_in: bool | None,
    email_opt_in: bool | None,
    now: dt.datetime,
) -> str | None:
    """Why a claimed row should not be sent any more, or None."""
    if row.patient_id is not None and row.kind != "report_ready_doctor":
        if row.channel == Channel.SMS.value and sms_opt_in is False:
            return "the patient opted out of SMS"
        if row.channel == Channel.EMAIL.value and email_opt_in is False:
            return "the patient opted out of e-mail"
    is_reminder = row.kind.startswith(REMINDER_KIND_PREFIX)
    if row.appointment_id is None or not (is_reminder or row.kind in APPOINTMENT_NOTICE_KINDS):
        return None
    if appointment_status in (AppointmentStatus.CANCELLED.value, AppointmentStatus.NO_SHOW.value):
        return "appointment cancelled"
    if row.appointment_start_at is not None and start_at != row.appointment_start_at:
        return "appointment moved"
    if is_reminder:
        if appointment_status not in (
            AppointmentStatus.PENDING.value,
            AppointmentStatus.CONFIRMED.value,
        ):
            return "the patient has already arrived"
        hours = int(row.kind[len(REMINDER_KIND_PREFIX) :].removesuffix("h") or 24)
        if start_at is not None and now >= reminder_useful_until(start_at, hours):
            return "too late for this reminder"
    return None


def _turn_sms_off(session: Session, patient_id: int, workstation: str) -> None:
    """Twilio says the patient unsubscribed (21610): record it on the patient."""
    changed = session.execute(
        update(Patient)
        .where(Patient.id == patient_id, Patient.sms_opt_in.is_(True))
        .values(sms_opt_in=False, version=Patient.version + 1)
        .returning(Patient.id)
    ).first()
    if changed is None:
        return
    audit.record(
        session,
        "patient_sms_opt_out",
        entity="patient",
        entity_id=patient_id,
        details={"reason": "Twilio 21610: the patient unsubscribed (replied STOP)"},
        workstation=workstation,
    )
    notify(session, LiveChannel.PATIENT, patient_id)


def _generate_report_pdf(session: Session, report_id: int, now: dt.datetime) -> Attachment | None:
    try:
        from mic_desktop.services import report_pdf
    except ImportError:
        return None
    content = report_pdf.load_report_pdf_content(session, report_id, generated_at=now)
    if not content.is_final:
        return None
    return Attachment(report_pdf.report_filename(content), report_pdf.render_report_pdf(content))


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "mic-desktop.invalid"
