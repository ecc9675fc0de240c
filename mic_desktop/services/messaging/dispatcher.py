"""Sending the outbox from many PCs at once, each message exactly once.

One round (:meth:`Dispatcher.dispatch_due`):

1. In one short transaction, claim due rows with ``FOR UPDATE SKIP LOCKED`` (queued
   rows whose time has come, SMS whose outcome is ``unknown``, and rows whose
   lease ran out), mark them ``sending`` with a short lease and this PC's name,
   commit. Rows that are no longer worth sending (the appointment moved, was
   cancelled or is too close; the patient opted out) are cancelled in the same
   transaction.
2. Mark the row in flight, then call the provider outside any transaction (it has a
   timeout) while the lease is renewed.
3. Record the outcome in its own short transaction: ``sent`` with the provider's id;
   a temporary failure back to ``queued`` with exponential back-off; a permanent
   one ``failed`` with a readable reason (21610 also turns the patient's SMS off);
   ``unknown`` whenever the provider may have it. An outcome the database could
   not take is written at the start of the next round.

Once the provider may have a message, it is ``sent`` or ``unknown``, never queued
again: an SMS in doubt is looked up at Twilio before any resend, an e-mail in doubt
waits for reception. The lease (:data:`LEASE`, renewed while a send is in flight)
is short, so the SMS of a PC that died mid-send is looked up within about a
minute. Claiming and recording are :mod:`.leases`; sending one message is
:mod:`.sending`; following an SMS's delivery status is :mod:`.delivery`. SMS wait
outside the clinic's quiet hours, and a channel whose account or server refused
us rests on this PC for a while. On stop, rows claimed but not yet in flight go
back at once; none is left in ``sending``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import Channel
from mic_desktop.services.clock import utc_now
from mic_desktop.services.messaging.delivery import record_delivery, take_due_polls
from mic_desktop.services.messaging.leases import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    Claim,
    Leases,
)
from mic_desktop.services.messaging.quiet_hours import clinic_quiet_until
from mic_desktop.services.messaging.sending import DispatchSummary, Mailer, MessageSender
from mic_desktop.services.messaging.sms import (
    SmsConfigurationError,
    SmsGateway,
    TemporarySmsError,
)

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

CONFIGURATION_DELAY = dt.timedelta(minutes=5)
PROVIDER_TIMEOUT_SECONDS = 15.0


def default_lease(provider_timeout_seconds: float = PROVIDER_TIMEOUT_SECONDS) -> dt.timedelta:
    """Twice the provider's timeout (at least 30 s); renewed every third while in flight."""
    return dt.timedelta(seconds=max(30.0, 2 * provider_timeout_seconds))


LEASE = default_lease()


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
        self._leases = Leases(
            session_factory,
            workstation=self.workstation,
            clock=clock,
            lease=lease or default_lease(provider_timeout_seconds),
            max_attempts=max_attempts,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
        )
        self._sender = MessageSender(
            session_factory, self._leases, sms=sms, mailer=mailer, clock=clock
        )
        self._stop = threading.Event()
        # A channel whose account or server refused us rests on this PC for a while.
        self._down_until: dict[Channel, dt.datetime] = {}

    # --- control -----------------------------------------------------------------------

    def request_stop(self) -> None:
        """Give back at once every claim not yet in flight; the message in hand finishes."""
        self._stop.set()
        try:
            self._leases.release_idle()
        except Exception:  # the database is away: the short leases run out instead
            log.warning("Could not give the claimed messages back", exc_info=True)

    def resume(self) -> None:
        """Allow dispatching again after :meth:`request_stop` (a worker restarted)."""
        self._stop.clear()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def leases(self) -> Leases:
        return self._leases

    def held_ids(self) -> list[int]:
        return self._leases.held_ids()

    def release_held(self) -> int:
        """Give back every row this dispatcher claimed and has not finished."""
        return self._leases.release_held()

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
        self._leases.flush_pending()
        claims = self.claim(summary)
        try:
            for claim in claims:
                if self._stop.is_set():
                    break
                if claim.channel in self._down_until:
                    continue
                if not self._sender.send(claim, summary):
                    self._down_until[claim.channel] = self._clock() + CONFIGURATION_DELAY
        finally:
            summary.released += self.release_held()
        return summary

    def claim(self, summary: DispatchSummary | None = None) -> list[Claim]:
        """Take up to a batch of due rows for this PC (one short transaction)."""
        summary = summary if summary is not None else DispatchSummary()
        claims, cancelled = self._leases.claim(self._channels_open, self._clock(), self._batch)
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

    # --- delivery status ---------------------------------------------------------------

    def poll_delivery(self, max_batches: int | None = None) -> int:
        """Ask Twilio about sent SMS whose delivery status is not final; returns how many."""
        if self._sms is None or self._resting(Channel.SMS, self._clock()):
            return 0
        polled = 0
        batches = 0
        while not self._stop.is_set() and (max_batches is None or batches < max_batches):
            batches += 1
            with self._sessions.begin() as session:
                due = take_due_polls(session, self._clock(), self._batch)
            if not due:
                break
            for message_id, sid in due:
                if self._stop.is_set():
                    break
                try:
                    report = self._sms.fetch(sid)
                except SmsConfigurationError:
                    self._down_until[Channel.SMS] = self._clock() + CONFIGURATION_DELAY
                    return polled
                except TemporarySmsError:
                    continue  # asked again when the poll lease runs out
                now = self._clock()
                with self._sessions.begin() as session:
                    record_delivery(session, message_id, report, now)
                polled += 1
        return polled
