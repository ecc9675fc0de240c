"""The period a dashboard covers, its chart buckets and the period a year earlier.

A period is a range of whole days in the clinic's time zone (this week, month,
quarter, year, or custom dates). Its length picks the bucket of the charts over
time: days up to a month, weeks up to half a year, months beyond. The comparison
period is 52 weeks earlier for daily and weekly charts (so Mondays line up with
Mondays) and one calendar year earlier for monthly charts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from mic_desktop.services.errors import ValidationError
from mic_desktop.services.formats import format_date

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

MAX_PERIOD_DAYS = 3 * 366  # a custom period longer than this is refused
DAILY_UP_TO_DAYS = 31
WEEKLY_UP_TO_DAYS = 183


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return {
            "week": "This week",
            "month": "This month",
            "quarter": "This quarter",
            "year": "This year",
            "custom": "Custom dates",
        }[self.value]


class Bucket(StrEnum):
    """A step of the charts over time; the value is PostgreSQL's date_trunc field."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def label(self) -> str:
        return {"day": "Day", "week": "Week", "month": "Month"}[self.value]


def format_bucket(start: dt.date, bucket: Bucket) -> str:
    """A bucket's axis label: ``Mon 3 Nov``, ``w/c 3 Nov`` or ``Nov 2026``."""
    if bucket is Bucket.DAY:
        return f"{_DAYS[start.weekday()]} {start.day} {_MONTHS[start.month - 1]}"
    if bucket is Bucket.WEEK:
        return f"w/c {start.day} {_MONTHS[start.month - 1]}"
    return f"{_MONTHS[start.month - 1]} {start.year}"


def _years_earlier(day: dt.date, years: int = 1) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Period:
    """Whole days ``first_day`` .. ``last_day`` (both included) in the clinic's zone."""

    kind: PeriodKind
    first_day: dt.date
    last_day: dt.date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValidationError("The period ends before it starts.", "last_day")
        if self.days > MAX_PERIOD_DAYS:
            raise ValidationError("Choose a period of at most three years.", "last_day")

    # -- the usual periods, around a day in the clinic ---------------------------------

    @classmethod
    def this_week(cls, today: dt.date) -> Period:
        monday = today - dt.timedelta(days=today.weekday())
        return cls(PeriodKind.WEEK, monday, monday + dt.timedelta(days=6))

    @classmethod
    def this_month(cls, today: dt.date) -> Period:
        first = today.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return cls(PeriodKind.MONTH, first, following - dt.timedelta(days=1))

    @classmethod
    def this_quarter(cls, today: dt.date) -> Period:
        first_month = 3 * ((today.month - 1) // 3) + 1
        first = dt.date(today.year, first_month, 1)
        following = (
            dt.date(today.year + 1, 1, 1)
            if first_month == 10
            else dt.date(today.year, first_month + 3, 1)
        )
        return cls(PeriodKind.QUARTER, first, following - dt.timedelta(days=1))

    @classmethod
    def this_year(cls, today: dt.date) -> Period:
        return cls(PeriodKind.YEAR, dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))

    @classmethod
    def custom(cls, first_day: dt.date, last_day: dt.date) -> Period:
        return cls(PeriodKind.CUSTOM, first_day, last_day)

    @classmethod
    def of_kind(
        cls,
        kind: PeriodKind | str,
        today: dt.date,
        first_day: dt.date | None = None,
        last_day: dt.date | None = None,
    ) -> Period:
        """The period the manager picked in the period selector."""
        kind = PeriodKind(kind)
        if kind is PeriodKind.CUSTOM:
            if first_day is None or last_day is None:
                raise ValidationError("Choose the first and last day.", "first_day")
            return cls.custom(first_day, last_day)
        return {
            PeriodKind.WEEK: cls.this_week,
            PeriodKind.MONTH: cls.this_month,
            PeriodKind.QUARTER: cls.this_quarter,
            PeriodKind.YEAR: cls.this_year,
        }[kind](today)

    # -- what the charts need --------------------------------------------------------

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def end_day(self) -> dt.date:
        """The day after the last one (the exclusive end)."""
        return self.last_day + dt.timedelta(days=1)

    @property
    def bucket(self) -> Bucket:
        if self.days <= DAILY_UP_TO_DAYS:
            return Bucket.DAY
        if self.days <= WEEKLY_UP_TO_DAYS:
            return Bucket.WEEK
        return Bucket.MONTH

    def bounds(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The UTC instants where the period starts and ends in ``zone`` (DST-safe)."""
        start = dt.datetime.combine(self.first_day, dt.time(), zone)
        end = dt.datetime.combine(self.end_day, dt.time(), zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def bucket_starts(self) -> tuple[dt.date, ...]:
        """The first day of every bucket touching the period, in order."""
        bucket = self.bucket
        if bucket is Bucket.DAY:
            current = self.first_day
        elif bucket is Bucket.WEEK:
            current = self.first_day - dt.timedelta(days=self.first_day.weekday())
        else:
            current = self.first_day.replace(day=1)
        starts = []
        while current <= self.last_day:
            starts.append(current)
            if bucket is Bucket.DAY:
                current += dt.timedelta(days=1)
            elif bucket is Bucket.WEEK:
                current += dt.timedelta(days=7)
            else:
                current = (current + dt.timedelta(days=32)).replace(day=1)
        return tuple(starts)

    @property
    def comparison_shift(self) -> tuple[int, int]:
        """How far back the comparison period lies: ``(days, years)``, one of them zero."""
        return (0, 1) if self.bucket is Bucket.MONTH else (364, 0)

    def year_earlier(self) -> Period:
        """The comparison period: 52 weeks earlier, or a calendar year for monthly charts."""
        days, years = self.comparison_shift
        if years:
            first, last = _years_earlier(self.first_day), _years_earlier(self.last_day)
        else:
            first = self.first_day - dt.timedelta(days=days)
            last = self.last_day - dt.timedelta(days=days)
        return Period(PeriodKind.CUSTOM, first, last)

    @property
    def comparison_label(self) -> str:
        if self.bucket is Bucket.MONTH:
            return "the same period a year earlier"
        return "the same days 52 weeks earlier"

    @property
    def label(self) -> str:
        """``November 2026``, ``Q4 2026``, ``2026``, or the first and last day."""
        first = self.first_day
        if self.kind is PeriodKind.MONTH:
            return f"{_MONTH_NAMES[first.month - 1]} {first.year}"
        if self.kind is PeriodKind.QUARTER:
            return f"Q{(first.month - 1) // 3 + 1} {first.year}"
        if self.kind is PeriodKind.YEAR:
            return str(first.year)
        if self.kind is PeriodKind.WEEK:
            return f"Week of {format_date(first)}"
        return self.dates_label

    @property
    def dates_label(self) -> str:
        """``Mon 1 Nov 2026 – Sun 30 Nov 2026``."""
        return f"{format_date(self.first_day)} – {format_date(self.last_day)}"
