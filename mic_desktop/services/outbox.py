"""Putting messages into the notification outbox, exactly once per idempotency key.

Rows are inserted with ``ON CONFLICT (idempotency_key) DO NOTHING`` inside the
caller's transaction, so a message exists only if the change it announces commits,
and N workstations enqueueing the same reminder make one row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from mic_desktop.models import Channel, OutboxMessage, OutboxStatus


def enqueue(
    session: Session,
    *,
    idempotency_key: str,
    kind: str,
    channel: Channel,
    recipient: str,
    body: str,
    due_at: dt.datetime,
    subject: str = "",
    patient_id: int | None = None,
    appointment_id: int | None = None,
    report_id: int | None = None,
) -> bool:
    """Queue one message; False when a message with this key already exists."""
    statement = (
        insert(OutboxMessage)
        .values(
            idempotency_key=idempotency_key,
            kind=kind,
            channel=channel.value,
            recipient=recipient,
            subject=subject,
            body=body,
            due_at=due_at,
            status=OutboxStatus.QUEUED.value,
            attempts=0,
            patient_id=patient_id,
            appointment_id=appointment_id,
            report_id=report_id,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboxMessage.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None
