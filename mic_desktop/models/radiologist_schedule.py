"""When radiologists work: weekly availability and leave."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mic_desktop.models.base import Base


class RadiologistAvailability(Base):
    """A weekly working period (weekday 0 = Monday), in the clinic's time zone."""

    __tablename__ = "radiologist_availability"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("ends_at > starts_at", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    radiologist_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    starts_at: Mapped[dt.time]
    ends_at: Mapped[dt.time]


class RadiologistLeave(Base):
    """A period a radiologist is away (leave, conference, illness)."""

    __tablename__ = "radiologist_leave"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    radiologist_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    reason: Mapped[str | None] = mapped_column(String(200))
