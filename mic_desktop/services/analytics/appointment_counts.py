"""Volume, scan-type popularity and attendance from one pass over the appointments' roll-up.

:func:`appointment_counts` reads the daily roll-up (:class:`AppointmentDay`, kept by
triggers in the transaction of every change) once per dashboard: the period's days,
the days a year earlier moved onto this period's calendar, and today's appointments
whose start has passed, here and on the matching day of the comparison period (the
roll-up knows the day, not the time, and "to date" turns at the current minute). The
three charts are built from those sums, counting what :mod:`.counting` defines; a
comparison counts the same elapsed span on both sides, and bookings still ahead are
a figure of their own.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Date, DateTime, Select, cast, func, literal, select, union_all
from sqlalchemy.orm import Session

from mic_desktop.models import Appointment, AppointmentDay, AppointmentStatus, Modality, ScanType
from mic_desktop.services.analytics.appointment_results import (
    AttendanceChart,
    AttendancePoint,
    PopularityChart,
    ScanTypeCount,
    VolumeChart,
    VolumePoint,
)
from mic_desktop.services.analytics.counting import (
    CANCELLED,
    DEFINITION_APPOINTMENTS,
    DEFINITION_BOOKED_AHEAD,
    DEFINITION_COMPLETION_RATE,
    DEFINITION_DUE,
    DEFINITION_LATE_CANCELLATION_RATE,
    DEFINITION_NO_SHOW_RATE,
    QueryContext,
    bucket_labels,
    counts_as_appointment,
)

PERIOD, EARLIER, TODAY_DUE, EARLIER_TODAY = "period", "earlier", "today", "earlier_today"
COMPLETED = AppointmentStatus.COMPLETED.value
NO_SHOW = AppointmentStatus.NO_SHOW.value


@dataclass(frozen=True)
class CountRow:
    """Appointments of one bucket, scan type, status and late cancellation, from one part."""

    part: str  # PERIOD, EARLIER (moved onto the period's calendar), TODAY_DUE, EARLIER_TODAY
    bucket: dt.date
    scan_type_id: int
    status: str
    is_late_cancellation: bool
    due: bool  # PERIOD and EARLIER rows: (moved onto) a day before today: every start passed
    begun: bool  # (moved onto) today or a day before
    appointments: int


@dataclass(frozen=True)
class AppointmentCounts:
    """The sums the volume, popularity and attendance charts are built from."""

    rows: tuple[CountRow, ...]
    scan_types: tuple[tuple[int, str, str, str], ...]  # id, code, name, modality; by name


def appointment_counts(session: Session, ctx: QueryContext) -> AppointmentCounts:
    period, earlier = ctx.period, ctx.period.year_earlier()
    years, days = period.comparison_shift[1], period.comparison_shift[0]
    rollup = AppointmentDay
    today_day = ctx.now.astimezone(ctx.zone).date()
    today = literal(today_day, Date)
    forward = func.make_interval(years, 0, 0, days)

    def bucket(local: object) -> object:
        return ctx.bucket_of(local).label("bucket")  # type: ignore[arg-type]

    in_period = select(
        literal(PERIOD).label("part"),
        bucket(cast(rollup.day, DateTime)),
        rollup.scan_type_id,
        rollup.status,
        rollup.is_late_cancellation,
        (rollup.day < today).label("due"),
        (rollup.day <= today).label("begun"),
        rollup.appointments,
    ).where(rollup.day.between(period.first_day, period.last_day))
    # Moved forward onto this period's calendar, so it falls in the matching bucket.
    moved = cast(rollup.day, DateTime) + forward
    a_year_earlier = select(
        literal(EARLIER),
        bucket(moved),
        rollup.scan_type_id,
        rollup.status,
        rollup.is_late_cancellation,
        cast(moved, Date) < today,
        cast(moved, Date) <= today,
        rollup.appointments,
    ).where(rollup.day.between(earlier.first_day, earlier.last_day), rollup.status != CANCELLED)
    running = period.first_day <= today_day <= period.last_day

    def started_today(part: str, day: dt.date, until: dt.datetime, shift: object) -> Select:  # type: ignore[type-arg]
        return select(
            literal(part),
            bucket(ctx.local(Appointment.start_at) + shift),  # type: ignore[operator]
            Appointment.scan_type_id,
            Appointment.status,
            Appointment.is_late_cancellation,
            literal(True),
            literal(True),
            literal(1),
        ).where(
            Appointment.start_at >= dt.datetime.combine(day, dt.time(), ctx.zone),
            Appointment.start_at < until,
            counts_as_appointment(),
            literal(running),
        )

    due_today = started_today(TODAY_DUE, today_day, ctx.now, func.make_interval())
    due_earlier_today = started_today(
        EARLIER_TODAY,
        period.earlier_day(today_day),
        period.earlier_instant(ctx.now, ctx.zone),
        forward,
    )
    parts = union_all(in_period, a_year_earlier, due_today, due_earlier_today).subquery()
    keys = (
        parts.c.part,
        parts.c.bucket,
        parts.c.scan_type_id,
        parts.c.status,
        parts.c.is_late_cancellation,
        parts.c.due,
        parts.c.begun,
    )
    query = select(*keys, func.sum(parts.c.appointments)).group_by(*keys)
    if ctx.modality_id is not None:
        query = query.join(ScanType, ScanType.id == parts.c.scan_type_id).where(
            ScanType.modality_id == ctx.modality_id
        )
    rows = tuple(CountRow(*row) for row in session.execute(query))
    scan_types = session.execute(
        select(ScanType.id, ScanType.code, ScanType.name, Modality.code)
        .join(Modality, Modality.id == ScanType.modality_id)
        .order_by(ScanType.name)
    ).all()
    return AppointmentCounts(rows, tuple(tuple(row) for row in scan_types))  # type: ignore[misc]


# -- appointment volume ---------------------------------------------------------------


def volume_chart(ctx: QueryContext, counts: AppointmentCounts) -> VolumeChart:
    period = ctx.period
    earlier = period.year_earlier()
    today = ctx.now.astimezone(ctx.zone).date()
    totals: dict[tuple[dt.date, str], int] = defaultdict(int)
    for row in counts.rows:
        if row.status == CANCELLED:
            continue
        totals[row.bucket, "booked"] += row.appointments if row.part == PERIOD else 0
        totals[row.bucket, "earlier"] += row.appointments if row.part == EARLIER else 0
        if row.part == TODAY_DUE or (row.part == PERIOD and row.due):
            totals[row.bucket, "to_date"] += row.appointments
        if row.part == EARLIER_TODAY or (row.part == EARLIER and row.due):
            totals[row.bucket, "earlier_to_date"] += row.appointments
    points = tuple(
        VolumePoint(
            start,
            label,
            totals[start, "booked"],
            totals[start, "earlier"],
            totals[start, "to_date"] if start <= today else None,
            totals[start, "earlier_to_date"],
        )
        for start, label in bucket_labels(period)
    )
    definition = (
        f"{DEFINITION_APPOINTMENTS}; to date = started by now; change = to date against the "
        f"same span of {period.comparison_label} ({period.span_label(today)}); "
        f"{DEFINITION_BOOKED_AHEAD}"
    )
    return VolumeChart(
        "Appointment volume",
        definition,
        period.bucket,
        earlier,
        period.comparison_label,
        points,
        period.span_label(today),
    )


# -- scan-type popularity -------------------------------------------------------------


def popularity_chart(ctx: QueryContext, counts: AppointmentCounts) -> PopularityChart:
    booked: dict[int, int] = defaultdict(int)
    for row in counts.rows:
        if row.part == PERIOD and row.status != CANCELLED:
            booked[row.scan_type_id] += row.appointments
    by_name = {scan[0]: rank for rank, scan in enumerate(counts.scan_types)}
    rows = sorted(
        (ScanTypeCount(*scan, booked[scan[0]]) for scan in counts.scan_types if booked[scan[0]]),
        key=lambda row: (-row.appointments, by_name[row.scan_type_id]),
    )
    definition = (
        f"share = appointments of the scan type / all appointments; {DEFINITION_APPOINTMENTS}"
    )
    return PopularityChart("Scan-type popularity", definition, tuple(rows))


# -- attendance -----------------------------------------------------------------------


def attendance_chart(ctx: QueryContext, counts: AppointmentCounts) -> AttendanceChart:
    buckets: dict[dt.date, list[int]] = defaultdict(lambda: [0] * 9)
    for row in counts.rows:
        sums, n, status = buckets[row.bucket], row.appointments, row.status
        cancelled = status == CANCELLED
        if row.part == PERIOD:
            sums[0] += n  # booked
            if cancelled:
                sums[5] += n
                sums[6] += n if row.is_late_cancellation else 0
            else:
                sums[1] += n
            if row.begun:  # the late-cancellation rate's base: days that have begun
                sums[7] += n
                sums[8] += n if cancelled and row.is_late_cancellation else 0
        settled_today = row.part == TODAY_DUE and status in (COMPLETED, NO_SHOW)
        if not cancelled and (settled_today or (row.part == PERIOD and row.due)):
            sums[2] += n
            sums[3] += n if status == COMPLETED else 0
            sums[4] += n if status == NO_SHOW else 0
    zeros = (0,) * 9
    points = tuple(
        AttendancePoint(start, label, *buckets.get(start, zeros))
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
    "booked_so_far",
    "late_so_far",
)
