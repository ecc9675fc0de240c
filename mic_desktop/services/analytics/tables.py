"""The numbers shown beside a chart: a :class:`Table` of typed :class:`Column` s.

A table keeps raw values (int, Decimal, float rates, dates) and each column knows how
to show them, so the Qt table, the PDF and the CSV all agree. :func:`ratio` and
:func:`relative_change` are the two divisions every chart's rates and changes are made of.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from mic_desktop.services.formats import format_date

ZERO = Decimal("0.00")


class ColumnKind(StrEnum):
    TEXT = "text"
    COUNT = "count"
    MONEY = "money"
    PERCENT = "percent"  # a fraction: 0.125 shows as 12.5 %
    RATE = "rate"  # a (part, whole) pair: shows as 12.5 % of 8, its denominator beside it
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
        suffix = {
            ColumnKind.PERCENT: " (%)",
            ColumnKind.CHANGE: " (%)",
            ColumnKind.RATE: " (%)",
        }.get(self.kind, "")
        return self.title + suffix

    def format(self, value: object) -> str:
        """The value as a person reads it: ``1,234``, ``1,234.50``, ``12.5 %``, ``5.2 h``."""
        if value is None:
            return "—"
        kind = self.kind
        if kind is ColumnKind.RATE:
            part, whole = value  # type: ignore[misc]
            of = f"{whole:,.0f} h" if isinstance(whole, float) else f"{whole:,}"
            return f"{part / whole * 100:.1f} % of {of}" if whole else "—"
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
        if kind is ColumnKind.RATE:
            part, whole = value  # type: ignore[misc]
            return f"{part / whole * 100:.1f}" if whole else ""
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


def ratio(part: int | Decimal, whole: int | Decimal) -> float | None:
    """``part / whole`` as a float; None when there is nothing to divide by."""
    return float(part) / float(whole) if whole else None


def relative_change(current: int, before: int) -> float | None:
    """``(current - before) / before``; None when there was nothing before."""
    return (current - before) / before if before else None
