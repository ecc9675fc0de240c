"""The results of the appointment charts: volume against a year earlier, scan-type
popularity, attendance (completions, no-shows, late cancellations) and room utilisation.

Each chart is a frozen dataclass carrying its series (what the figure plots), the
definition of what it counts and, through ``tables``, the numbers shown beside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from mic_desktop.services.analytics.periods import Bucket, Period
from mic_desktop.services.analytics.tables import Column, ColumnKind, Table, ratio, relative_change

# -- appointment volume ---------------------------------------------------------------


@dataclass(frozen=True)
class VolumePoint:
    """One bucket: every booking (not cancelled) and those started by now, against the
    comparison period's same bucket, whole and up to the same point in time."""

    start: dt.date
    label: str
    appointments: int
    year_earlier: int
    to_date: int | None = None  # None: the bucket has not begun
    year_earlier_to_date: int = 0

    @property
    def booked_ahead(self) -> int:
        return self.appointments - (self.to_date or 0)

    @property
    def change(self) -> float | None:
        """To date against the same span a year earlier."""
        if self.to_date is None:
            return None
        return relative_change(self.to_date, self.year_earlier_to_date)


@dataclass(frozen=True)
class VolumeChart:
    key: ClassVar[str] = "volume"
    title: str
    definition: str
    bucket: Bucket
    comparison: Period
    comparison_label: str  # "the same days 52 weeks earlier" or "the same dates a year earlier"
    points: tuple[VolumePoint, ...]
    span: str = ""  # "1–3 Dec vs 1–3 Dec 2025": what the change compares

    @property
    def total(self) -> int:
        """Every booking of the period that is not cancelled, started or not."""
        return sum(point.appointments for point in self.points)

    @property
    def to_date(self) -> int:
        return sum(point.to_date or 0 for point in self.points)

    @property
    def booked_ahead(self) -> int:
        return self.total - self.to_date

    @property
    def year_earlier_total(self) -> int:
        return sum(point.year_earlier for point in self.points)

    @property
    def year_earlier_to_date(self) -> int:
        return sum(point.year_earlier_to_date for point in self.points)

    @property
    def change(self) -> float | None:
        """Like with like: to date against the same elapsed span of the comparison."""
        return relative_change(self.to_date, self.year_earlier_to_date)

    @property
    def is_empty(self) -> bool:
        return self.total == 0 and self.year_earlier_total == 0

    def hover_texts(self) -> tuple[str, ...]:
        return tuple(
            f"{p.label}: "
            + (f"{p.to_date:,} to date" if p.to_date is not None else "not begun")
            + f", {p.booked_ahead:,} booked ahead; a year earlier {p.year_earlier:,}"
            for p in self.points
        )

    @property
    def tables(self) -> tuple[Table, ...]:
        columns = (
            Column(self.bucket.label),
            Column("To date", ColumnKind.COUNT),
            Column("Ahead", ColumnKind.COUNT),
            Column("Year earlier", ColumnKind.COUNT),  # the same span, like with like
            Column("Change", ColumnKind.CHANGE),
        )
        rows = tuple(
            (
                p.label,
                p.to_date,
                p.booked_ahead,
                p.year_earlier_to_date if p.to_date is not None else None,
                p.change,
            )
            for p in self.points
        )
        total = ("Total", self.to_date, self.booked_ahead, self.year_earlier_to_date, self.change)
        return (Table(self.title, columns, rows, total),)


# -- scan-type popularity -------------------------------------------------------------


@dataclass(frozen=True)
class ScanTypeCount:
    scan_type_id: int
    code: str
    name: str
    modality: str
    appointments: int


@dataclass(frozen=True)
class PopularityChart:
    key: ClassVar[str] = "popularity"
    title: str
    definition: str
    rows: tuple[ScanTypeCount, ...]  # most booked first

    @property
    def total(self) -> int:
        return sum(row.appointments for row in self.rows)

    def share(self, row: ScanTypeCount) -> float | None:
        return ratio(row.appointments, self.total)

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    @property
    def tables(self) -> tuple[Table, ...]:
        columns = (
            Column("Scan type"),
            Column("Modality"),
            Column("Appointments", ColumnKind.COUNT),
            Column("Share", ColumnKind.PERCENT),
        )
        rows = tuple(
            (row.name, row.modality, row.appointments, self.share(row)) for row in self.rows
        )
        total = ("Total", "", self.total, 1.0 if self.total else None)
        return (Table(self.title, columns, rows, total),)


# -- attendance: no-shows, late cancellations, completion ------------------------------


@dataclass(frozen=True)
class AttendancePoint:
    """One bucket's counts; ``booked`` includes cancelled bookings, ``appointments`` not."""

    start: dt.date | None
    label: str
    booked: int
    appointments: int
    due: int
    completed: int
    no_shows: int
    cancelled: int
    late_cancellations: int
    booked_so_far: int = 0  # bookings of the days begun by now (today included)
    late_so_far: int = 0  # late cancellations among them

    @property
    def no_show_rate(self) -> float | None:
        return ratio(self.no_shows, self.due)

    @property
    def completion_rate(self) -> float | None:
        return ratio(self.completed, self.due)

    @property
    def late_cancellation_rate(self) -> float | None:
        """Of the bookings of days begun: a day ahead is no base yet (never a made-up 0 %)."""
        return ratio(self.late_so_far, self.booked_so_far)


@dataclass(frozen=True)
class AttendanceChart:
    key: ClassVar[str] = "attendance"
    title: str
    definition: str
    bucket: Bucket
    points: tuple[AttendancePoint, ...]
    total: AttendancePoint

    @property
    def is_empty(self) -> bool:
        return self.total.booked == 0

    @property
    def tables(self) -> tuple[Table, ...]:
        columns = (
            Column(self.bucket.label),
            Column("Due", ColumnKind.COUNT),
            Column("Completed", ColumnKind.COUNT),
            Column("No-shows", ColumnKind.COUNT),
            Column("Late cancellations", ColumnKind.COUNT),
            Column("Completion rate", ColumnKind.RATE),
            Column("No-show rate", ColumnKind.RATE),
            Column("Late-cancellation rate", ColumnKind.RATE),
        )

        def row(p: AttendancePoint) -> tuple[object, ...]:
            return (
                p.label,
                p.due,
                p.completed,
                p.no_shows,
                p.late_so_far,
                (p.completed, p.due),
                (p.no_shows, p.due),
                (p.late_so_far, p.booked_so_far),
            )

        rows = tuple(row(point) for point in self.points)
        return (Table(self.title, columns, rows, row(self.total)),)

    def hover_texts(self) -> tuple[str, ...]:
        """Per bucket, the rates with their denominators (the chart's tooltips)."""
        return tuple(
            f"{p.label}: completion {_rate(p.completed, p.due, 'due')}; "
            f"no-shows {_rate(p.no_shows, p.due, 'due')}; "
            f"late cancellations {_rate(p.late_so_far, p.booked_so_far, 'bookings')}"
            for p in self.points
        )


def _rate(part: int, whole: int, of: str) -> str:
    if not whole:
        return f"no data (0 {of})"
    return f"{part:,} of {whole:,} {of} = {part / whole * 100:.1f} %"


# -- room utilisation ------------------------------------------------------------------


@dataclass(frozen=True)
class RoomUtilisation:
    room_id: int | None  # None: all rooms
    room: str
    modality: str
    open_minutes: int  # the period's days up to today
    booked_minutes: int
    ahead_open_minutes: int = 0  # the period's days after today
    ahead_booked_minutes: int = 0

    @property
    def utilisation(self) -> float | None:
        return ratio(self.booked_minutes, self.open_minutes)

    @property
    def booked_ahead(self) -> float | None:
        return ratio(self.ahead_booked_minutes, self.ahead_open_minutes)


@dataclass(frozen=True)
class UtilisationChart:
    key: ClassVar[str] = "utilisation"
    title: str
    definition: str
    rows: tuple[RoomUtilisation, ...]  # in the rooms' order

    @property
    def total(self) -> RoomUtilisation:
        return RoomUtilisation(
            None,
            "All rooms",
            "",
            sum(row.open_minutes for row in self.rows),
            sum(row.booked_minutes for row in self.rows),
            sum(row.ahead_open_minutes for row in self.rows),
            sum(row.ahead_booked_minutes for row in self.rows),
        )

    @property
    def is_empty(self) -> bool:
        total = self.total
        return not (total.open_minutes or total.booked_minutes or total.ahead_booked_minutes)

    @property
    def tables(self) -> tuple[Table, ...]:
        columns = (
            Column("Room"),
            Column("Modality"),
            Column("Open to date", ColumnKind.HOURS),
            Column("Booked", ColumnKind.HOURS),
            Column("Utilisation", ColumnKind.PERCENT),
            Column("Booked ahead", ColumnKind.RATE),
        )

        def row(r: RoomUtilisation) -> tuple[object, ...]:
            ahead = (r.ahead_booked_minutes / 60, r.ahead_open_minutes / 60)
            return (
                r.room,
                r.modality,
                r.open_minutes / 60,
                r.booked_minutes / 60,
                r.utilisation,
                ahead if r.ahead_open_minutes else None,
            )

        return (Table(self.title, columns, tuple(row(r) for r in self.rows), row(self.total)),)
