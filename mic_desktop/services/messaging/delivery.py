"""Following a sent SMS's delivery status at Twilio until it is final.

A sent SMS carries ``next_poll_at``: first :data:`POLL_FIRST` after sending, then
ever less often (a quarter of its age, at most :data:`POLL_MAX_INTERVAL`) until
Twilio reports a final status or :data:`POLL_GIVE_UP` has passed, since some
networks never report delivery. :func:`take_due_polls` hands rows to one PC at a
time by pushing their ``next_poll_at`` on by :data:`POLL_LEASE`; a row whose
look-up failed is asked about again when that runs out.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mic_desktop.models import Channel, OutboxMessage, OutboxStatus
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging.sms import SentSms

POLL_FIRST = dt.timedelta(seconds=30)
POLL_MAX_INTERVAL = dt.timedelta(hours=1)
POLL_GIVE_UP = dt.timedelta(days=3)  # some networks never report delivery
POLL_LEASE = dt.timedelta(minutes=2)


def take_due_polls(session: Session, now: dt.datetime, limit: int) -> list[tuple[int, str]]:
    """(message id, Twilio sid) of up to ``limit`` sent SMS whose status is due a look-up."""
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.provider_message_id)
        .where(
            OutboxMessage.next_poll_at <= now,
            OutboxMessage.status == OutboxStatus.SENT.value,
            OutboxMessage.channel == Channel.SMS.value,
            OutboxMessage.provider_message_id.is_not(None),
        )
        .order_by(OutboxMessage.next_poll_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if rows:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([row.id for row in rows]))
            .values(next_poll_at=now + POLL_LEASE)
        )
    return [(row.id, row.provider_message_id) for row in rows]


def record_delivery(session: Session, message_id: int, report: SentSms, now: dt.datetime) -> None:
    """Store what Twilio says of a sent SMS, and when to ask again (if at all)."""
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
