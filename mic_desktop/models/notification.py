"""Message templates and the notification outbox that every workstation dispatches."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from mic_desktop.models.base import Base, created_at_column, enum_check


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    # The provider may or may not have it: an SMS is looked up at Twilio before any
    # resend; an e-mail waits for reception to decide.
    UNKNOWN = "unknown"
    FAILED = "failed"
    CANCELLED = "cancelled"


class NotificationTemplate(Base):
    __tablename__ = "notification_template"
    __table_args__ = (CheckConstraint(f"channel IN ({enum_check(Channel)})", name="channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # booking_confirmation, ...
    name: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(f"channel IN ({enum_check(Channel)})", name="channel"),
        CheckConstraint(f"status IN ({enum_check(OutboxStatus)})", name="status"),
        # What the dispatchers claim: due rows, rows whose lease ran out, rows to look up.
        Index(
            "ix_outbox_message_due",
            "due_at",
            postgresql_where=text("status IN ('queued', 'sending', 'unknown')"),
        ),
        # Sent SMS whose delivery status is not final yet.
        Index(
            "ix_outbox_message_poll",
            "next_poll_at",
            postgresql_where=text("next_poll_at IS NOT NULL"),
        ),
        # Reception's list of messages that did not reach the person (or may not have).
        Index(
            "ix_outbox_message_problem",
            "created_at",
            postgresql_where=text(
                "status = 'failed' OR delivery_status IN ('undelivered', 'failed') "
                "OR (status = 'unknown' AND channel = 'email')"
            ),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))  # reminder_24h, report_ready, ...
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))
    due_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The appointment start a reminder or notice was written for; a moved appointment
    # makes it stale.
    appointment_start_at: Mapped[dt.datetime | None]
    lease_expires_at: Mapped[dt.datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the workstation
    claim_token: Mapped[str | None] = mapped_column(String(32))  # one claim of one dispatcher
    # The provider call of the current attempt has begun, so the provider may have the
    # message: a row left ``sending`` with this set is in doubt, never sent blindly.
    in_flight: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When a request for this row last went to the provider: the start of the window
    # to search at Twilio when the outcome is unknown.
    last_attempt_at: Mapped[dt.datetime | None]
    error_code: Mapped[str | None] = mapped_column(String(20))  # the provider's, e.g. 21211
    # Twilio's message SID; for an e-mail its Message-ID, fixed at the first attempt.
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    delivery_updated_at: Mapped[dt.datetime | None]
    next_poll_at: Mapped[dt.datetime | None]  # NULL once the delivery status is final
    sent_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at_column()
