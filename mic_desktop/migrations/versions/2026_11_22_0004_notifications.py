"""notifications: outbox dispatch additions

Adds what the dispatchers on many PCs need (lookup window, delivery polling, the
provider's error code, the appointment start a message was written for), the
indexes they claim and poll by, and the clinic's editable copies of the built-in
message templates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)

# The built-in texts as of this revision (frozen here: later code changes do not
# rewrite a clinic's stored templates).
TEMPLATES = [
    (
        "booking_confirmation",
        "Booking confirmation",
        "sms",
        "",
        "Hi {first_name}, your {scan_type} at {clinic_name} is booked for {date} at {time}, "
        "{room}. {preparation} Questions: {clinic_phone}",
    ),
    (
        "reminder_24h",
        "Reminder 24 hours before",
        "sms",
        "",
        "Reminder: {first_name}, your {scan_type} is tomorrow, {date} at {time} ({room}). "
        "{preparation} To change it call {clinic_phone}. {clinic_name}",
    ),
    (
        "reminder_2h",
        "Reminder 2 hours before",
        "sms",
        "",
        "{first_name}, see you at {time} today for your {scan_type}. {clinic_name}",
    ),
    (
        "reschedule",
        "Appointment moved",
        "sms",
        "",
        "{first_name}, your {scan_type} has moved to {date} at {time} ({room}). "
        "Questions: {clinic_phone}. {clinic_name}",
    ),
    (
        "cancellation",
        "Appointment cancelled",
        "sms",
        "",
        "{first_name}, your {scan_type} on {date} at {time} is cancelled. "
        "To book again call {clinic_phone}. {clinic_name}",
    ),
    (
        "report_ready_patient",
        "Report ready (patient)",
        "sms",
        "",
        "{first_name}, the report of your {scan_type} is ready. {clinic_name}, {clinic_phone}",
    ),
    (
        "report_ready_doctor",
        "Report ready (referring doctor)",
        "email",
        "Report ready: {patient_name}, {scan_type}",
        "Dear {doctor_name},\n\nThe report of {patient_name}'s {scan_type} of {date} is final "
        "and attached.\n\nKind regards,\n{clinic_name}\n{clinic_phone}",
    ),
    (
        "payment_confirmation",
        "Payment confirmation",
        "sms",
        "",
        "{first_name}, we received {amount} (receipt {receipt_number}). Thank you. {clinic_name}",
    ),
    (
        "balance_reminder",
        "Outstanding balance reminder",
        "sms",
        "",
        "{first_name}, your balance at {clinic_name} is {amount}. "
        "Please pay at reception or call {clinic_phone}.",
    ),
]

NEW_COLUMNS = (
    ("appointment_start_at", TIMESTAMPTZ),
    ("last_attempt_at", TIMESTAMPTZ),
    ("error_code", sa.String(length=20)),
    ("delivery_updated_at", TIMESTAMPTZ),
    ("next_poll_at", TIMESTAMPTZ),
)


def upgrade() -> None:
    for name, type_ in NEW_COLUMNS:
        op.add_column("outbox_message", sa.Column(name, type_, nullable=True))
    op.drop_index("ix_outbox_message_due", table_name="outbox_message")
    op.create_index(
        "ix_outbox_message_due",
        "outbox_message",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('queued', 'sending', 'unknown')"),
    )
    op.create_index(
        "ix_outbox_message_poll",
        "outbox_message",
        ["next_poll_at"],
        unique=False,
        postgresql_where=sa.text("next_poll_at IS NOT NULL"),
    )
    op.create_index(
        "ix_outbox_message_problem",
        "outbox_message",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text(
            "status = 'failed' OR delivery_status IN ('undelivered', 'failed')"
        ),
    )
    insert = sa.text(
        "INSERT INTO notification_template (key, name, channel, subject, body, is_active, "
        "version) VALUES (:key, :name, :channel, :subject, :body, true, 1) "
        "ON CONFLICT (key) DO NOTHING"
    )
    for key, name, channel, subject, body in TEMPLATES:
        op.execute(
            insert.bindparams(key=key, name=name, channel=channel, subject=subject, body=body)
        )


def downgrade() -> None:
    # Templates a clinic has edited are its own data; only untouched copies go.
    for key, _name, _channel, subject, body in TEMPLATES:
        op.execute(
            sa.text(
                "DELETE FROM notification_template WHERE key = :key AND version = 1 "
                "AND subject = :subject AND body = :body"
            ).bindparams(key=key, subject=subject, body=body)
        )
    op.drop_index("ix_outbox_message_problem", table_name="outbox_message")
    op.drop_index("ix_outbox_message_poll", table_name="outbox_message")
    op.drop_index("ix_outbox_message_due", table_name="outbox_message")
    op.create_index(
        "ix_outbox_message_due",
        "outbox_message",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('queued', 'sending')"),
    )
    for name, _type in reversed(NEW_COLUMNS):
        op.drop_column("outbox_message", name)
