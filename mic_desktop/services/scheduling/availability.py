"""When radiologists work: their weekly availability and their leave, kept by the manager.

Availability is a set of weekly periods in the clinic's time zone; saving replaces
the whole week. Leave is a period between two instants (whole days are the clinic's
midnights); overlapping leave is refused, and adding leave says how many booked
appointments with that radiologist fall inside it, so reception can be asked to
move them. Edits of one radiologist's schedule are serialised by locking their
staff row. Every change is audited and announced on the schedule channel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mic_desktop.models import (
    SLOT_RELEASING_STATUSES,
    Appointment,
    RadiologistAvailability,
    RadiologistLeave,
    Role,
    StaffUser,
)
from mic_desktop.services.base import ManagerService
from mic_desktop.services.errors import NotFoundError, ValidationError
from mic_desktop.services.formats import format_datetime
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.records import clinic_zone, utc

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_LEAVE = dt.timedelta(days=366)


@dataclass(frozen=True)
class WeeklyPeriod:
    """Working on ``weekday`` (0 = Monday) from ``starts_at`` to ``ends_at``, clinic time."""

    weekday: int
    starts_at: dt.time
    ends_at: dt.time


@dataclass(frozen=True)
class LeaveInfo:
    id: int
    radiologist_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str | None
    affected_appointments: int  # booked with this radiologist inside the leave


@dataclass(frozen=True)
class RadiologistSchedule:
    radiologist_id: int
    full_name: str
    is_active: bool
    availability: tuple[WeeklyPeriod, ...]
    leave: tuple[LeaveInfo, ...]  # ending after the moment asked about, soonest first


class RadiologistScheduleService(ManagerService):
    """Weekly availability and leave of the radiologists."""

    def radiologists(self) -> list[RadiologistSchedule]:
        """Every radiologist with the week and the leave still to come."""
        now = self._clock()
        with self._sessions() as session:
            people = session.scalars(
                select(StaffUser)
                .where(StaffUser.role == Role.RADIOLOGIST.value)
                .order_by(StaffUser.is_active.desc(), StaffUser.full_name)
            ).all()
            return [self._schedule(session, person, now) for person in people]

    def schedule(
        self, radiologist_id: int, *, leave_from: dt.datetime | None = None
    ) -> RadiologistSchedule:
        with self._sessions() as session:
            person = _radiologist(session, radiologist_id)
            return self._schedule(session, person, leave_from or self._clock())

    def set_availability(
        self, radiologist_id: int, periods: Sequence[WeeklyPeriod]
    ) -> RadiologistSchedule:
        """Replace the radiologist's working week."""
        checked = _checked_week(periods)
        with self._sessions.begin() as session:
            person = _radiologist(session, radiologist_id, lock=True)
            before = [_period_text(p) for p in self._week(session, person.id)]
            session.execute(
                delete(RadiologistAvailability).where(
                    RadiologistAvailability.radiologist_id == person.id
                )
            )
            session.add_all(
                RadiologistAvailability(
                    radiologist_id=person.id,
                    weekday=p.weekday,
                    starts_at=p.starts_at,
                    ends_at=p.ends_at,
                )
                for p in checked
            )
            session.flush()
            self._audit(
                session,
                "radiologist_availability_changed",
                "staff_user",
                person.id,
                {
                    "radiologist": person.full_name,
                    "before": before,
                    "after": [_period_text(p) for p in checked],
                },
            )
            notify(session, LiveChannel.SCHEDULE, person.id)
            return self._schedule(session, person, self._clock())

    def add_leave(
        self,
        radiologist_id: int,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        reason: str | None = None,
    ) -> LeaveInfo:
        try:
            start, end = utc(starts_at), utc(ends_at)
        except ValueError:
            raise ValidationError(
                "Give the leave's start and end with a time zone.", "starts_at"
            ) from None
        if end <= start:
            raise ValidationError("The leave ends before it starts.", "ends_at")
        if end - start > MAX_LEAVE:
            raise ValidationError("Enter leave of at most a year at a time.", "ends_at")
        reason = (reason or "").strip() or None
        if reason is not None and len(reason) > 200:
            raise ValidationError("Keep the reason under 200 characters.", "reason")
        with self._sessions.begin() as session:
            person = _radiologist(session, radiologist_id, lock=True)
            clash = session.execute(
                select(RadiologistLeave.starts_at, RadiologistLeave.ends_at).where(
                    RadiologistLeave.radiologist_id == person.id,
                    RadiologistLeave.starts_at < end,
                    RadiologistLeave.ends_at > start,
                )
            ).first()
            if clash is not None:
                zone = clinic_zone(session)
                raise ValidationError(
                    f"{person.full_name} is already on leave from "
                    f"{format_datetime(clash[0], zone)} to {format_datetime(clash[1], zone)}.",
                    "starts_at",
                )
            row = RadiologistLeave(
                radiologist_id=person.id, starts_at=start, ends_at=end, reason=reason
            )
            session.add(row)
            session.flush()
            info = _leave_info(session, row)
            self._audit(
                session,
                "radiologist_leave_added",
                "staff_user",
                person.id,
                {
                    "radiologist": person.full_name,
                    "leave_id": row.id,
                    "starts_at": start.isoformat(),
                    "ends_at": end.isoformat(),
                    "affected_appointments": info.affected_appointments,
                },
            )
            notify(session, LiveChannel.SCHEDULE, person.id)
            return info

    def remove_leave(self, leave_id: int) -> None:
        with self._sessions.begin() as session:
            row = session.get(RadiologistLeave, leave_id)
            if row is None:
                raise NotFoundError("That leave was already removed; reload the list.")
            person = _radiologist(session, row.radiologist_id, lock=True)
            details = {
                "radiologist": person.full_name,
                "leave_id": row.id,
                "starts_at": row.starts_at.isoformat(),
                "ends_at": row.ends_at.isoformat(),
            }
            session.delete(row)
            session.flush()
            self._audit(session, "radiologist_leave_removed", "staff_user", person.id, details)
            notify(session, LiveChannel.SCHEDULE, person.id)

    # -- helpers ------------------------------------------------------------------------

    def _week(self, session: Session, radiologist_id: int) -> list[WeeklyPeriod]:
        rows = session.execute(
            select(
                RadiologistAvailability.weekday,
                RadiologistAvailability.starts_at,
                RadiologistAvailability.ends_at,
            )
            .where(RadiologistAvailability.radiologist_id == radiologist_id)
            .order_by(RadiologistAvailability.weekday, RadiologistAvailability.starts_at)
        ).all()
        return [WeeklyPeriod(*row) for row in rows]

    def _schedule(
        self, session: Session, person: StaffUser, leave_from: dt.datetime
    ) -> RadiologistSchedule:
        leave = session.scalars(
            select(RadiologistLeave)
            .where(
                RadiologistLeave.radiologist_id == person.id, RadiologistLeave.ends_at > leave_from
            )
            .order_by(RadiologistLeave.starts_at)
        ).all()
        return RadiologistSchedule(
            person.id,
            person.full_name,
            person.is_active,
            tuple(self._week(session, person.id)),
            tuple(_leave_info(session, row) for row in leave),
        )


def _radiologist(session: Session, staff_id: int, *, lock: bool = False) -> StaffUser:
    person = session.get(StaffUser, staff_id, with_for_update=lock or None)
    if person is None or person.role != Role.RADIOLOGIST.value:
        raise NotFoundError("That radiologist's account no longer exists; reload the list.")
    return person


def _leave_info(session: Session, row: RadiologistLeave) -> LeaveInfo:
    affected = session.scalar(
        select(func.count()).where(
            Appointment.radiologist_id == row.radiologist_id,
            Appointment.start_at < row.ends_at,
            Appointment.end_at > row.starts_at,
            Appointment.status.not_in([s.value for s in SLOT_RELEASING_STATUSES]),
        )
    )
    return LeaveInfo(
        row.id, row.radiologist_id, row.starts_at, row.ends_at, row.reason, affected or 0
    )


def _checked_week(periods: Sequence[WeeklyPeriod]) -> list[WeeklyPeriod]:
    ordered = sorted(periods, key=lambda p: (p.weekday, p.starts_at))
    for i, period in enumerate(ordered):
        if not 0 <= period.weekday <= 6:
            raise ValidationError("Choose a day of the week.", "weekday")
        day = WEEKDAYS[period.weekday]
        if period.ends_at <= period.starts_at:
            raise ValidationError(f"On {day} the working period ends before it starts.", "ends_at")
        previous = ordered[i - 1] if i else None
        if previous and previous.weekday == period.weekday and period.starts_at < previous.ends_at:
            raise ValidationError(f"Two working periods overlap on {day}.", "starts_at")
    return ordered


def _period_text(period: WeeklyPeriod) -> str:
    return f"{WEEKDAYS[period.weekday][:3]} {period.starts_at:%H:%M}-{period.ends_at:%H:%M}"
