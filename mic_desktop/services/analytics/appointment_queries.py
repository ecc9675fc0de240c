"""The appointment charts' queries: volume against a year earlier, scan-type popularity,
attendance (completions, no-shows, late cancellations) and room utilisation.

Each function reads one chart inside the caller's snapshot, aggregated in PostgreSQL,
counting what :mod:`.counting` defines.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, Select, and_, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from mic_desktop.models import (
    Appointment,
    AppointmentStatus,
    Modality,
    Room,
    RoomOpeningHours,
    ScanType,
)
from mic_desktop.services.analytics.appointment_results import (
    AttendanceChart,
    AttendancePoint,
    PopularityChart,
    RoomUtilisation,
    ScanTypeCount,
    UtilisationChart,
    VolumeChart,
    VolumePoint,
)
from mic_desktop.services.analytics.counting import (
    CANCELLED,
    DEFINITION_APPOINTMENTS,
    DEFINITION_COMPLETION_RATE,
    DEFINITION_DUE,
    DEFINITION_LATE_CANCELLATION_RATE,
    DEFINITION_NO_SHOW_RATE,
    DEFINITION_UTILISATION,
    QueryContext,
    bucket_labels,
    counts_as_appointment,
    holds_slot,
    is_due,
    is_late_cancellation,
    starts_between,
)

# -- appointment volume ---------------------------------------------------------------


def volume_chart(session: Session, ctx: QueryContext) -> VolumeChart:
    period = ctx.period
    earlier = period.year_earlier()
    earlier_start, earlier_end = earlier.bounds(ctx.zone)
    days, years = period.comparison_shift
    local = ctx.local(Appointment.start_at)

    def branch(is_earlier: int, start: dt.datetime, end: dt.datetime, shift) -> Select:  # type: ignore[no-untyped-def,type-arg]
        query = (
            select(literal(is_earlier).label("earlier"), (local + shift).label("moment"))
            .join(ScanType, ScanType.id == Appointment.scan_type_id)
            .where(starts_between(start, end), counts_as_appointment())
        )
        return ctx.by_modality(query, ScanType.modality_id)

    both = union_all(
        branch(0, ctx.start, ctx.end, func.make_interval(0)),
        # Moved forward onto this period's calendar, so it falls in the matching bucket.
        branch(1, earlier_start, earlier_end, func.make_interval(years, 0, 0, days)),
    ).subquery()
    bucket = ctx.bucket_of(both.c.moment).label("bucket")
    rows = session.execute(
        select(bucket, both.c.earlier, func.count()).group_by("bucket", both.c.earlier)
    ).all()
    counts: dict[tuple[dt.date, int], int] = {(row[0], row[1]): row[2] for row in rows}
    points = tuple(
        VolumePoint(start, label, counts.get((start, 0), 0), counts.get((start, 1), 0))
        for start, label in bucket_labels(period)
    )
    definition = (
        f"{DEFINITION_APPOINTMENTS}; compared with {period.comparison_label} "
        f"({earlier.dates_label})"
    )
    return VolumeChart(
        "Appointment volume", definition, period.bucket, earlier, period.comparison_label, points
    )


# -- scan-type popularity -------------------------------------------------------------


def popularity_chart(session: Session, ctx: QueryContext) -> PopularityChart:
    count = func.count(Appointment.id).label("appointments")
    query = (
        select(ScanType.id, ScanType.code, ScanType.name, Modality.code, count)
        .select_from(Appointment)
        .join(ScanType, ScanType.id == Appointment.scan_type_id)
        .join(Modality, Modality.id == ScanType.modality_id)
        .where(starts_between(ctx.start, ctx.end), counts_as_appointment())
        .group_by(ScanType.id, ScanType.code, ScanType.name, Modality.code)
        .order_by(count.desc(), ScanType.name)
    )
    rows = session.execute(ctx.by_modality(query, ScanType.modality_id)).all()
    definition = (
        f"share = appointments of the scan type / all appointments; {DEFINITION_APPOINTMENTS}"
    )
    return PopularityChart(
        "Scan-type popularity", definition, tuple(ScanTypeCount(*row) for row in rows)
    )


# -- attendance -----------------------------------------------------------------------


def attendance_chart(session: Session, ctx: QueryContext) -> AttendanceChart:
    status = Appointment.status
    due = is_due(ctx.now)
    bucket = ctx.bucket_of(ctx.local(Appointment.start_at)).label("bucket")
    query = (
        select(
            bucket,
            func.count(),
            func.count().filter(counts_as_appointment()),
            func.count().filter(due),
            func.count().filter(due, status == AppointmentStatus.COMPLETED.value),
            func.count().filter(due, status == AppointmentStatus.NO_SHOW.value),
            func.count().filter(status == CANCELLED),
            func.count().filter(is_late_cancellation()),
        )
        .join(ScanType, ScanType.id == Appointment.scan_type_id)
        .where(starts_between(ctx.start, ctx.end))
        .group_by("bucket")
    )
    rows = {
        row[0]: row[1:] for row in session.execute(ctx.by_modality(query, ScanType.modality_id))
    }
    zeros = (0,) * 7
    points = tuple(
        AttendancePoint(start, label, *rows.get(start, zeros))
        for start, label in bucket_labels(ctx.period)
    )
    total = AttendancePoint(
        None,
        "Whole period",
        *(sum(getattr(p, name) for p in points) for name in _ATTENDANCE_COUNTS),
    )
    definition = "; ".join(
        (
            DEFINITION_COMPLETION_RATE,
            DEFINITION_NO_SHOW_RATE,
            DEFINITION_LATE_CANCELLATION_RATE.format(hours=ctx.late_cancellation_hours),
            DEFINITION_DUE,
        )
    )
    return AttendanceChart(
        "Completions, no-shows and late cancellations",
        definition,
        ctx.period.bucket,
        points,
        total,
    )


_ATTENDANCE_COUNTS = (
    "booked",
    "appointments",
    "due",
    "completed",
    "no_shows",
    "cancelled",
    "late_cancellations",
)

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
    opening_minutes = (
        func.extract("epoch", RoomOpeningHours.closes_at - RoomOpeningHours.opens_at) / 60
    )
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
