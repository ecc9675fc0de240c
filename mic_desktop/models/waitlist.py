"""The waitlist: patients who want an earlier slot, slots freed for them, and offers by SMS."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mic_desktop.models.base import Base, created_at_column, enum_check
from mic_desktop.models.facility import Room, ScanType
from mic_desktop.models.patient import Patient


class TimeOfDay(StrEnum):
    ANY = "any"
    MORNING = "morning"  # starts before 12:00 clinic time
    AFTERNOON = "afternoon"  # starts at 12:00 or later


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    BOOKED = "booked"
    REMOVED = "removed"


class FreedSlotStatus(StrEnum):
    OPEN = "open"  # offered to the waitlist, one patient at a time
    FILLED = "filled"  # a waitlisted patient took it
    LAPSED = "lapsed"  # nobody took it in time, or nobody fits


class OfferStatus(StrEnum):
    OFFERED = "offered"  # SMS sent, waiting for YES
    EXPIRED = "expired"  # no answer in time: the next patient is asked
    ACCEPTED = "accepted"  # this patient's YES booked the slot
    TOO_LATE = "too_late"  # YES after someone else took it
    WITHDRAWN = "withdrawn"  # the slot went to someone else first


class WaitlistEntry(Base):
    __tablename__ = "waitlist_entry"
    __table_args__ = (
        CheckConstraint(f"status IN ({enum_check(WaitlistStatus)})", name="status"),
        CheckConstraint(f"time_of_day IN ({enum_check(TimeOfDay)})", name="time_of_day"),
        CheckConstraint("priority BETWEEN 1 AND 3", name="priority"),
        CheckConstraint("latest_date >= earliest_date", name="dates"),
        Index(
            "ix_waitlist_entry_waiting",
            "priority",
            "created_at",
            postgresql_where=text("status = 'waiting'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    scan_type_id: Mapped[int] = mapped_column(ForeignKey("scan_type.id"))
    earliest_date: Mapped[dt.date]
    latest_date: Mapped[dt.date]
    time_of_day: Mapped[str] = mapped_column(String(10), default=TimeOfDay.ANY.value)
    priority: Mapped[int] = mapped_column(default=2)  # 1 urgent, 2 normal, 3 low
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=WaitlistStatus.WAITING.value)
    booked_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = created_at_column()
    version: Mapped[int] = mapped_column(default=1)

    patient: Mapped[Patient] = relationship()
    scan_type: Mapped[ScanType] = relationship()

    __mapper_args__ = {"version_id_col": version}


class FreedSlot(Base):
    """A room's time given up by a cancellation, no-show, move or reply C."""

    __tablename__ = "freed_slot"
    __table_args__ = (
        CheckConstraint(f"status IN ({enum_check(FreedSlotStatus)})", name="status"),
        CheckConstraint("end_at > start_at", name="period"),
        # An appointment frees a given time once (a move frees each old time once).
        UniqueConstraint("freed_appointment_id", "start_at", name="uq_freed_slot_once"),
        Index("ix_freed_slot_open", "start_at", postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"))
    start_at: Mapped[dt.datetime]
    end_at: Mapped[dt.datetime]
    freed_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    reason: Mapped[str] = mapped_column(String(40))  # cancelled, reply C, no-show, moved, by hand
    status: Mapped[str] = mapped_column(String(10), default=FreedSlotStatus.OPEN.value)
    filled_appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id"), unique=True
    )
    filled_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at_column()

    room: Mapped[Room] = relationship()


class WaitlistOffer(Base):
    __tablename__ = "waitlist_offer"
    __table_args__ = (
        CheckConstraint(f"status IN ({enum_check(OfferStatus)})", name="status"),
        UniqueConstraint("slot_id", "entry_id", name="uq_waitlist_offer_once"),
        # One patient at a time: a slot has at most one offer waiting for an answer ...
        Index(
            "uq_waitlist_offer_one_open",
            "slot_id",
            unique=True,
            postgresql_where=text("status = 'offered'"),
        ),
        # ... and at most one taker.
        Index(
            "uq_waitlist_offer_one_taker",
            "slot_id",
            unique=True,
            postgresql_where=text("status = 'accepted'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("freed_slot.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entry.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=OfferStatus.OFFERED.value)
    offered_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime | None]
    offered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))  # by hand
    created_at: Mapped[dt.datetime] = created_at_column()
