"""Closures: days on which the whole clinic or one room takes no bookings.

Public holidays, maintenance, training days: a name, a first and last day (whole
days in the clinic's time zone) and optionally a room; a country's public holidays
come from the ``holidays`` package, for the clinic's country (its phone country).
The slot finder and booking leave them out (:mod:`.opening`), the appointment book
shades them. Adding one does not move bookings already made on those days: the
manager is told how many there are. Every change is audited and announced on the catalogue channel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mic_desktop.models import SLOT_RELEASING_STATUSES, Appointment, Closure, Room
from mic_desktop.services.errors import NotFoundError, ValidationError
from mic_desktop.services.formats import format_date, local_day_bounds
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.records import clinic_settings, clinic_zone
from mic_desktop.services.scheduling.rooms import RoomAdminService

MAX_CLOSURE_DAYS = 366


@dataclass(frozen=True)
class ClosureInfo:
    id: int
    name: str
    first_day: dt.date
    last_day: dt.date
    room_id: int | None  # None: the whole clinic
    room_name: str | None
    bookings: int = 0  # live appointments on those days (when asked for)

    @property
    def where(self) -> str:
        return self.room_name or "Whole clinic"

    @property
    def days_text(self) -> str:
        if self.first_day == self.last_day:
            return format_date(self.first_day)
        return f"{format_date(self.first_day)} – {format_date(self.last_day)}"


def closures_between(session: Session, first: dt.date, last: dt.date) -> list[ClosureInfo]:
    """Closures touching the days ``first`` to ``last``, in date order."""
    rows = session.scalars(
        select(Closure)
        .where(Closure.first_day <= last, Closure.last_day >= first)
        .order_by(Closure.first_day, Closure.id)
    ).all()
    return [_info(row) for row in rows]


class ClosureAdminService(RoomAdminService):
    """The manager's closures."""

    def closures(self, *, since: dt.date | None = None) -> list[ClosureInfo]:
        """Closures ending on or after ``since`` (all when None), with their bookings."""
        with self._sessions() as session:
            query = select(Closure).order_by(Closure.first_day, Closure.id)
            if since is not None:
                query = query.where(Closure.last_day >= since)
            zone = clinic_zone(session)
            return [_info(row, _bookings(session, row, zone)) for row in session.scalars(query)]

    def add_closure(
        self,
        name: str,
        first_day: dt.date,
        last_day: dt.date | None = None,
        *,
        room_id: int | None = None,
    ) -> ClosureInfo:
        name = name.strip()
        if not name or len(name) > 120:
            raise ValidationError("Name the closure (e.g. Christmas Day; 120 characters).", "name")
        last_day = last_day or first_day
        if last_day < first_day:
            raise ValidationError("The last day comes before the first.", "last_day")
        if (last_day - first_day).days >= MAX_CLOSURE_DAYS:
            raise ValidationError("A closure lasts a year at most.", "last_day")
        with self._sessions.begin() as session:
            room = session.get(Room, room_id) if room_id is not None else None
            if room_id is not None and room is None:
                raise ValidationError("That room no longer exists.", "room")
            row = Closure(name=name, first_day=first_day, last_day=last_day, room_id=room_id)
            session.add(row)
            session.flush()
            session.refresh(row)
            self._audit(
                session,
                "closure_added",
                "closure",
                row.id,
                {
                    "name": name,
                    "first_day": first_day.isoformat(),
                    "last_day": last_day.isoformat(),
                    "room": room.name if room else None,
                },
            )
            notify(session, LiveChannel.CATALOGUE, f"closure:{row.id}")
            return _info(row, _bookings(session, row, clinic_zone(session)))

    def add_public_holidays(self, first_day: dt.date, last_day: dt.date) -> list[ClosureInfo]:
        """The public holidays of the clinic's country (its phone country) in these days,
        as clinic-wide closures; a holiday already listed for its day is left alone."""
        import holidays  # a few MB of country tables: only when asked

        with self._sessions.begin() as session:
            country = clinic_settings(session).phone_region
            try:
                found = holidays.country_holidays(
                    country, years=range(first_day.year, last_day.year + 1)
                )
            except NotImplementedError:
                raise ValidationError(
                    f"There is no public-holiday list for the clinic's country ({country}); "
                    "add its holidays one by one.",
                    "country",
                ) from None
            taken = set(
                session.execute(
                    select(Closure.first_day, Closure.name).where(
                        Closure.room_id.is_(None),
                        Closure.first_day >= first_day,
                        Closure.first_day <= last_day,
                    )
                ).all()
            )
            rows = [
                Closure(name=name[:120], first_day=day, last_day=day, room_id=None)
                for day, name in sorted(found.items())
                if first_day <= day <= last_day and (day, name[:120]) not in taken
            ]
            session.add_all(rows)
            session.flush()
            if rows:
                self._audit(
                    session,
                    "public_holidays_added",
                    "closure",
                    rows[0].id,
                    {"country": country, "days": [f"{r.first_day} {r.name}" for r in rows]},
                )
                notify(session, LiveChannel.CATALOGUE, "closures")
            zone = clinic_zone(session)
            return [_info(row, _bookings(session, row, zone)) for row in rows]

    def remove_closure(self, closure_id: int) -> None:
        with self._sessions.begin() as session:
            row = session.get(Closure, closure_id)
            if row is None:
                raise NotFoundError("That closure no longer exists; reload the list.")
            info = _info(row)
            session.delete(row)
            self._audit(
                session,
                "closure_removed",
                "closure",
                closure_id,
                {"name": info.name, "days": info.days_text, "room": info.room_name},
            )
            notify(session, LiveChannel.CATALOGUE, f"closure:{closure_id}")


def _info(row: Closure, bookings: int = 0) -> ClosureInfo:
    return ClosureInfo(
        row.id,
        row.name,
        row.first_day,
        row.last_day,
        row.room_id,
        row.room.name if row.room else None,
        bookings,
    )


def _bookings(session: Session, row: Closure, zone: dt.tzinfo) -> int:
    start = local_day_bounds(row.first_day, zone)[0]  # type: ignore[arg-type]
    end = local_day_bounds(row.last_day, zone)[1]  # type: ignore[arg-type]
    query = select(func.count()).where(
        Appointment.start_at < end,
        Appointment.end_at > start,
        Appointment.status.not_in([s.value for s in SLOT_RELEASING_STATUSES]),
    )
    if row.room_id is not None:
        query = query.where(Appointment.room_id == row.room_id)
    return session.scalar(query) or 0
