"""Modalities, rooms with opening hours, closures, scan types with price history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mic_desktop.models.base import Base, Money, created_at_column


class Modality(Base):
    __tablename__ = "modality"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # XR, CT, MR, US, MG ...
    name: Mapped[str] = mapped_column(String(80))
    # Whether a radiologist must be on site while this modality scans (e.g. contrast CT).
    needs_radiologist_on_site: Mapped[bool] = mapped_column(default=False)
    # An inactive modality keeps its rooms and scan types but offers no new ones.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))


class Room(Base):
    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    modality_id: Mapped[int] = mapped_column(ForeignKey("modality.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)

    modality: Mapped[Modality] = relationship(lazy="joined")
    opening_hours: Mapped[list[RoomOpeningHours]] = relationship(
        back_populates="room", cascade="all, delete-orphan", order_by="RoomOpeningHours.weekday"
    )

    __mapper_args__ = {"version_id_col": version}


class RoomOpeningHours(Base):
    """One opening period of a room on a weekday (0 = Monday), in the clinic's time zone.

    ``closes_at`` 00:00 means midnight at the end of the day, so 00:00-00:00 is open
    24 hours; a period ending at midnight joins the next day's period starting at 00:00.
    """

    __tablename__ = "room_opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("closes_at > opens_at OR closes_at = '00:00'", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    opens_at: Mapped[dt.time]
    closes_at: Mapped[dt.time]

    room: Mapped[Room] = relationship(back_populates="opening_hours")


class Closure(Base):
    """Days on which the whole clinic (``room_id`` NULL) or one room takes no bookings."""

    __tablename__ = "closure"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    first_day: Mapped[dt.date] = mapped_column(index=True)
    last_day: Mapped[dt.date]
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = created_at_column()

    room: Mapped[Room | None] = relationship(lazy="joined")


class ScanType(Base):
    __tablename__ = "scan_type"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration"),
        CheckConstraint("price >= 0", name="price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    modality_id: Mapped[int] = mapped_column(ForeignKey("modality.id"), index=True)
    duration_minutes: Mapped[int]
    price: Mapped[Money]
    preparation: Mapped[str] = mapped_column(Text, default="")
    requires_preauthorisation: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    modality: Mapped[Modality] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class ScanTypePrice(Base):
    """Price history: a row per price a scan type has had, from when."""

    __tablename__ = "scan_type_price"
    __table_args__ = (UniqueConstraint("scan_type_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_type_id: Mapped[int] = mapped_column(ForeignKey("scan_type.id"), index=True)
    price: Mapped[Money]
    valid_from: Mapped[dt.datetime]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = created_at_column()
