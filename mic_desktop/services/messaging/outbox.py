"""The notification outbox: queueing messages exactly once, and what reception sees of it.

Rows are inserted with ``ON CONFLICT (idempotency_key) DO NOTHING`` inside the
caller's transaction, so a message exists only if the change it announces commits,
and N workstations enqueueing the same reminder make one row. :class:`OutboxService`
gives reception an appointment's messages with their delivery status, the list of
messages that did not reach the person (with the reason) or may not have (an
e-mail whose sending was cut short: "may have been sent — resend?"), and "send
again". A resent e-mail keeps its Message-ID, so the recipient's mail program
can tell a second copy is the same message.

Changes to outbox rows are announced on ``LiveChannel.OUTBOX`` with the
appointment id as payload (``0`` for messages that belong to no appointment).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from mic_desktop.models import Channel, OutboxMessage, OutboxStatus, Patient, Role
from mic_desktop.services import audit
from mic_desktop.services.base import ClinicService
from mic_desktop.services.errors import NotFoundError, PermissionDeniedError, ValidationError
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.messaging.quiet_hours import clinic_quiet_hours
from mic_desktop.services.messaging.templates import kind_label

Clock = Callable[[], dt.datetime]

# Twilio's delivery statuses that mean the message did not arrive.
UNDELIVERED_STATUSES = ("undelivered", "failed")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Messages for someone other than the patient on the row (the referring doctor).
_NOT_FOR_PATIENT = ("report_ready_doctor",)


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
    appointment_start_at: dt.datetime | None = None,
    revive_cancelled: bool = False,
) -> bool:
    """Queue one message; False when a message with this key already exists.

    ``revive_cancelled`` queues a cancelled message with this key again (a reminder
    for an appointment moved away and back to the same time); a message that was
    sent, or is on its way, is never touched.
    """
    values = {
        "idempotency_key": idempotency_key,
        "kind": kind,
        "channel": channel.value,
        "recipient": recipient,
        "subject": subject,
        "body": body,
        "due_at": due_at,
        "status": OutboxStatus.QUEUED.value,
        "attempts": 0,
        "patient_id": patient_id,
        "appointment_id": appointment_id,
        "report_id": report_id,
        "appointment_start_at": appointment_start_at,
    }
    statement = insert(OutboxMessage).values(**values)
    if revive_cancelled:
        fresh = {name: statement.excluded[name] for name in values if name != "idempotency_key"}
        statement = statement.on_conflict_do_update(
            index_elements=["idempotency_key"],
            set_={**fresh, "last_error": None, "error_code": None, "last_attempt_at": None},
            where=OutboxMessage.status == OutboxStatus.CANCELLED.value,
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["idempotency_key"])
    return session.execute(statement.returning(OutboxMessage.id)).scalar_one_or_none() is not None


@dataclass(frozen=True)
class MessageInfo:
    """One outbox message as reception sees it."""

    id: int
    kind: str
    kind_label: str
    channel: Channel
    recipient: str
    subject: str
    body: str
    status: OutboxStatus
    delivery_status: str | None
    due_at: dt.datetime
    sent_at: dt.datetime | None
    delivery_updated_at: dt.datetime | None
    attempts: int
    last_error: str | None
    error_code: str | None
    provider_message_id: str | None
    appointment_id: int | None
    patient_id: int | None
    patient_name: str | None
    created_at: dt.datetime
    # An SMS that is due (or comes due) in the clinic's quiet hours goes out then.
    held_until: dt.datetime | None = None

    @property
    def undelivered(self) -> bool:
        return self.status is OutboxStatus.SENT and self.delivery_status in UNDELIVERED_STATUSES

    @property
    def in_doubt(self) -> bool:
        """An e-mail the mail server may have received: only a person may send it again."""
        return self.status is OutboxStatus.UNKNOWN and self.channel is Channel.EMAIL

    @property
    def needs_attention(self) -> bool:
        """Failed, not delivered, or an e-mail in doubt: reception should know and may
        send it again."""
        return self.status is OutboxStatus.FAILED or self.undelivered or self.in_doubt

    can_resend = needs_attention

    @property
    def state_label(self) -> str:
        reason = f": {self.last_error}" if self.last_error else ""
        if self.status is OutboxStatus.QUEUED:
            if self.held_until is not None:
                return "Waiting for the quiet hours to end"
            if self.attempts:
                return f"Waiting to retry (attempt {self.attempts + 1}){reason}"
            return "Waiting to be sent"
        if self.status is OutboxStatus.SENDING:
            return "Sending"
        if self.in_doubt:
            return "May have been sent — resend?"
        if self.status is OutboxStatus.UNKNOWN:
            return "Checking with Twilio whether it went out"
        if self.status is OutboxStatus.FAILED:
            return f"Failed{reason}"
        if self.status is OutboxStatus.CANCELLED:
            return f"Cancelled ({self.last_error})" if self.last_error else "Cancelled"
        if self.channel is Channel.EMAIL:
            return "Sent"
        return {
            "delivered": "Delivered",
            "read": "Read",
            "undelivered": f"Not delivered{reason}",
            "failed": f"Not delivered{reason}",
            "sent": "Sent to the phone network",
        }.get(self.delivery_status or "", "Sent")


def _select_messages() -> Select[tuple[OutboxMessage, str | None, str | None]]:
    return select(OutboxMessage, Patient.first_name, Patient.last_name).outerjoin(
        Patient, Patient.id == OutboxMessage.patient_id
    )


def _info(
    row: OutboxMessage,
    first: str | None,
    last: str | None,
    quiet: Callable[[dt.datetime], dt.datetime | None] | None = None,
    now: dt.datetime | None = None,
) -> MessageInfo:
    held_until = None
    if (
        quiet is not None
        and now is not None
        and row.channel == Channel.SMS.value
        and row.status == OutboxStatus.QUEUED.value
    ):
        held_until = quiet(max(row.due_at, now))
    return MessageInfo(
        id=row.id,
        kind=row.kind,
        kind_label=kind_label(row.kind),
        channel=Channel(row.channel),
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        status=OutboxStatus(row.status),
        delivery_status=row.delivery_status,
        due_at=row.due_at,
        sent_at=row.sent_at,
        delivery_updated_at=row.delivery_updated_at,
        attempts=row.attempts,
        last_error=row.last_error,
        error_code=row.error_code,
        provider_message_id=row.provider_message_id,
        appointment_id=row.appointment_id,
        patient_id=row.patient_id,
        patient_name=f"{first} {last}" if first is not None else None,
        created_at=row.created_at,
        held_until=held_until,
    )


def needs_attention_condition() -> ColumnElement[bool]:
    """Failed, sent but not delivered, or an e-mail in doubt."""
    return or_(
        OutboxMessage.status == OutboxStatus.FAILED.value,
        OutboxMessage.delivery_status.in_(UNDELIVERED_STATUSES),
        and_(
            OutboxMessage.status == OutboxStatus.UNKNOWN.value,
            OutboxMessage.channel == Channel.EMAIL.value,
        ),
    )


class OutboxService(ClinicService):
    """Reception's view of the outbox: per appointment, what failed, send again."""

    def messages_for_appointment(self, appointment_id: int) -> list[MessageInfo]:
        """Every message about one appointment, oldest first, with its delivery status."""
        with self._sessions.begin() as session:
            rows = session.execute(
                _select_messages()
                .where(OutboxMessage.appointment_id == appointment_id)
                .order_by(OutboxMessage.created_at, OutboxMessage.id)
            ).all()
            return self._infos(session, rows)

    def messages_for_patient(self, patient_id: int, limit: int = 200) -> list[MessageInfo]:
        """A patient's messages, newest first."""
        with self._sessions.begin() as session:
            rows = session.execute(
                _select_messages()
                .where(OutboxMessage.patient_id == patient_id)
                .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                .limit(limit)
            ).all()
            return self._infos(session, rows)

    def failed_messages(
        self, since: dt.datetime | None = None, limit: int = 500
    ) -> list[MessageInfo]:
        """Messages that failed, were not delivered or may not have been (default: in the
        last 14 days), the latest to go wrong first.

        What counts is when it went wrong (its last attempt or delivery report, else when
        it was due), not when it was queued: a reminder queued at booking three weeks
        ago that fails this morning is listed.
        """
        since = since or self._clock() - dt.timedelta(days=14)
        went_wrong = func.greatest(
            OutboxMessage.last_attempt_at, OutboxMessage.delivery_updated_at, OutboxMessage.due_at
        )
        with self._sessions.begin() as session:
            rows = session.execute(
                _select_messages()
                .where(needs_attention_condition(), went_wrong >= since)
                .order_by(went_wrong.desc(), OutboxMessage.id.desc())
                .limit(limit)
            ).all()
            return self._infos(session, rows)

    def _infos(self, session: Session, rows: Sequence[Row[Any]]) -> list[MessageInfo]:
        quiet, now = clinic_quiet_hours(session), self._clock()
        return [_info(*row, quiet=quiet, now=now) for row in rows]

    def resend(self, message_id: int, recipient: str | None = None) -> MessageInfo:
        """Queue a failed, undelivered or in-doubt message again, now.

        A patient's message goes to the number or address on the patient's record
        now (reception may have corrected it), unless ``recipient`` is given; a
        patient who opted out is not messaged. An e-mail keeps its Message-ID.
        """
        if self._actor.role not in (Role.RECEPTION, Role.MANAGER):
            raise PermissionDeniedError("Only reception or a manager may resend messages.")
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.get(OutboxMessage, message_id, with_for_update=True)
            if row is None:
                raise NotFoundError("This message no longer exists.")
            info = _info(row, None, None)
            if not info.needs_attention:
                raise ValidationError(
                    f"This message cannot be sent again: it is {info.state_label.lower()}."
                )
            channel = Channel(row.channel)
            new_recipient = self._recipient(session, row, channel, recipient)
            previous = {
                "status": row.status,
                "delivery_status": row.delivery_status,
                "last_error": row.last_error,
                "error_code": row.error_code,
                "recipient_changed": new_recipient != row.recipient,
            }
            row.recipient = new_recipient
            row.status = OutboxStatus.QUEUED.value
            row.due_at = now
            row.attempts = 0
            row.in_flight = False
            if channel is Channel.SMS:  # an e-mail's Message-ID stays, for every copy
                row.provider_message_id = None
            for column in (
                "last_error",
                "error_code",
                "delivery_status",
                "delivery_updated_at",
                "next_poll_at",
                "sent_at",
                "lease_expires_at",
                "claimed_by",
                "claim_token",
                "last_attempt_at",
            ):
                setattr(row, column, None)
            audit.record(
                session,
                "message_resent",
                staff_id=self._actor.id,
                username=self._actor.username,
                entity="outbox_message",
                entity_id=row.id,
                details={"kind": row.kind, **previous},
                workstation=self._workstation,
            )
            notify(session, LiveChannel.OUTBOX, row.appointment_id or 0)
            session.flush()
            patient = session.get(Patient, row.patient_id) if row.patient_id else None
            return _info(
                row,
                patient.first_name if patient else None,
                patient.last_name if patient else None,
                clinic_quiet_hours(session),
                now,
            )

    def _recipient(
        self, session: Session, row: OutboxMessage, channel: Channel, override: str | None
    ) -> str:
        patient = (
            session.get(Patient, row.patient_id)
            if row.patient_id and row.kind not in _NOT_FOR_PATIENT
            else None
        )
        if patient is not None:
            opted_in = patient.sms_opt_in if channel is Channel.SMS else patient.email_opt_in
            if not opted_in:
                what = "SMS" if channel is Channel.SMS else "e-mail"
                raise ValidationError(
                    f"{patient.full_name} does not want {what} from the clinic "
                    f"(opted out). Tick {what} on the patient's record first if they agree.",
                    "recipient",
                )
        value = (override or "").strip()
        if not value and patient is not None:
            value = (patient.phone if channel is Channel.SMS else patient.email) or ""
        value = value or row.recipient
        if channel is Channel.SMS and not E164.match(value):
            raise ValidationError(
                f"{value or 'The number'} is not a phone number in international form "
                "(+ and country code, e.g. +263771234567).",
                "recipient",
            )
        if channel is Channel.EMAIL and not EMAIL.match(value):
            raise ValidationError(
                f"{value or 'The address'} is not an e-mail address.", "recipient"
            )
        return value
