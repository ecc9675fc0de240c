"""The period a dashboard covers, its chart buckets and the period a year earlier.

A period is a range of whole days in the clinic's time zone (this or last week,
month, quarter, year, or custom dates). Its length picks the bucket of the charts
over time: days up to a month, weeks up to half a year, months beyond. The
comparison period is the same dates a year earlier for a calendar month, quarter or
year and for charts by month, else 52 weeks earlier (so Mondays line up with Mondays).

A period still running is compared like with like: its days up to today (and the
time of day now) against the same span of the comparison period
(:meth:`Period.elapsed`, :meth:`Period.span_label`, :meth:`Period.earlier_instant`).
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
    LAST_WEEK = "last_week"
    MONTH = "month"
    LAST_MONTH = "last_month"
    QUARTER = "quarter"
    LAST_QUARTER = "last_quarter"
    YEAR = "year"
    LAST_YEAR = "last_year"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        if self is PeriodKind.CUSTOM:
            return "Custom dates"
        if self.value.startswith("last_"):
            return f"Last {self.value.removeprefix('last_')}"
        return f"This {self.value}"

    @property
    def calendar_unit(self) -> str:
        """``week``, ``month``, ``quarter``, ``year`` (``custom`` for custom dates)."""
        return self.value.removeprefix("last_")


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
    def last_week(cls, today: dt.date) -> Period:
        week = cls.this_week(today - dt.timedelta(days=7))
        return cls(PeriodKind.LAST_WEEK, week.first_day, week.last_day)

    @classmethod
    def last_month(cls, today: dt.date) -> Period:
        month = cls.this_month(today.replace(day=1) - dt.timedelta(days=1))
        return cls(PeriodKind.LAST_MONTH, month.first_day, month.last_day)

    @classmethod
    def last_quarter(cls, today: dt.date) -> Period:
        quarter = cls.this_quarter(cls.this_quarter(today).first_day - dt.timedelta(days=1))
        return cls(PeriodKind.LAST_QUARTER, quarter.first_day, quarter.last_day)

    @classmethod
    def last_year(cls, today: dt.date) -> Period:
        year = today.year - 1
        return cls(PeriodKind.LAST_YEAR, dt.date(year, 1, 1), dt.date(year, 12, 31))

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
            PeriodKind.LAST_WEEK: cls.last_week,
            PeriodKind.MONTH: cls.this_month,
            PeriodKind.LAST_MONTH: cls.last_month,
            PeriodKind.QUARTER: cls.this_quarter,
            PeriodKind.LAST_QUARTER: cls.last_quarter,
            PeriodKind.YEAR: cls.this_year,
            PeriodKind.LAST_YEAR: cls.last_year,
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
        """How far back the comparison period lies: ``(days, years)``, one of them zero.

        A calendar month, quarter or year (and custom dates charted by month) is compared
        with the same dates a year earlier; a week or other custom dates with the same
        weekdays 52 weeks earlier.
        """
        if self.kind.calendar_unit in ("month", "quarter", "year") or self.bucket is Bucket.MONTH:
            return (0, 1)
        return (364, 0)

    def year_earlier(self) -> Period:
        """The comparison period: the same dates a year earlier, or 52 weeks earlier."""
        days, years = self.comparison_shift
        if years:
            first, last = _years_earlier(self.first_day), _years_earlier(self.last_day)
        else:
            first = self.first_day - dt.timedelta(days=days)
            last = self.last_day - dt.timedelta(days=days)
        return Period(PeriodKind.CUSTOM, first, last)

    @property
    def comparison_label(self) -> str:
        if self.comparison_shift[1]:
            return "the same dates a year earlier"
        return "the same days 52 weeks earlier"

    @property
    def label(self) -> str:
        """``November 2026``, ``Q4 2026``, ``2026``, or the first and last day."""
        first, unit = self.first_day, self.kind.calendar_unit
        if unit == "month":
            return f"{_MONTH_NAMES[first.month - 1]} {first.year}"
        if unit == "quarter":
            return f"Q{(first.month - 1) // 3 + 1} {first.year}"
        if unit == "year":
            return str(first.year)
        if unit == "week":
            return f"Week of {format_date(first)}"
        return self.dates_label

    @property
    def dates_label(self) -> str:
        """``Mon 1 Nov 2026 – Sun 30 Nov 2026``."""
        return f"{format_date(self.first_day)} – {format_date(self.last_day)}"

    # -- like with like: the part of the period up to now --------------------------------

    def elapsed(self, today: dt.date) -> Period | None:
        """The days from the first up to ``today`` (all of them once the period is over);
        None before the period starts."""
        if today < self.first_day:
            return None
        return Period(PeriodKind.CUSTOM, self.first_day, min(today, self.last_day))

    def earlier_day(self, day: dt.date) -> dt.date:
        """``day`` moved back onto the comparison period's calendar."""
        days, years = self.comparison_shift
        return _years_earlier(day, years) if years else day - dt.timedelta(days=days)

    def earlier_instant(self, moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
        """``moment`` moved back by the comparison shift on the clinic's wall clock (UTC)."""
        local = moment.astimezone(zone)
        day = self.earlier_day(local.date())
        return dt.datetime.combine(day, local.time().replace(tzinfo=None), zone).astimezone(dt.UTC)

    def span_label(self, today: dt.date) -> str:
        """What a comparison compares: ``1–3 Dec vs 2–4 Dec 2025``, the elapsed days of
        this period against the same span of the comparison period."""
        elapsed = self.elapsed(today)
        if elapsed is None:
            return "not started yet"
        first, last = elapsed.first_day, elapsed.last_day
        this = short_range(first, last, with_year=last.year != today.year)
        earlier = short_range(self.earlier_day(first), self.earlier_day(last), with_year=True)
        return f"{this} vs {earlier}"


def short_range(first: dt.date, last: dt.date, *, with_year: bool) -> str:
    """``1–3 Dec``, ``28 Nov – 3 Dec``, ``30 Dec 2025 – 2 Jan 2026`` (a year when asked)."""

    def day_month(day: dt.date) -> str:
        return f"{day.day} {_MONTHS[day.month - 1]}"

    year = f" {last.year}" if with_year or first.year != last.year else ""
    if first == last:
        return f"{day_month(first)}{year}"
    if first.year != last.year:
        return f"{day_month(first)} {first.year} – {day_month(last)} {last.year}"
    if first.month == last.month:
        return f"{first.day}–{last.day} {_MONTHS[last.month - 1]}{year}"
    return f"{day_month(first)} – {day_month(last)}{year}"
