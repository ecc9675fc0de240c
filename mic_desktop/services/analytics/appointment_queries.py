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

# -- room utilisation -----------------------------------------------------------------


def utilisation_chart(session: Session, ctx: QueryContext) -> UtilisationChart:
    period = ctx.period
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
    overlap = func.least(Appointment.end_at, ctx.end) - func.greatest(
        Appointment.start_at, ctx.start
    )
    booked_minutes = (
        select(
            Appointment.room_id.label("room_id"),
            cast(func.sum(func.extract("epoch", overlap) / 60), Integer).label("minutes"),
        )
        .where(
            holds_slot(),
            Appointment.start_at < ctx.end,
            Appointment.end_at > ctx.start,
            # Lets the start_at index bound the scan: no appointment lasts a day.
            Appointment.start_at > ctx.start - dt.timedelta(days=1),
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
    rows = session.execute(ctx.by_modality(query, Room.modality_id)).all()
    return UtilisationChart(
        "Room utilisation",
        DEFINITION_UTILISATION,
        tuple(RoomUtilisation(*row) for row in rows),
    )
