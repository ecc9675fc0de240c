"""How windows show dates, times, durations and money.

The clinic's one format (``Mon 24 Nov 2026 10:30``, ``USD 1,234.50``) comes from
:mod:`mic_desktop.services.formats`, shared with messages and printed documents;
this module adds what only screens need.
"""

from __future__ import annotations

from mic_desktop.services.formats import format_date, format_datetime, format_money, format_time

__all__ = [
    "format_date",
    "format_datetime",
    "format_hours",
    "format_money",
    "format_percent",
    "format_time",
]


def format_hours(hours: float) -> str:
    """A waiting time: ``45 min``, ``5 h``, ``3 d 4 h``."""
    if hours < 1:
        return f"{max(0, round(hours * 60))} min"
    whole = int(hours)
    if whole < 48:
        return f"{whole} h"
    return f"{whole // 24} d {whole % 24} h"


def format_percent(rate: float | None) -> str:
    """``12.5 %``; an em dash when there is nothing to divide by."""
    return "—" if rate is None else f"{rate * 100:.1f} %"
