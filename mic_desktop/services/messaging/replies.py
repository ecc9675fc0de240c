"""Fetching patients' SMS replies from Twilio, each stored once and acted on once.

A desktop has no public address for a webhook, so the reply job (every PC, like the
outbox jobs) lists the messages sent to the clinic's number since the newest one
processed (``inbound_sms_cursor``, less an overlap for Twilio's late arrivals).
Each reply is stored with ``INSERT ... ON CONFLICT (message_sid) DO NOTHING`` and
acted on (:mod:`.reply_actions`) in that same transaction: when two PCs fetch the
same reply at once, the second insert waits for the first to commit and then
inserts nothing, so the reply is acted on once; when the first fails, nothing of
it stays and the next fetch tries again. The offer job of the waitlist
(:mod:`..scheduling.freed_slots`) runs right after, so a slot freed by reply C is
offered at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import InboundSmsCursor, ReplyAction, SmsReply
from mic_desktop.services import audit
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging.reply_actions import act_on_reply
from mic_desktop.services.messaging.sms import InboundSms
from mic_desktop.services.scheduling.freed_slots import OfferRound, advance_offers

log = logging.getLogger(__name__)

# Twilio may list a message a little after its date_sent: look back this far again.
OVERLAP = dt.timedelta(minutes=10)
FIRST_LOOK_BACK = dt.timedelta(days=2)


@runtime_checkable
class InboundGateway(Protocol):
    """What the reply job needs from Twilio (see :meth:`.sms.TwilioSms.received`)."""

    sender: str

    def received(self, since: dt.datetime, page_size: int = 50) -> list[InboundSms]: ...


@dataclass
class FetchSummary:
    listed: int = 0
    stored: int = 0  # new replies this PC stored and acted on
    failed: int = 0  # replies that could not be acted on (tried again next time)
    actions: dict[str, int] | None = None


class ReplyFetcher:
    """Fetches replies and advances the waitlist offers; one per workstation (or thread)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        workstation: str,
        sms: InboundGateway | None,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = session_factory
        self.workstation = workstation[:64]
        self._sms = sms
        self._clock = clock

    def fetch_replies(self) -> FetchSummary:
        """List new replies at Twilio and act on each one not yet stored."""
        summary = FetchSummary(actions={})
        if self._sms is None:
            return summary
        with self._sessions() as session:
            last = session.scalar(select(InboundSmsCursor.last_received_at))
        now = self._clock()
        since = (last - OVERLAP) if last is not None else now - FIRST_LOOK_BACK
        replies = self._sms.received(since)
        summary.listed = len(replies)
        failed: list[dt.datetime] = []
        for inbound in replies:
            try:
                action = self.store(inbound)
            except Exception:  # nothing of it stayed; it is tried again at the next fetch
                log.exception("Could not act on SMS reply %s", inbound.sid)
                failed.append(inbound.sent_at)
                continue
            if action is not None:
                summary.stored += 1
                assert summary.actions is not None
                summary.actions[action] = summary.actions.get(action, 0) + 1
        summary.failed = len(failed)
        with self._sessions.begin() as session:
            # The cursor stays before a reply that failed, so the next fetch lists it again.
            newest = min(failed) if failed else max((r.sent_at for r in replies), default=None)
            values = {
                "id": 1,
                "last_fetch_at": self._clock(),
                "last_fetch_by": self.workstation,
            }
            if newest is not None:
                values["last_received_at"] = newest
            statement = insert(InboundSmsCursor).values(**values)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["id"],
                    set_={
                        "last_fetch_at": statement.excluded.last_fetch_at,
                        "last_fetch_by": statement.excluded.last_fetch_by,
                        "last_received_at": func.greatest(
                            InboundSmsCursor.last_received_at,
                            statement.excluded.last_received_at,
                        ),
                    },
                )
            )
        return summary

    def store(self, inbound: InboundSms) -> str | None:
        """Store one reply and act on it (one transaction); None when it was stored before."""
        now = self._clock()
        with self._sessions.begin() as session:
            reply_id = session.execute(
                insert(SmsReply)
                .values(
                    message_sid=inbound.sid,
                    from_number=inbound.from_number[:32],
                    to_number=inbound.to_number[:32],
                    body=_clean(inbound.body),
                    received_at=inbound.sent_at,
                    action=ReplyAction.OTHER.value,
                    processed_by=self.workstation,
                )
                .on_conflict_do_nothing(index_elements=["message_sid"])
                .returning(SmsReply.id)
            ).scalar_one_or_none()
            if reply_id is None:
                return None
            reply = session.get(SmsReply, reply_id)
            assert reply is not None
            act_on_reply(session, reply, now, self.workstation)
            session.flush()
            audit.record(
                session,
                "sms_reply_received",
                username="(patient reply)",
                entity="sms_reply",
                entity_id=reply.id,
                details={
                    "sid": reply.message_sid,
                    "action": reply.action,
                    "patient": reply.patient_id,
                    "appointment": reply.appointment_id,
                },
                workstation=self.workstation,
            )
            notify(session, LiveChannel.OUTBOX, reply.appointment_id or 0)
            advance_offers(session, now, self.workstation)
            return reply.action

    def advance_offers(self) -> OfferRound:
        """Expire unanswered waitlist offers and offer open slots to the next patient."""
        with self._sessions.begin() as session:
            return advance_offers(session, self._clock(), self.workstation)


def _clean(text: str) -> str:
    """What PostgreSQL can store: no NUL characters, no lone surrogates."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
