"""The room utilisation chart's query: booked minutes over open minutes per room.

It reads, inside the caller's snapshot, the appointments that overlap the period and
the rooms' opening hours, counting what :mod:`.counting` defines. The other appointment
charts come from the daily roll-up (:mod:`.appointment_counts`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from mic_desktop.models import Appointment, Modality, Room, RoomOpeningHours
from mic_desktop.services.analytics.appointment_results import RoomUtilisation, UtilisationChart
from mic_desktop.services.analytics.counting import DEFINITION_UTILISATION, QueryContext, holds_slot
from mic_desktop.services.analytics.periods import Period

# -- room utilisation -----------------------------------------------------------------


def utilisation_chart(session: Session, ctx: QueryContext) -> UtilisationChart:
    """Up to today against the open hours up to today; the days ahead on their own."""
    period = ctx.period
    today = ctx.now.astimezone(ctx.zone).date()
    elapsed = period.elapsed(today)
    rows = _room_minutes(session, ctx, elapsed) if elapsed is not None else []
    ahead: dict[int, tuple[int, int]] = {}
    if today < period.last_day:
        after = Period.custom(max(today + dt.timedelta(days=1), period.first_day), period.last_day)
        later = _room_minutes(session, ctx, after)
        ahead = {row[0]: (row[3], row[4]) for row in later}
        known = {row[0] for row in rows}
        rows += [(*row[:3], 0, 0) for row in later if row[0] not in known]
    span = elapsed.dates_label if elapsed is not None else "none yet"
    return UtilisationChart(
        "Room utilisation",
        f"{DEFINITION_UTILISATION}; days up to today ({span}); the days ahead as booked ahead",
        tuple(RoomUtilisation(*row, *ahead.get(row[0], (0, 0))) for row in rows),
    )


def _room_minutes(session: Session, ctx: QueryContext, period: Period) -> list[tuple]:  # type: ignore[type-arg]
    """Per room: id, name, modality, open and booked minutes on the days of ``period``."""
    start, end = period.bounds(ctx.zone)
    day = (
        func.generate_series(
            cast(literal(period.first_day), DateTime()),
            cast(literal(period.last_day), DateTime()),
            func.make_interval(0, 0, 0, 1),
        )
        .table_valued("day")
        .render_derived()
    )
    opening_minutes = func.extract(
        "epoch", RoomOpeningHours.closes_at - RoomOpeningHours.opens_at
    ) / 60 + case((RoomOpeningHours.closes_at == dt.time(0), 1440), else_=0)  # ends at 24:00
    open_minutes = (
        select(
            RoomOpeningHours.room_id.label("room_id"),
            cast(func.sum(opening_minutes), Integer).label("minutes"),
        )
        .select_from(day)
        .join(
            RoomOpeningHours,
            RoomOpeningHours.weekday == cast(func.extract("isodow", day.c.day), Integer) - 1,
        )
        .group_by(RoomOpeningHours.room_id)
        .subquery()
    )
    overlap = func.least(Appointment.end_at, end) - func.greatest(Appointment.start_at, start)
    booked_minutes = (
        select(
            Appointment.room_id.label("room_id"),
            cast(func.sum(func.extract("epoch", overlap) / 60), Integer).label("minutes"),
        )
        .where(
            holds_slot(),
            Appointment.start_at < end,
            Appointment.end_at > start,
            # Lets the start_at index bound the scan: no appointment lasts a day.
            Appointment.start_at > start - dt.timedelta(days=1),
        )
        .group_by(Appointment.room_id)
        .subquery()
    )
    opened = func.coalesce(open_minutes.c.minutes, 0)
    booked = func.coalesce(booked_minutes.c.minutes, 0)
    query = (
        select(Room.id, Room.name, Modality.code, opened, booked)
        .join(Modality, Modality.id == Room.modality_id)
        .outerjoin(open_minutes, open_minutes.c.room_id == Room.id)
        .outerjoin(booked_minutes, booked_minutes.c.room_id == Room.id)
        .where(or_(booked > 0, and_(Room.is_active, opened > 0)))
        .order_by(Room.sort_order, Room.name)
    )
    return [tuple(row) for row in session.execute(ctx.by_modality(query, Room.modality_id))]
