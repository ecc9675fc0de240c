"""What the analytics service returns: one frozen dataclass per chart, with its tables.

Each chart carries its series (what the figure plots), the definition of what it
counts (the line under its title) and, through ``tables``, the numbers shown beside
it. A :class:`Table` keeps raw values (int, Decimal, float rates, dates) and knows
how to show them, so the Qt table, the PDF and the CSV all agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from mic_desktop.services.analytics.periods import Bucket, Period
from mic_desktop.services.documents.letterhead import Letterhead
from mic_desktop.services.formats import format_date

ZERO = Decimal("0.00")


class ColumnKind(StrEnum):
    TEXT = "text"
    COUNT = "count"
    MONEY = "money"
    PERCENT = "percent"  # a fraction: 0.125 shows as 12.5 %
    CHANGE = "change"  # a signed fraction: +4.0 %
    HOURS = "hours"
    RATING = "rating"  # an average on the 1-5 scale
    DATE = "date"
    DATETIME = "datetime"  # aware, already in the clinic's zone


@dataclass(frozen=True)
class Column:
    title: str
    kind: ColumnKind = ColumnKind.TEXT

    @property
    def is_numeric(self) -> bool:
        """Right-aligned in tables."""
        return self.kind not in (ColumnKind.TEXT, ColumnKind.DATE, ColumnKind.DATETIME)

    @property
    def csv_title(self) -> str:
        suffix = {ColumnKind.PERCENT: " (%)", ColumnKind.CHANGE: " (%)"}.get(self.kind, "")
        return self.title + suffix

    def format(self, value: object) -> str:
        """The value as a person reads it: ``1,234``, ``1,234.50``, ``12.5 %``, ``5.2 h``."""
        if value is None:
            return "—"
        kind = self.kind
        if kind is ColumnKind.COUNT:
            return f"{value:,}"
        if kind is ColumnKind.MONEY:
            return f"{Decimal(value):,.2f}"  # type: ignore[arg-type]
        if kind is ColumnKind.PERCENT:
            return f"{float(value) * 100:.1f} %"  # type: ignore[arg-type]
        if kind is ColumnKind.CHANGE:
            return f"{float(value) * 100:+.1f} %"  # type: ignore[arg-type]
        if kind is ColumnKind.HOURS:
            return f"{float(value):.1f} h"  # type: ignore[arg-type]
        if kind is ColumnKind.RATING:
            return f"{float(value):.2f}"  # type: ignore[arg-type]
        if kind is ColumnKind.DATE:
            return format_date(value)  # type: ignore[arg-type]
        if kind is ColumnKind.DATETIME:
            moment: dt.datetime = value  # type: ignore[assignment]
            return f"{format_date(moment.date())} {moment:%H:%M}"
        return str(value)

    def csv_value(self, value: object) -> str:
        """The value for a spreadsheet: plain numbers, ISO dates, percentages as numbers."""
        if value is None:
            return ""
        kind = self.kind
        if kind is ColumnKind.MONEY:
            return f"{Decimal(value):.2f}"  # type: ignore[arg-type]
        if kind in (ColumnKind.PERCENT, ColumnKind.CHANGE):
            return f"{float(value) * 100:.1f}"  # type: ignore[arg-type]
        if kind in (ColumnKind.HOURS, ColumnKind.RATING):
            return f"{float(value):.2f}"  # type: ignore[arg-type]
        if kind is ColumnKind.DATE:
            return value.isoformat()  # type: ignore[attr-defined]
        if kind is ColumnKind.DATETIME:
            return f"{value:%Y-%m-%d %H:%M}"
        return str(value)


@dataclass(frozen=True)
class Table:
    """Numbers shown beside a chart; ``total`` is an optional last row shown in bold."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    total: tuple[object, ...] | None = None
    empty_text: str = "No data for this period."

    def formatted(self) -> list[list[str]]:
        """Every row (the total last) as display strings."""
        rows = [*self.rows, self.total] if self.total is not None else list(self.rows)
        return [
            [column.format(value) for column, value in zip(self.columns, row, strict=True)]
            for row in rows
        ]


def _rate(part: int | Decimal, whole: int | Decimal) -> float | None:
    return float(part) / float(whole) if whole else None


def _change(current: int, before: int) -> float | None:
    return (current - before) / before if before else None


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
        return _change(self.total, self.year_earlier_total)

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
            (p.label, p.appointments, p.year_earlier, _change(p.appointments, p.year_earlier))
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
        return _rate(row.appointments, self.total)

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
        return _rate(self.no_shows, self.due)

    @property
    def completion_rate(self) -> float | None:
        return _rate(self.completed, self.due)

    @property
    def late_cancellation_rate(self) -> float | None:
        return _rate(self.late_cancellations, self.booked)


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


# -- revenue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RevenueSeries:
    """Net revenue of one scan type (or a group: other scans, payments without a scan)."""

    name: str
    amounts: tuple[Decimal, ...]  # one per bucket

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)


@dataclass(frozen=True)
class MethodRevenue:
    method: str
    label: str
    payments: int
    received: Decimal
    refunded: Decimal  # positive: money given back

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded


@dataclass(frozen=True)
class RevenueChart:
    key: ClassVar[str] = "revenue"
    title: str
    definition: str
    currency: str
    bucket: Bucket
    bucket_starts: tuple[dt.date, ...]
    bucket_labels: tuple[str, ...]
    series: tuple[RevenueSeries, ...]  # largest first; groups last
    methods: tuple[MethodRevenue, ...]

    @property
    def total(self) -> Decimal:
        return sum((series.total for series in self.series), ZERO)

    @property
    def bucket_totals(self) -> tuple[Decimal, ...]:
        return tuple(
            sum((series.amounts[i] for series in self.series), ZERO)
            for i in range(len(self.bucket_starts))
        )

    @property
    def is_empty(self) -> bool:
        return not self.methods

    @property
    def tables(self) -> tuple[Table, ...]:
        money = f"Revenue ({self.currency})"
        total = self.total
        by_scan = Table(
            "Revenue by scan type",
            (
                Column("Scan type"),
                Column(money, ColumnKind.MONEY),
                Column("Share", ColumnKind.PERCENT),
            ),
            tuple((s.name, s.total, _rate(s.total, total)) for s in self.series),
            ("Total", total, 1.0 if total else None),
        )
        by_method = Table(
            "Revenue by payment method",
            (
                Column("Method"),
                Column("Payments", ColumnKind.COUNT),
                Column(f"Received ({self.currency})", ColumnKind.MONEY),
                Column(f"Refunded ({self.currency})", ColumnKind.MONEY),
                Column(f"Net ({self.currency})", ColumnKind.MONEY),
            ),
            tuple((m.label, m.payments, m.received, m.refunded, m.net) for m in self.methods),
            (
                "Total",
                sum(m.payments for m in self.methods),
                sum((m.received for m in self.methods), ZERO),
                sum((m.refunded for m in self.methods), ZERO),
                sum((m.net for m in self.methods), ZERO),
            ),
        )
        over_time = Table(
            "Revenue over time",
            (Column(self.bucket.label), Column(money, ColumnKind.MONEY)),
            tuple(zip(self.bucket_labels, self.bucket_totals, strict=True)),
            ("Total", total),
        )
        return (by_scan, by_method, over_time)


# -- medical aid -----------------------------------------------------------------------


@dataclass(frozen=True)
class MedicalAidRow:
    """One medical aid's completed appointments; ``scheme_id`` None = no medical aid."""

    scheme_id: int | None
    name: str
    appointments: int
    charges: Decimal
    cover: Decimal  # what the medical aid was quoted to pay at booking
    copay: Decimal  # what the patient was quoted to pay
    claimed: Decimal
    settled: Decimal
    shortfall: Decimal  # claimed less paid on settled claims: moved to the patient
    open_claims: int

    @property
    def shortfall_rate(self) -> float | None:
        return _rate(self.shortfall, self.claimed)

    @property
    def cover_after_shortfall(self) -> Decimal:
        return max(self.cover - self.shortfall, ZERO)


@dataclass(frozen=True)
class MedicalAidChart:
    key: ClassVar[str] = "medical_aid"
    title: str
    definition: str
    currency: str
    rows: tuple[MedicalAidRow, ...]  # largest cover first; no medical aid last

    @property
    def total(self) -> MedicalAidRow:
        def add(name: str) -> Decimal:
            return sum((getattr(row, name) for row in self.rows), ZERO)

        return MedicalAidRow(
            None,
            "Total",
            sum(row.appointments for row in self.rows),
            add("charges"),
            add("cover"),
            add("copay"),
            add("claimed"),
            add("settled"),
            add("shortfall"),
            sum(row.open_claims for row in self.rows),
        )

    @property
    def is_empty(self) -> bool:
        return not self.rows

    @property
    def tables(self) -> tuple[Table, ...]:
        c = self.currency
        rows = (*self.rows, self.total)
        money = Table(
            "Cover and co-payments",
            (
                Column("Medical aid"),
                Column("Appointments", ColumnKind.COUNT),
                Column(f"Charges ({c})", ColumnKind.MONEY),
                Column(f"Cover ({c})", ColumnKind.MONEY),
                Column(f"Co-payments ({c})", ColumnKind.MONEY),
            ),
            tuple((r.name, r.appointments, r.charges, r.cover, r.copay) for r in rows[:-1]),
            (
                rows[-1].name,
                rows[-1].appointments,
                rows[-1].charges,
                rows[-1].cover,
                rows[-1].copay,
            ),
        )
        claims = tuple(
            (r.name, r.claimed, r.settled, r.shortfall, r.shortfall_rate, r.open_claims)
            for r in rows
            if r.scheme_id is not None or r is rows[-1]
        )
        return (
            money,
            Table(
                "Claims and shortfalls",
                (
                    Column("Medical aid"),
                    Column(f"Claimed ({c})", ColumnKind.MONEY),
                    Column(f"Paid by the aid ({c})", ColumnKind.MONEY),
                    Column(f"Shortfall ({c})", ColumnKind.MONEY),
                    Column("Shortfall rate", ColumnKind.PERCENT),
                    Column("Open claims", ColumnKind.COUNT),
                ),
                claims[:-1],
                claims[-1],
            ),
        )


# -- patient satisfaction --------------------------------------------------------------


@dataclass(frozen=True)
class RatingAverage:
    dimension: str
    average: float | None
    answers: int


@dataclass(frozen=True)
class SatisfactionPoint:
    start: dt.date
    label: str
    responses: int
    overall: float | None
    recommend_rate: float | None


@dataclass(frozen=True)
class FeedbackComment:
    submitted_at: dt.datetime  # in the clinic's zone
    scan: str
    overall: int
    would_recommend: bool
    text: str


@dataclass(frozen=True)
class SatisfactionChart:
    key: ClassVar[str] = "satisfaction"
    title: str
    definition: str
    bucket: Bucket
    responses: int
    recommended: int
    averages: tuple[RatingAverage, ...]
    trend: tuple[SatisfactionPoint, ...]
    comments: tuple[FeedbackComment, ...]  # newest first

    @property
    def recommend_rate(self) -> float | None:
        return _rate(self.recommended, self.responses)

    @property
    def overall(self) -> float | None:
        return self.averages[0].average if self.averages else None

    @property
    def is_empty(self) -> bool:
        return self.responses == 0

    @property
    def tables(self) -> tuple[Table, ...]:
        ratings = Table(
            "Average ratings",
            (
                Column("Rating"),
                Column("Average (1-5)", ColumnKind.RATING),
                Column("Answers", ColumnKind.COUNT),
            ),
            tuple((a.dimension, a.average, a.answers) for a in self.averages),
        )
        recommend = Table(
            "Would recommend",
            (
                Column("Responses", ColumnKind.COUNT),
                Column("Would recommend", ColumnKind.COUNT),
                Column("Rate", ColumnKind.PERCENT),
            ),
            ((self.responses, self.recommended, self.recommend_rate),) if self.responses else (),
        )
        trend = Table(
            "Satisfaction over time",
            (
                Column(self.bucket.label),
                Column("Responses", ColumnKind.COUNT),
                Column("Overall (1-5)", ColumnKind.RATING),
                Column("Would recommend", ColumnKind.PERCENT),
            ),
            tuple((p.label, p.responses, p.overall, p.recommend_rate) for p in self.trend),
        )
        comments = Table(
            "Latest comments",
            (
                Column("Given", ColumnKind.DATETIME),
                Column("Scan"),
                Column("Overall", ColumnKind.COUNT),
                Column("Recommend"),
                Column("Comment"),
            ),
            tuple(
                (c.submitted_at, c.scan, c.overall, "yes" if c.would_recommend else "no", c.text)
                for c in self.comments
            ),
            empty_text="No comments in this period.",
        )
        return (ratings, recommend, trend, comments)


# -- radiologist turnaround ------------------------------------------------------------


@dataclass(frozen=True)
class TurnaroundRow:
    radiologist_id: int | None  # None: all radiologists
    name: str
    reports: int
    median_hours: float
    p90_hours: float


@dataclass(frozen=True)
class TurnaroundChart:
    key: ClassVar[str] = "turnaround"
    title: str
    definition: str
    rows: tuple[TurnaroundRow, ...]  # by name
    overall: TurnaroundRow | None

    @property
    def is_empty(self) -> bool:
        return self.overall is None

    @property
    def tables(self) -> tuple[Table, ...]:
        columns = (
            Column("Radiologist"),
            Column("Reports", ColumnKind.COUNT),
            Column("Median", ColumnKind.HOURS),
            Column("90th percentile", ColumnKind.HOURS),
        )
        rows = tuple((r.name, r.reports, r.median_hours, r.p90_hours) for r in self.rows)
        o = self.overall
        total = ("All radiologists", o.reports, o.median_hours, o.p90_hours) if o else None
        return (Table(self.title, columns, rows, total),)


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
        return _rate(self.booked_minutes, self.open_minutes)


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


Chart = (
    VolumeChart
    | PopularityChart
    | AttendanceChart
    | RevenueChart
    | MedicalAidChart
    | SatisfactionChart
    | TurnaroundChart
    | UtilisationChart
)


@dataclass(frozen=True)
class ModalityChoice:
    """A modality the dashboard can be filtered by."""

    id: int
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Dashboard:
    """Every chart of one period and modality filter, read in one consistent snapshot."""

    letterhead: Letterhead  # the clinic's name, address, logo, zone and currency
    period: Period
    modality: ModalityChoice | None
    generated_at: dt.datetime  # UTC
    volume: VolumeChart
    popularity: PopularityChart
    attendance: AttendanceChart
    revenue: RevenueChart
    medical_aid: MedicalAidChart
    satisfaction: SatisfactionChart
    turnaround: TurnaroundChart
    utilisation: UtilisationChart

    @property
    def charts(self) -> tuple[Chart, ...]:
        """The charts in the order the dashboard and the PDF show them."""
        return (
            self.volume,
            self.popularity,
            self.attendance,
            self.revenue,
            self.medical_aid,
            self.satisfaction,
            self.turnaround,
            self.utilisation,
        )

    @property
    def filter_label(self) -> str:
        return self.modality.label if self.modality else "All modalities"

    @property
    def key_figures(self) -> tuple[KeyFigure, ...]:
        """The headline numbers of the cover page, each from its chart."""
        volume, attendance = self.volume, self.attendance.total
        change = volume.change
        satisfaction = self.satisfaction
        turnaround = self.turnaround.overall
        utilisation = self.utilisation.total.utilisation
        percent = Column("", ColumnKind.PERCENT)
        return (
            KeyFigure(
                "Appointments",
                f"{volume.total:,}",
                f"{Column('', ColumnKind.CHANGE).format(change)} vs. {self.period.comparison_label}"
                if change is not None
                else "",
            ),
            KeyFigure("Completion rate", percent.format(attendance.completion_rate)),
            KeyFigure("No-show rate", percent.format(attendance.no_show_rate)),
            KeyFigure("Revenue", f"{self.revenue.currency} {self.revenue.total:,.2f}"),
            KeyFigure(
                "Patient satisfaction",
                Column("", ColumnKind.RATING).format(satisfaction.overall) + " / 5"
                if satisfaction.overall is not None
                else "—",
                f"{percent.format(satisfaction.recommend_rate)} would recommend"
                if satisfaction.responses
                else "",
            ),
            KeyFigure(
                "Report turnaround (median)",
                Column("", ColumnKind.HOURS).format(turnaround.median_hours) if turnaround else "—",
            ),
            KeyFigure("Room utilisation", percent.format(utilisation)),
        )
