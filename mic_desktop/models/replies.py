"""Patients' SMS replies fetched from Twilio, and where the last fetch got to."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from mic_desktop.models.base import Base, created_at_column, enum_check


class ReplyAction(StrEnum):
    """What a reply did."""

    CONFIRMED = "confirmed"  # YES: the appointment is confirmed by the patient
    ALREADY_CONFIRMED = "already_confirmed"
    CANCELLED = "cancelled"  # C / NO: the appointment is cancelled by the patient
    OPTED_OUT = "opted_out"  # STOP, CANCEL ...: no more SMS
    OPTED_IN = "opted_in"  # START / UNSTOP
    OFFER_TAKEN = "offer_taken"  # YES to a waitlist offer: booked
    OFFER_TOO_LATE = "offer_too_late"  # YES to a waitlist offer whose slot is gone
    OTHER = "other"  # anything else: for reception to read
    NO_APPOINTMENT = "no_appointment"  # a keyword, but nothing to act on
    UNKNOWN_SENDER = "unknown_sender"  # no patient has this number


class SmsReply(Base):
    """One inbound SMS, stored once by its Twilio SID and acted on in the same transaction."""

    __tablename__ = "sms_reply"
    __table_args__ = (
        CheckConstraint(f"action IN ({enum_check(ReplyAction)})", name="action"),
        # Reception's unread replies (the toolbar count).
        Index("ix_sms_reply_unread", "received_at", postgresql_where=text("read_at IS NULL")),
        Index("ix_sms_reply_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime]  # Twilio's date_sent
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    # What reception should know (e.g. "replied CANCEL: opted out of SMS; ...").
    note: Mapped[str | None] = mapped_column(Text)
    # NULL while reception has to read it; set at once for replies that need no one.
    read_at: Mapped[dt.datetime | None]
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    processed_by: Mapped[str] = mapped_column(String(64))  # the workstation that acted
    created_at: Mapped[dt.datetime] = created_at_column()


class InboundSmsCursor(Base):
    """How far the fetches of replies got (one row): the newest date_sent processed."""

    __tablename__ = "inbound_sms_cursor"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    last_received_at: Mapped[dt.datetime | None]
    last_message_sid: Mapped[str | None] = mapped_column(String(64))
    last_fetch_at: Mapped[dt.datetime | None]
    last_fetch_by: Mapped[str | None] = mapped_column(String(64))
