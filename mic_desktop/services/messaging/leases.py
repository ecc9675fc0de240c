"""The lease on an outbox row: claiming due rows for one PC, and recording what became of each.

:meth:`Leases.claim` takes due rows with ``FOR UPDATE SKIP LOCKED`` (queued rows
whose time has come, rows whose outcome is ``unknown``, and rows whose lease ran
out) and marks them ``sending`` with a lease and this PC's name; rows no longer
worth sending (the appointment moved, was cancelled or is too close; the patient
opted out) are cancelled instead. Each outcome is then written in its own short
transaction: ``sent`` with the provider's id; a temporary failure back to
``queued`` with exponential back-off; a permanent one ``failed`` (21610 also turns
the patient's SMS off); a timeout after the request left ``unknown``. A row
claimed but not sent is given back as it was (:meth:`Leases.release_held`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
)
from mic_desktop.services import audit
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging.delivery import POLL_FIRST
from mic_desktop.services.messaging.reminders import reminder_useful_until
from mic_desktop.services.messaging.sms import UNSUBSCRIBED, SentSms
from mic_desktop.services.messaging.templates import (
    APPOINTMENT_NOTICE_KINDS,
    REMINDER_KIND_PREFIX,
)

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

MAX_ATTEMPTS = 6
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=2)
LOOKUP_DELAY = dt.timedelta(minutes=1)  # before asking Twilio about an unknown outcome


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


class Leases:
    """The outbox rows one dispatcher holds: claimed with a lease, given back with an outcome."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        workstation: str,
        clock: Clock,
        lease: dt.timedelta,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base: dt.timedelta = BACKOFF_BASE,
        backoff_cap: dt.timedelta = BACKOFF_CAP,
    ) -> None:
        self._sessions = session_factory
        self.workstation = workstation
        self._clock = clock
        self.lease = lease
        self.max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._held: dict[int, Claim] = {}
        self._held_lock = threading.Lock()

    # --- claiming ----------------------------------------------------------------------

    def claim(
        self,
        channels_open: Callable[[Session, dt.datetime], Sequence[Channel]],
        now: dt.datetime,
        limit: int,
    ) -> tuple[list[Claim], int]:
        """Lease up to ``limit`` due rows (one short transaction): (claims, rows cancelled).

        ``channels_open`` says, inside that transaction, which channels may send now.
        """
        claims: list[Claim] = []
        cancelled = 0
        with self._sessions.begin() as session:
            channels = channels_open(session, now)
            if not channels:
                return [], 0
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
                .limit(limit)
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
                row.lease_expires_at = now + self.lease
                row.claimed_by = self.workstation
                row.attempts = claim.attempts
                if not needs_lookup:
                    row.last_attempt_at = now
                claims.append(claim)

        with self._held_lock:
            self._held.update({claim.id: claim for claim in claims})
        return claims, cancelled

    def held_ids(self) -> list[int]:
        with self._held_lock:
            return sorted(self._held)

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

    def record_sent(
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

    def record_failed(self, claim: Claim, reason: str, code: int | None) -> None:
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

    def record_retry(self, claim: Claim, reason: str, code: int | None) -> int:
        """Back to the queue after a back-off, or failed once the attempts are used up."""
        if claim.attempts >= self.max_attempts:
            self.record_failed(
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

    def record_unknown(self, claim: Claim, reason: str, *, retry: bool = False) -> None:
        if retry and claim.attempts >= self.max_attempts:
            self.record_failed(
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

    def record_cancelled(self, claim: Claim, reason: str) -> None:
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

    def release(self, claim: Claim, reason: str | None, delay: dt.timedelta | None) -> None:
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
            self.release(claim, None, None)
        return len(held)


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
