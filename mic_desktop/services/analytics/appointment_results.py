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
    start: dt.date
    label: str
    appointments: int
    year_earlier: int


@dataclass(frozen=True)
class VolumeChart:
    key: ClassVar[str] = "volume"
    title: str
    definition: str
    bucket: Bucket
    comparison: Period
    comparison_label: str  # "52 weeks earlier" or "same period a year earlier"
    points: tuple[VolumePoint, ...]

    @property
    def total(self) -> int:
        return sum(point.appointments for point in self.points)

    @property
    def year_earlier_total(self) -> int:
        return sum(point.year_earlier for point in self.points)

    @property
    def change(self) -> float | None:
        return relative_change(self.total, self.year_earlier_total)

    @property
    def is_empty(self) -> bool:
        return self.total == 0 and self.year_earlier_total == 0

    @property
    def tables(self) -> tuple[Table, ...]:
        columns = (
            Column(self.bucket.label),
            Column("Appointments", ColumnKind.COUNT),
            Column("Year earlier", ColumnKind.COUNT),
            Column("Change", ColumnKind.CHANGE),
        )
        rows = tuple(
            (
                p.label,
                p.appointments,
                p.year_earlier,
                relative_change(p.appointments, p.year_earlier),
            )
            for p in self.points
        )
        total = ("Total", self.total, self.year_earlier_total, self.change)
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

    @property
    def no_show_rate(self) -> float | None:
        return ratio(self.no_shows, self.due)

    @property
    def completion_rate(self) -> float | None:
        return ratio(self.completed, self.due)

    @property
    def late_cancellation_rate(self) -> float | None:
        return ratio(self.late_cancellations, self.booked)


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
            Column("Completion rate", ColumnKind.PERCENT),
            Column("No-show rate", ColumnKind.PERCENT),
            Column("Late-cancellation rate", ColumnKind.PERCENT),
        )

        def row(p: AttendancePoint) -> tuple[object, ...]:
            return (
                p.label,
                p.due,
                p.completed,
                p.no_shows,
                p.late_cancellations,
                p.completion_rate,
                p.no_show_rate,
                p.late_cancellation_rate,
            )

        rows = tuple(row(point) for point in self.points)
        return (Table(self.title, columns, rows, row(self.total)),)


# -- room utilisation ------------------------------------------------------------------


@dataclass(frozen=True)
class RoomUtilisation:
    room_id: int | None  # None: all rooms
    room: str
    modality: str
    open_minutes: int
    booked_minutes: int

    @property
    def utilisation(self) -> float | None:
        return ratio(self.booked_minutes, self.open_minutes)


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
        )

    @property
    def is_empty(self) -> bool:
        return self.total.open_minutes == 0 and self.total.booked_minutes == 0

    @property
    def tables(self) -> tuple[Table, ...]:
        columns = (
            Column("Room"),
            Column("Modality"),
            Column("Open", ColumnKind.HOURS),
            Column("Booked", ColumnKind.HOURS),
            Column("Utilisation", ColumnKind.PERCENT),
        )

        def row(r: RoomUtilisation) -> tuple[object, ...]:
            return (r.room, r.modality, r.open_minutes / 60, r.booked_minutes / 60, r.utilisation)

        return (Table(self.title, columns, tuple(row(r) for r in self.rows), row(self.total)),)
