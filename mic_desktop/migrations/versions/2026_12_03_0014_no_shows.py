"""two-way SMS replies, waitlist, calendar files

Patients' SMS replies fetched from Twilio are stored once each (``sms_reply``,
unique by message SID) and acted on in the transaction that stores them; the
newest one processed is remembered in ``inbound_sms_cursor``. The waitlist
(``waitlist_entry``) is offered freed slots (``freed_slot``) one patient at a
time (``waitlist_offer``: at most one offer waiting and one taker per slot);
``clinic_settings.waitlist_offer_minutes`` is how long an offer waits for YES.
``appointment.calendar_sequence`` is the SEQUENCE of its calendar event. The
confirmation and 24-hour reminder SMS ask for a reply (YES / C, never CANCEL,
which Twilio treats as an opt-out) where the clinic has not changed them, and
the new templates are stored.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)

NEW_TEMPLATES = (
    (
        "booking_confirmation_email",
        "Booking confirmation (e-mail with calendar file)",
        "email",
        "Your {scan_type} on {date} at {time}",
        "Dear {first_name},\n\nyour {scan_type} at {clinic_name} is booked for {date} at {time} ({room}).\n\n{preparation}\n\nThe attached calendar file adds it to your calendar. To change it call {clinic_phone}.\n\nKind regards,\n{clinic_name}",
    ),
    (
        "reschedule_email",
        "Appointment moved (e-mail with calendar file)",
        "email",
        "Your {scan_type} has moved to {date} at {time}",
        "Dear {first_name},\n\nyour {scan_type} at {clinic_name} has moved to {date} at {time} ({room}).\n\n{preparation}\n\nThe attached calendar file updates your calendar. Questions: {clinic_phone}.\n\nKind regards,\n{clinic_name}",
    ),
    (
        "cancellation_email",
        "Appointment cancelled (e-mail with calendar file)",
        "email",
        "Your {scan_type} on {date} at {time} is cancelled",
        "Dear {first_name},\n\nyour {scan_type} on {date} at {time} is cancelled. The attached calendar file removes it from your calendar. To book again call {clinic_phone}.\n\nKind regards,\n{clinic_name}",
    ),
    (
        "waitlist_offer",
        "Waitlist: a slot opened",
        "sms",
        "",
        "{first_name}, a {modality} slot opened {date} {time} for your {scan_type}. Reply YES within {minutes} min to take it. {clinic_name}",
    ),
    (
        "waitlist_taken",
        "Waitlist: slot already taken",
        "sms",
        "",
        "Sorry, that slot has been taken. You stay on our waiting list. {clinic_name}",
    ),
)
# (key, text before, text after) of the templates that now ask for a reply.
REWORDED = (
    (
        "booking_confirmation",
        "Hi {first_name}, your {scan_type} at {clinic_name} is booked for {date} at {time}, "
        "{room}. {preparation} Questions: {clinic_phone}",
        "Hi {first_name}, your {scan_type} at {clinic_name} is booked for {date} at {time}, "
        "{room}. {preparation} Reply YES to confirm or C to cancel. Questions: {clinic_phone}",
    ),
    (
        "reminder_24h",
        "Reminder: {first_name}, your {scan_type} is tomorrow, {date} at {time} ({room}). "
        "{preparation} To change it call {clinic_phone}. {clinic_name}",
        "Reminder: {first_name}, your {scan_type} is tomorrow, {date} at {time} ({room}). "
        "{preparation} Reply YES to confirm or C to cancel. To change it call {clinic_phone}. "
        "{clinic_name}",
    ),
)


def _reword(before_index: int, after_index: int) -> None:
    """Change a template's text only where the clinic kept the built-in one."""
    for row in REWORDED:
        op.execute(
            sa.text(
                "UPDATE notification_template SET body = :after "
                "WHERE key = :key AND body = :before"
            ).bindparams(key=row[0], before=row[before_index], after=row[after_index])
        )


def upgrade() -> None:
    op.add_column(
        "appointment",
        sa.Column("calendar_sequence", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "clinic_settings",
        sa.Column(
            "waitlist_offer_minutes", sa.Integer(), server_default=sa.text("30"), nullable=False
        ),
    )
    op.create_check_constraint(
        "ck_clinic_settings_waitlist_offer",
        "clinic_settings",
        "waitlist_offer_minutes BETWEEN 5 AND 1440",
    )
    op.create_table(
        "sms_reply",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_sid", sa.String(64), nullable=False),
        sa.Column("from_number", sa.String(32), nullable=False),
        sa.Column("to_number", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=True),
        sa.Column("appointment_id", sa.Integer(), sa.ForeignKey("appointment.id"), nullable=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("read_at", TZ, nullable=True),
        sa.Column("read_by_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=True),
        sa.Column("processed_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "action IN ('confirmed', 'already_confirmed', 'cancelled', 'opted_out', "
            "'opted_in', 'offer_taken', 'offer_too_late', 'other', 'no_appointment', "
            "'unknown_sender')",
            name="action",
        ),
        sa.UniqueConstraint("message_sid"),
    )
    op.create_index("ix_sms_reply_patient_id", "sms_reply", ["patient_id"])
    op.create_index("ix_sms_reply_appointment_id", "sms_reply", ["appointment_id"])
    op.create_index("ix_sms_reply_received_at", "sms_reply", ["received_at"])
    op.create_index(
        "ix_sms_reply_unread",
        "sms_reply",
        ["received_at"],
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_table(
        "inbound_sms_cursor",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("last_received_at", TZ, nullable=True),
        sa.Column("last_message_sid", sa.String(64), nullable=True),
        sa.Column("last_fetch_at", TZ, nullable=True),
        sa.Column("last_fetch_by", sa.String(64), nullable=True),
        sa.CheckConstraint("id = 1", name="single_row"),
    )
    op.create_table(
        "waitlist_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("scan_type_id", sa.Integer(), sa.ForeignKey("scan_type.id"), nullable=False),
        sa.Column("earliest_date", sa.Date(), nullable=False),
        sa.Column("latest_date", sa.Date(), nullable=False),
        sa.Column("time_of_day", sa.String(10), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column(
            "booked_appointment_id", sa.Integer(), sa.ForeignKey("appointment.id"), nullable=True
        ),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=True),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('waiting', 'booked', 'removed')", name="status"),
        sa.CheckConstraint("time_of_day IN ('any', 'morning', 'afternoon')", name="time_of_day"),
        sa.CheckConstraint("priority BETWEEN 1 AND 3", name="priority"),
        sa.CheckConstraint("latest_date >= earliest_date", name="dates"),
    )
    op.create_index("ix_waitlist_entry_patient_id", "waitlist_entry", ["patient_id"])
    op.create_index(
        "ix_waitlist_entry_waiting",
        "waitlist_entry",
        ["priority", "created_at"],
        postgresql_where=sa.text("status = 'waiting'"),
    )
    op.create_table(
        "freed_slot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("room.id"), nullable=False),
        sa.Column("start_at", TZ, nullable=False),
        sa.Column("end_at", TZ, nullable=False),
        sa.Column(
            "freed_appointment_id", sa.Integer(), sa.ForeignKey("appointment.id"), nullable=True
        ),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column(
            "filled_appointment_id", sa.Integer(), sa.ForeignKey("appointment.id"), nullable=True
        ),
        sa.Column("filled_at", TZ, nullable=True),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'filled', 'lapsed')", name="status"),
        sa.CheckConstraint("end_at > start_at", name="period"),
        sa.UniqueConstraint("freed_appointment_id", "start_at", name="uq_freed_slot_once"),
        sa.UniqueConstraint("filled_appointment_id"),
    )
    op.create_index(
        "ix_freed_slot_open",
        "freed_slot",
        ["start_at"],
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "waitlist_offer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slot_id", sa.Integer(), sa.ForeignKey("freed_slot.id"), nullable=False),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("waitlist_entry.id"), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("offered_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("answered_at", TZ, nullable=True),
        sa.Column("offered_by_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=True),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "status IN ('offered', 'expired', 'accepted', 'too_late', 'withdrawn')",
            name="status",
        ),
        sa.UniqueConstraint("slot_id", "entry_id", name="uq_waitlist_offer_once"),
    )
    op.create_index("ix_waitlist_offer_slot_id", "waitlist_offer", ["slot_id"])
    op.create_index("ix_waitlist_offer_entry_id", "waitlist_offer", ["entry_id"])
    op.create_index(
        "uq_waitlist_offer_one_open",
        "waitlist_offer",
        ["slot_id"],
        unique=True,
        postgresql_where=sa.text("status = 'offered'"),
    )
    op.create_index(
        "uq_waitlist_offer_one_taker",
        "waitlist_offer",
        ["slot_id"],
        unique=True,
        postgresql_where=sa.text("status = 'accepted'"),
    )
    insert = sa.text(
        "INSERT INTO notification_template (key, name, channel, subject, body, is_active, "
        "version) VALUES (:key, :name, :channel, :subject, :body, true, 1) "
        "ON CONFLICT (key) DO NOTHING"
    )
    for key, name, channel, subject, body in NEW_TEMPLATES:
        op.execute(
            insert.bindparams(key=key, name=name, channel=channel, subject=subject, body=body)
        )
    _reword(1, 2)


def downgrade() -> None:
    _reword(2, 1)
    for key, _name, _channel, subject, body in NEW_TEMPLATES:
        op.execute(
            sa.text(
                "DELETE FROM notification_template WHERE key = :key AND subject = :subject "
                "AND body = :body"
            ).bindparams(key=key, subject=subject, body=body)
        )
    op.drop_table("waitlist_offer")
    op.drop_table("freed_slot")
    op.drop_table("waitlist_entry")
    op.drop_table("inbound_sms_cursor")
    op.drop_table("sms_reply")
    op.drop_constraint("ck_clinic_settings_waitlist_offer", "clinic_settings", type_="check")
    op.drop_column("clinic_settings", "waitlist_offer_minutes")
    op.drop_column("appointment", "calendar_sequence")
