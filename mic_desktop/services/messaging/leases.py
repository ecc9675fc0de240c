"""The lease on an outbox row: claiming due rows for one PC, and recording what became of each.

One claim goes through three steps:

1. :meth:`Leases.claim` takes due rows (:mod:`.claiming`) and marks them
   ``sending`` with a short lease, this PC's name and a token naming the claim;
   rows no longer worth sending are cancelled instead.
2. :meth:`Leases.begin_send`, just before the provider call, marks the row
   ``in_flight`` (the provider may have it from now on); :meth:`Leases.renewed`
   keeps renewing its lease while the call lasts.
3. The outcome, in its own short transaction: ``sent`` with the provider's id; a
   temporary failure back to ``queued`` with exponential back-off; a permanent one
   ``failed`` (21610 also turns the patient's SMS off); ``unknown`` when the
   provider may have it.

Once the provider may have a message it never goes back to ``queued``: a row left
``sending`` and in flight when its lease runs out (its PC died, or lost the
database) is in doubt. An SMS in doubt is looked up at Twilio before any resend;
an e-mail in doubt becomes ``unknown`` and waits for reception to decide. An
outcome that cannot be written is kept and written at the next round. A claim
not yet in flight is given back as it was (:meth:`Leases.release_held`), at once
when the dispatcher stops.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, update
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import (
    Channel,
    OutboxMessage,
    OutboxStatus,
    Patient,
    ReportAccessAction,
    ReportAccessLog,
)
from mic_desktop.services import audit
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging.claiming import Claim, claim_due, emails_in_doubt
from mic_desktop.services.messaging.delivery import POLL_FIRST
from mic_desktop.services.messaging.sms import UNSUBSCRIBED, SentSms

__all__ = ["Claim", "InFlight", "Leases", "backoff"]

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
class InFlight:
    """A claim whose provider call may begin; ``message_id`` is the e-mail's, for good."""

    message_id: str | None


@dataclass(frozen=True)
class _Outcome:
    claim: Claim
    condition: ColumnElement[bool]
    values: dict[str, object]
    attached: bool


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
        self.renew_every = lease / 3
        self.max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._held: dict[int, Claim] = {}
        self._in_flight: set[int] = set()
        self._pending: dict[int, _Outcome] = {}
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
        with self._sessions.begin() as session:
            emails_in_doubt(session, now)
            channels = channels_open(session, now)
            if not channels:
                return [], 0
            claims, cancelled = claim_due(
                session, channels, now, limit, lease=self.lease, workstation=self.workstation
            )
        with self._held_lock:
            self._held.update({claim.id: claim for claim in claims})
        return claims, cancelled

    def held_ids(self) -> list[int]:
        with self._held_lock:
            return sorted(self._held)

    # --- the provider call -------------------------------------------------------------

    def begin_send(self, claim: Claim, message_id: str | None = None) -> InFlight | None:
        """Mark the row in flight just before the provider call; None: not ours any more.

        ``message_id`` proposes an e-mail's Message-ID; the one stored by an earlier
        attempt wins, so every copy of the message carries the same one.
        """
        with self._held_lock:
            if claim.id not in self._held:
                return None
            self._in_flight.add(claim.id)
        now = self._clock()
        values: dict[str, object] = {
            "in_flight": True,
            "last_attempt_at": now,
            "lease_expires_at": now + self.lease,
        }
        if message_id is not None:
            values["provider_message_id"] = func.coalesce(
                OutboxMessage.provider_message_id, message_id
            )
        try:
            with self._sessions.begin() as session:
                stored = session.execute(
                    update(OutboxMessage)
                    .where(self._mine(claim))
                    .values(**values)
                    .returning(OutboxMessage.provider_message_id)
                ).first()
        except BaseException:
            with self._held_lock:
                self._in_flight.discard(claim.id)
            raise
        if stored is None:  # its lease ran out and another PC took it, or it was released
            with self._held_lock:
                self._in_flight.discard(claim.id)
                self._held.pop(claim.id, None)
            return None
        return InFlight(stored.provider_message_id if message_id is not None else None)

    def is_held(self, claim: Claim) -> bool:
        """Claimed here and no outcome recorded (or kept to be written) yet."""
        with self._held_lock:
            return claim.id in self._held

    def is_in_flight(self, claim: Claim) -> bool:
        with self._held_lock:
            return claim.id in self._in_flight

    @contextmanager
    def renewed(self, claim: Claim) -> Iterator[None]:
        """Renew the claim's lease every third of it while the block (a provider call) runs."""
        done = threading.Event()
        thread = threading.Thread(
            target=self._renew_until, args=(claim, done), name=f"lease-{claim.id}", daemon=True
        )
        thread.start()
        try:
            yield
        finally:
            done.set()

    def _renew_until(self, claim: Claim, done: threading.Event) -> None:
        while not done.wait(self.renew_every.total_seconds()):
            try:
                self.renew(claim)
            except Exception:  # the database is away: the lease runs out, the row is in doubt
                log.warning("Could not renew the lease of outbox message %s", claim.id)

    def renew(self, claim: Claim) -> bool:
        """Push the claim's lease on by a whole lease; False when it is not ours any more."""
        with self._sessions.begin() as session:
            renewed = session.execute(
                update(OutboxMessage)
                .where(self._mine(claim))
                .values(lease_expires_at=self._clock() + self.lease)
                .returning(OutboxMessage.id)
            ).first()
        return renewed is not None

    # --- recording outcomes ------------------------------------------------------------

    def _mine(self, claim: Claim) -> ColumnElement[bool]:
        return and_(
            OutboxMessage.id == claim.id,
            OutboxMessage.status == OutboxStatus.SENDING.value,
            OutboxMessage.claim_token == claim.token,
        )

    def _record(
        self,
        claim: Claim,
        condition: ColumnElement[bool],
        values: dict[str, object],
        *,
        attached: bool = False,
    ) -> bool:
        """Write an outcome in its own short transaction; False when the row moved on.

        An outcome that cannot be written now (the database is away) is kept and
        written by :meth:`flush_pending`; until then the row stays ``sending``.
        """
        with self._held_lock:
            self._held.pop(claim.id, None)
            self._in_flight.discard(claim.id)
        outcome = _Outcome(
            claim,
            condition,
            {
                **values,
                "lease_expires_at": None,
                "claimed_by": None,
                "claim_token": None,
                "in_flight": False,
            },
            attached,
        )
        try:
            return self._write(outcome)
        except Exception:
            log.warning(
                "Could not record what became of outbox message %s; trying again later",
                claim.id,
                exc_info=True,
            )
            with self._held_lock:
                self._pending[claim.id] = outcome
            return False

    def _write(self, outcome: _Outcome) -> bool:
        claim, values = outcome.claim, outcome.values
        with self._sessions.begin() as session:
            updated = session.execute(
                update(OutboxMessage)
                .where(outcome.condition)
                .values(**values)
                .returning(OutboxMessage.appointment_id)
            ).first()
            if updated is None:
                return False
            notify(session, LiveChannel.OUTBOX, updated.appointment_id or 0)
            if values.get("error_code") == str(UNSUBSCRIBED) and claim.patient_id is not None:
                _turn_sms_off(session, claim.patient_id, self.workstation)
            if outcome.attached and claim.report_id is not None:
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

    def pending_ids(self) -> list[int]:
        """Rows whose outcome is known here but not yet written."""
        with self._held_lock:
            return sorted(self._pending)

    def flush_pending(self) -> int:
        """Write the outcomes kept while the database was away; returns how many are left."""
        with self._held_lock:
            outcomes = list(self._pending.values())
        for outcome in outcomes:
            try:
                written = self._write(outcome)
            except Exception:
                log.warning("Outbox outcomes still cannot be recorded", exc_info=True)
                break
            with self._held_lock:
                if self._pending.get(outcome.claim.id) is outcome:
                    del self._pending[outcome.claim.id]
            if not written:
                log.info("Outbox message %s had moved on before its outcome", outcome.claim.id)
        with self._held_lock:
            return len(self._pending)

    def record_sent(
        self, claim: Claim, provider_id: str, sms: SentSms | None, *, attached: bool = False
    ) -> None:
        now = self._clock()
        values: dict[str, object] = {
            "status": OutboxStatus.SENT.value,
            "provider_message_id": provider_id,
            "sent_at": now,
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
            log.info("Outbox message %s was sent; its row had moved on or waits", claim.id)

    def record_failed(self, claim: Claim, reason: str, code: int | None) -> None:
        self._record(
            claim,
            self._mine(claim),
            {
                "status": OutboxStatus.FAILED.value,
                "last_error": reason,
                "error_code": str(code) if code is not None else None,
            },
        )

    def record_retry(self, claim: Claim, reason: str, code: int | None) -> int:
        """Back to the queue after a back-off, or failed once the attempts are used up.

        Only for a message the provider certainly does not have.
        """
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
            },
        )
        return 1

    def record_unknown(self, claim: Claim, reason: str, *, retry: bool = False) -> None:
        """The provider may have it: an SMS is looked up at Twilio (after a minute, or with
        back-off when Twilio could not be asked); an e-mail waits for reception."""
        values: dict[str, object] = {"status": OutboxStatus.UNKNOWN.value, "last_error": reason}
        if claim.channel is Channel.SMS:
            values["due_at"] = self._clock() + (
                backoff(claim.attempts, self._backoff_base, self._backoff_cap)
                if retry
                else LOOKUP_DELAY
            )
        self._record(claim, self._mine(claim), values)

    def record_cancelled(self, claim: Claim, reason: str) -> None:
        self._record(
            claim,
            self._mine(claim),
            {"status": OutboxStatus.CANCELLED.value, "last_error": reason},
        )

    def release(self, claim: Claim, reason: str | None, delay: dt.timedelta | None) -> None:
        """Give a claimed row back untouched (the attempt does not count).

        For a row whose provider call refused it (or never began).
        """
        self._record(claim, self._mine(claim), self._release_values(claim, reason, delay))

    def _release_values(
        self, claim: Claim, reason: str | None, delay: dt.timedelta | None
    ) -> dict[str, object]:
        values: dict[str, object] = {
            "status": claim.previous_status,
            "attempts": claim.attempts - 1,
        }
        if reason is not None:
            values["last_error"] = reason
        if delay is not None:
            values["due_at"] = self._clock() + delay
        return values

    def release_idle(self) -> int:
        """Give back at once every claim whose provider call has not begun (thread-safe)."""
        released = 0
        with self._held_lock:
            idle = [c for c in self._held.values() if c.id not in self._in_flight]
            for claim in idle:
                del self._held[claim.id]
        for claim in idle:
            # The database keeps the promise too: a row in flight is never given back.
            condition = and_(self._mine(claim), OutboxMessage.in_flight.is_(claim.needs_lookup))
            self._record(claim, condition, self._release_values(claim, None, None))
            released += 1
        return released

    def release_held(self) -> int:
        """Write kept outcomes, give back idle claims, and leave any claim whose provider
        call was cut short (an escaped error) in doubt."""
        try:
            self.flush_pending()
        except Exception:
            log.warning("Could not write kept outbox outcomes", exc_info=True)
        released = self.release_idle()
        with self._held_lock:
            cut_short = list(self._held.values())
        for claim in cut_short:
            self.record_unknown(claim, "The send was interrupted; it may have gone out.")
        return released + len(cut_short)


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
