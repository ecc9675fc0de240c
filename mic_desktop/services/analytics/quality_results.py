"""The results of the quality charts: patient satisfaction (ratings, would-recommend
rate, trend, latest comments) and radiologists' report turnaround.

Each chart is a frozen dataclass carrying its series (what the figure plots), the
definition of what it counts and, through ``tables``, the numbers shown beside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from mic_desktop.services.analytics.periods import Bucket
from mic_desktop.services.analytics.tables import Column, ColumnKind, Table, ratio

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
        return ratio(self.recommended, self.responses)

    @property
    def overall(self) -> float | None:
        return self.averages[0].average if self.averages else None

    @property
    def is_empty(self) -> bool:
        return self.responses == 0

    def hover_texts(self) -> tuple[str, ...]:
        """Per bucket, the averages with the number of responses behind them."""
        texts = []
        for p in self.trend:
            if not p.responses:
                texts.append(f"{p.label}: no responses (no data)")
                continue
            recommending = round((p.recommend_rate or 0) * p.responses)
            texts.append(
                f"{p.label}: overall {p.overall:.2f} from {p.responses:,} responses; "
                f"would recommend {recommending:,} of {p.responses:,}"
            )
        return tuple(texts)

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
