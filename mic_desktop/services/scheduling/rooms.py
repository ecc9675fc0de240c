"""Rooms and their weekly opening hours, kept by the manager.

Rooms are deactivated, not deleted (appointments point at them), and not while
they still have bookings ahead. Saving a room's opening hours replaces its whole
week, and the room's version moves on with them. Every change is audited and
announced on the catalogue channel.

:class:`RoomAdminService` is also the base of the manager's catalogue
(:class:`~mic_desktop.services.admin.catalogue.FacilityAdminService`), which adds
the scan types and their prices and shares the row lock, the modality check and
the change list kept here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from mic_desktop.models import (
    SLOT_RELEASING_STATUSES,
    Appointment,
    Modality,
    Room,
    RoomOpeningHours,
)
from mic_desktop.services.base import ManagerService, lock_row
from mic_desktop.services.errors import NotFoundError, ValidationError
from mic_desktop.services.formats import format_datetime
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.records import check_version, clinic_zone

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class OpeningPeriod:
    """A room open on ``weekday`` (0 = Monday) from ``opens_at`` to ``closes_at``."""

    weekday: int
    opens_at: dt.time
    closes_at: dt.time

    @property
    def minutes(self) -> int:
        start = self.opens_at.hour * 60 + self.opens_at.minute
        return end_minutes(self.closes_at) - start

    @property
    def all_day(self) -> bool:
        return self.opens_at == MIDNIGHT and self.closes_at == MIDNIGHT


MIDNIGHT = dt.time(0, 0)
"""As ``closes_at``: midnight at the end of the day (so 00:00-00:00 is open 24 hours)."""


def end_minutes(closes_at: dt.time) -> int:
    """Minutes from the day's start to a closing time (00:00 is midnight at the end: 1440)."""
    return closes_at.hour * 60 + closes_at.minute or 24 * 60


def closing_text(closes_at: dt.time) -> str:
    return "24:00" if closes_at == MIDNIGHT else f"{closes_at:%H:%M}"


@dataclass(frozen=True)
class RoomInfo:
    id: int
    name: str
    modality_id: int
    modality: str
    is_active: bool
    sort_order: int
    opening_hours: tuple[OpeningPeriod, ...]
    version: int

    @property
    def open_minutes_per_week(self) -> int:
        return sum(period.minutes for period in self.opening_hours)


class RoomAdminService(ManagerService):
    """Rooms and their opening hours."""

    def rooms(self) -> list[RoomInfo]:
        with self._sessions() as session:
            rows = session.scalars(select(Room).order_by(Room.sort_order, Room.name)).all()
            return [_room_info(row) for row in rows]

    def add_room(self, name: str, modality_id: int, *, sort_order: int = 0) -> RoomInfo:
        name = _room_name(name)
        with self._sessions.begin() as session:
            self._modality(session, modality_id)
            _refuse_taken_room(session, name, None)
            row = Room(name=name, modality_id=modality_id, sort_order=sort_order)
            session.add(row)
            session.flush()
            self._audit(session, "room_added", "room", row.id, {"name": name})
            notify(session, LiveChannel.CATALOGUE, f"room:{row.id}")
            session.refresh(row)
            return _room_info(row)

    def update_room(
        self,
        room_id: int,
        *,
        name: str,
        modality_id: int,
        is_active: bool,
        sort_order: int,
        expected_version: int,
    ) -> RoomInfo:
        name = _room_name(name)
        with self._sessions.begin() as session:
            row = self._locked(session, Room, room_id, "That room")
            check_version(
                session, row.version, expected_version, f"The room {row.name}", "room", row.id
            )
            self._modality(session, modality_id, row.modality_id)
            _refuse_taken_room(session, name, row.id)
            if row.is_active and not is_active:
                self._refuse_bookings_ahead(session, row)
            changes = self._changes(
                row,
                {
                    "name": name,
                    "modality_id": modality_id,
                    "is_active": is_active,
                    "sort_order": sort_order,
                },
            )
            if changes:
                for field, (_old, new) in changes.items():
                    setattr(row, field, new)
                session.flush()
                self._audit(session, "room_changed", "room", row.id, self._jsonable(changes))
                notify(session, LiveChannel.CATALOGUE, f"room:{row.id}")
            session.refresh(row)
            return _room_info(row)

    def set_opening_hours(
        self, room_id: int, periods: Sequence[OpeningPeriod], *, expected_version: int
    ) -> RoomInfo:
        """Replace the room's weekly opening hours (the room's version moves on)."""
        checked = _checked_periods(periods)
        with self._sessions.begin() as session:
            row = self._locked(session, Room, room_id, "That room")
            check_version(
                session,
                row.version,
                expected_version,
                f"The opening hours of {row.name}",
                "room",
                row.id,
            )
            before = [_period_text(p) for p in _room_info(row).opening_hours]
            row.opening_hours.clear()
            session.flush()
            for period in checked:
                row.opening_hours.append(
                    RoomOpeningHours(
                        weekday=period.weekday,
                        opens_at=period.opens_at,
                        closes_at=period.closes_at,
                    )
                )
            flag_modified(row, "name")  # the room's version counts its hours too
            session.flush()
            self._audit(
                session,
                "room_opening_hours_changed",
                "room",
                row.id,
                {"before": before, "after": [_period_text(p) for p in checked]},
            )
            notify(session, LiveChannel.CATALOGUE, f"room:{row.id}")
            session.refresh(row)
            return _room_info(row)

    def _refuse_bookings_ahead(self, session: Session, room: Room) -> None:
        now = self._clock()
        ahead = session.execute(
            select(func.count(), func.min(Appointment.start_at)).where(
                Appointment.room_id == room.id,
                Appointment.start_at >= now,
                Appointment.status.not_in([s.value for s in SLOT_RELEASING_STATUSES]),
            )
        ).one()
        if ahead[0]:
            first = format_datetime(ahead[1], clinic_zone(session))
            raise ValidationError(
                f"{room.name} still has {ahead[0]} booking{'s' if ahead[0] != 1 else ''} "
                f"ahead (the first on {first}): move or cancel them before closing the room.",
                "is_active",
            )

    # -- shared with the catalogue ----------------------------------------------------------

    @staticmethod
    def _locked(session: Session, model: type, record_id: int, what: str) -> Any:
        """The row locked for the change, or NotFoundError when it was removed meanwhile."""
        row = lock_row(session, model, record_id)
        if row is None:
            raise NotFoundError(f"{what} no longer exists; reload the list.")
        return row

    @staticmethod
    def _modality(session: Session, modality_id: int, current: int | None = None) -> Modality:
        """The modality; a disabled one only when the record already has it."""
        row = session.get(Modality, modality_id) if modality_id is not None else None
        if row is None:
            raise ValidationError(
                "Choose a modality (add the clinic's on the Modalities page first).", "modality"
            )
        if not row.is_active and modality_id != current:
            raise ValidationError(f"The modality {row.code} is disabled.", "modality")
        return row

    @staticmethod
    def _changes(row: object, values: dict[str, object]) -> dict[str, tuple[object, object]]:
        """The fields whose new value differs from the row's: name -> (old, new)."""
        return {
            name: (getattr(row, name), value)
            for name, value in values.items()
            if getattr(row, name) != value
        }

    @staticmethod
    def _jsonable(changes: dict[str, tuple[object, object]]) -> dict[str, object]:
        return {name: {"from": str(old), "to": str(new)} for name, (old, new) in changes.items()}


def _room_info(row: Room) -> RoomInfo:
    hours = sorted(
        (OpeningPeriod(h.weekday, h.opens_at, h.closes_at) for h in row.opening_hours),
        key=lambda p: (p.weekday, p.opens_at),
    )
    return RoomInfo(
        row.id,
        row.name,
        row.modality_id,
        row.modality.code,
        row.is_active,
        row.sort_order,
        tuple(hours),
        row.version,
    )


def _room_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationError("Enter the room's name (80 characters at most).", "name")
    return name


def _refuse_taken_room(session: Session, name: str, own_id: int | None) -> None:
    taken = session.scalar(select(Room.id).where(func.lower(Room.name) == name.lower()))
    if taken is not None and taken != own_id:
        raise ValidationError(f"There is already a room called {name}.", "name")


def _checked_periods(periods: Sequence[OpeningPeriod]) -> list[OpeningPeriod]:
    ordered = sorted(periods, key=lambda p: (p.weekday, p.opens_at))
    for i, period in enumerate(ordered):
        if not 0 <= period.weekday <= 6:
            raise ValidationError("Choose a day of the week.", "weekday")
        day = WEEKDAYS[period.weekday]
        opens = period.opens_at.hour * 60 + period.opens_at.minute
        if end_minutes(period.closes_at) <= opens:
            raise ValidationError(f"On {day} the room closes before it opens.", "closes_at")
        previous = ordered[i - 1] if i else None
        if (
            previous
            and previous.weekday == period.weekday
            and opens < end_minutes(previous.closes_at)
        ):
            raise ValidationError(f"Two opening periods overlap on {day}.", "opens_at")
    return ordered


def _period_text(period: OpeningPeriod) -> str:
    day = WEEKDAYS[period.weekday][:3]
    return f"{day} {period.opens_at:%H:%M}-{closing_text(period.closes_at)}"
