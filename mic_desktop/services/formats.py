"""Dates, times and money as the clinic writes them, for messages and printed documents.

One format everywhere: ``Mon 24 Nov 2026 10:30`` in the clinic's time zone and
``USD 1,234.50``. Day and month names are spelled out here, not taken from
``strftime``, so a workstation's locale cannot change them.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CENT = Decimal("0.01")


def format_date(value: dt.date) -> str:
    """``Mon 24 Nov 2026``."""
    return f"{_DAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"


def format_time(value: dt.datetime, zone: ZoneInfo) -> str:
    """``10:30`` in ``zone``."""
    return f"{value.astimezone(zone):%H:%M}"


def format_datetime(value: dt.datetime, zone: ZoneInfo) -> str:
    """``Mon 24 Nov 2026 10:30`` in ``zone``."""
    moment = value.astimezone(zone)
    return f"{format_date(moment.date())} {moment:%H:%M}"


def money(amount: Decimal | int | str) -> Decimal:
    """``amount`` rounded half-up to cents."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | int, currency: str) -> str:
    """``USD 1,234.50``; a negative amount (a refund) reads ``USD -20.00``."""
    return f"{currency} {money(amount):,.2f}"


def local_day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where ``day`` starts and ends in ``zone`` (DST-safe)."""
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)
