"""The results of the money charts: revenue by scan type and payment method over time,
and medical-aid cover against co-payments and shortfalls.

Each chart is a frozen dataclass carrying its series (what the figure plots), the
definition of what it counts and, through ``tables``, the numbers shown beside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from mic_desktop.services.analytics.periods import Bucket
from mic_desktop.services.analytics.tables import ZERO, Column, ColumnKind, Table, ratio

# The names of the grouped revenue series (the charts colour them apart).
OTHER_SCANS = "Other scan types"
NOT_LINKED = "Not linked to a scan"


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
    earlier_to_date: Decimal = ZERO  # the comparison period's same span
    span: str = ""  # "1–3 Dec vs 1–3 Dec 2025"

    @property
    def total(self) -> Decimal:
        return sum((series.total for series in self.series), ZERO)

    @property
    def change(self) -> float | None:
        """Payments can only be taken up to now: the period's total against the same span."""
        earlier = self.earlier_to_date
        return float((self.total - earlier) / earlier) if earlier > 0 else None

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
            tuple((s.name, s.total, ratio(s.total, total)) for s in self.series),
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
        return ratio(self.shortfall, self.claimed)

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
