"""Claiming due outbox rows for one dispatcher, in the caller's short transaction.

:func:`claim_due` takes due rows with ``FOR UPDATE SKIP LOCKED``: queued rows whose
time has come, SMS whose outcome is ``unknown``, and rows whose lease ran out. A
row whose lease ran out while it was in flight (see :mod:`.leases`) is in doubt:
an SMS is claimed for a look-up at Twilio, which it keeps needing until one has
settled it; an e-mail becomes ``unknown``, for reception (:func:`emails_in_doubt`).
Rows no longer worth sending (:mod:`.stale`) are cancelled instead, unless they
may already be at Twilio.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from mic_desktop.models import Appointment, Channel, OutboxMessage, OutboxStatus, Patient
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging.stale import stale_reason

EMAIL_IN_DOUBT = (
    "The mail server may have received it, but did not confirm it "
    "(the sending PC stopped or lost its connection during the send)."
)


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
    token: str  # names this claim: only its holder records on it or renews it
    message_id: str | None = None  # an e-mail's Message-ID from an earlier attempt


def claim_due(
    session: Session,
    channels: Sequence[Channel],
    now: dt.datetime,
    limit: int,
    *,
    lease: dt.timedelta,
    workstation: str,
) -> tuple[list[Claim], int]:
    """Lease up to ``limit`` due rows of ``channels``: (claims, rows cancelled)."""
    claims: list[Claim] = []
    cancelled = 0
    sms = OutboxMessage.channel == Channel.SMS.value
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
                    OutboxMessage.due_at <= now,
                    or_(
                        OutboxMessage.status == OutboxStatus.QUEUED.value,
                        and_(OutboxMessage.status == OutboxStatus.UNKNOWN.value, sms),
                    ),
                ),
                and_(
                    OutboxMessage.status == OutboxStatus.SENDING.value,
                    OutboxMessage.lease_expires_at <= now,
                    or_(sms, OutboxMessage.in_flight.is_(False)),
                ),
            ),
        )
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(of=OutboxMessage, skip_locked=True)
    ).all()
    for row, appointment_status, start_at, sms_opt_in, email_opt_in in rows:
        channel = Channel(row.channel)
        stale = stale_reason(row, appointment_status, start_at, sms_opt_in, email_opt_in, now)
        needs_lookup = channel is Channel.SMS and (
            row.status == OutboxStatus.UNKNOWN.value
            or (row.status == OutboxStatus.SENDING.value and row.in_flight)
        )
        if stale is not None and not needs_lookup:
            row.status = OutboxStatus.CANCELLED.value
            row.last_error = stale
            row.lease_expires_at = row.claimed_by = row.claim_token = None
            row.in_flight = False
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
            token=uuid.uuid4().hex,
            message_id=row.provider_message_id if channel is Channel.EMAIL else None,
        )
        row.status = OutboxStatus.SENDING.value
        row.lease_expires_at = now + lease
        row.claimed_by = workstation
        row.claim_token = claim.token
        row.attempts = claim.attempts
        # A row in doubt stays in doubt until a look-up has settled it.
        row.in_flight = needs_lookup
        claims.append(claim)
    return claims, cancelled


def emails_in_doubt(session: Session, now: dt.datetime) -> int:
    """E-mails left in flight by a PC whose lease ran out become ``unknown``, for reception."""
    ids = session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.channel == Channel.EMAIL.value,
            OutboxMessage.status == OutboxStatus.SENDING.value,
            OutboxMessage.in_flight.is_(True),
            OutboxMessage.lease_expires_at <= now,
        )
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        return 0
    appointments = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(
            status=OutboxStatus.UNKNOWN.value,
            last_error=EMAIL_IN_DOUBT,
            in_flight=False,
            lease_expires_at=None,
            claimed_by=None,
            claim_token=None,
        )
        .returning(OutboxMessage.appointment_id)
    ).all()
    for appointment_id in set(appointments):
        notify(session, LiveChannel.OUTBOX, appointment_id or 0)
    return len(ids)
