"""The dashboard's charts drawn on a matplotlib :class:`Figure` (never pyplot).

One function per chart takes the chart's dataclass and a figure, clears the figure
and draws into it, so the manager window's charts (rendered by :func:`render_rgba`
off the GUI thread) and the PDF/PNG export share the same code. Figures use
constrained layout. An empty period draws a clear "No data for this period"
message in the axes, never an empty axis. The colours, sizes, axes and legends
every chart shares are in :mod:`.chart_style`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from mic_desktop.models import AppointmentStatus
from mic_desktop.services.analytics.appointment_results import (
    AttendanceChart,
    PopularityChart,
    UtilisationChart,
    VolumeChart,
)
from mic_desktop.services.analytics.chart_hover import HoverZone, hover_zones
from mic_desktop.services.analytics.chart_style import (
    ACCENT,
    AHEAD,
    AID_PAID,
    COMPARISON,
    COPAY,
    LABEL_SIZE,
    MUTED_TEXT,
    OTHER,
    PALETTE,
    SHORTFALL,
    STATUS_COLOURS,
    TICK_SIZE,
    VALUE_SIZE,
    add_title,
    bucket_axis,
    capitalised,
    legend_above,
    legend_columns,
    modality_colour,
    modality_patches,
    modality_rank,
    money_short,
    nan_if_none,
    no_data,
    percent,
    series_colour,
    value_axis,
)
from mic_desktop.services.analytics.finance_results import MedicalAidChart, RevenueChart
from mic_desktop.services.analytics.quality_results import SatisfactionChart, TurnaroundChart
from mic_desktop.services.analytics.results import Chart

MAX_LABELLED_ROOMS = 10
TOP_SCAN_TYPES = 12


def new_figure(width_px: int = 960, height_px: int = 480, dpi: float = 100) -> Figure:
    """A figure with constrained layout, ``width_px`` x ``height_px`` at ``dpi``."""
    return Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")


@dataclass(frozen=True)
class ChartPixels:
    """A chart rendered for the screen: the picture, 4 bytes (RGBA) a pixel, and its words."""

    rgba: bytes
    width: int
    height: int
    texts: tuple[str, ...]  # what is written on the chart: value labels, notes, "no data"
    hover: tuple[HoverZone, ...] = ()  # what a pointer over a bucket shows


def render_rgba(chart: Chart, width_px: int, height_px: int, dpi: float = 100) -> ChartPixels:
    """Draw ``chart`` on a new white figure and render it with Agg, at ``width_px`` x ``height_px``.

    Every call has its own figure and renderer, so it may run off the GUI thread; the
    figure is not kept.
    """
    figure = new_figure(width_px, height_px, dpi)
    figure.set_facecolor("white")
    draw_chart(chart, figure)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    width, height = canvas.get_width_height(physical=True)
    written = [text for axes in figure.axes for text in axes.texts] + list(figure.texts)
    texts = tuple(text.get_text() for text in written if text.get_text())
    hover = hover_zones(chart, figure, height) if not chart.is_empty else ()
    return ChartPixels(bytes(canvas.buffer_rgba()), width, height, texts, hover)


def draw_chart(chart: Chart, figure: Figure, *, titled: bool = False) -> None:
    """Draw any dashboard chart; ``titled`` adds its title and definition line on top."""
    figure.clear()
    if chart.is_empty:
        no_data(figure.add_subplot())
    else:
        DRAWERS[chart.key](chart, figure)  # type: ignore[operator]
    if titled:
        add_title(figure, chart.title, chart.definition)


# -- the charts -----------------------------------------------------------------------


def draw_volume(chart: VolumeChart, figure: Figure) -> None:
    ax = figure.add_subplot()
    x = list(range(len(chart.points)))
    done = [nan_if_none(p.to_date) for p in chart.points]  # a gap for days not begun
    ax.bar(
        x,
        done,
        color=ACCENT,
        width=0.7,
        label=f"To date: {chart.to_date:,}",
        zorder=2,
    )
    if chart.booked_ahead:
        ax.bar(
            x,
            [p.booked_ahead for p in chart.points],
            bottom=[0 if math.isnan(v) else v for v in done],
            color=AHEAD,
            edgecolor=ACCENT,
            linewidth=0.6,
            width=0.7,
            label=f"Booked ahead: {chart.booked_ahead:,}",
            zorder=2,
        )
    ax.plot(
        x,
        [p.year_earlier for p in chart.points],
        color=COMPARISON,
        linestyle="--",
        marker="o",
        markersize=3.5,
        linewidth=1.5,
        label=f"{capitalised(chart.comparison_label)}: {chart.year_earlier_total:,}",
        zorder=3,
    )
    bucket_axis(ax, [p.label for p in chart.points])
    value_axis(ax, "Appointments", integer=True)
    legend_above(ax)


def draw_popularity(chart: PopularityChart, figure: Figure) -> None:
    ax = figure.add_subplot()
    rows = list(chart.rows[:TOP_SCAN_TYPES])
    names = [row.name for row in rows]
    counts = [row.appointments for row in rows]
    colours = [modality_colour(row.modality) for row in rows]
    rest = chart.rows[TOP_SCAN_TYPES:]
    if rest:
        names.append(f"{len(rest)} other scan types")
        counts.append(sum(row.appointments for row in rest))
        colours.append(OTHER)
    y = list(range(len(names)))
    bars = ax.barh(y, counts, color=colours, height=0.7, zorder=2)
    ax.set_yticks(y, names, fontsize=TICK_SIZE)
    ax.invert_yaxis()
    labels = [f"{count:,}  ({count / chart.total:.0%})" for count in counts]
    ax.bar_label(bars, labels, padding=3, fontsize=VALUE_SIZE, color=MUTED_TEXT)
    ax.set_xlim(0, max(counts) * 1.2)
    value_axis(ax, "Appointments", integer=True, horizontal=True)
    shown = sorted({row.modality for row in rows}, key=modality_rank)
    if len(shown) > 1:
        legend_above(ax, right=True, extra=modality_patches(shown))


def draw_attendance(chart: AttendanceChart, figure: Figure) -> None:
    completion, problems = figure.subplots(2, 1, sharex=True, height_ratios=(1, 1.3))
    points, total = chart.points, chart.total
    x = list(range(len(points)))

    def line(ax: Axes, name: str, attribute: str, status: AppointmentStatus, **style: object):
        values = [nan_if_none(getattr(p, attribute)) for p in points]
        ax.plot(
            x,
            values,
            color=STATUS_COLOURS[status],
            markersize=4,
            linewidth=1.8,
            label=f"{name}: {percent(getattr(total, attribute))} over the period",
            zorder=3,
            **style,  # type: ignore[arg-type]
        )
        return [v for v in values if not math.isnan(v)]

    done = line(
        completion, "Completion rate", "completion_rate", AppointmentStatus.COMPLETED, marker="o"
    )
    low = min(done, default=0.0)
    completion.set_ylim(max(0.0, math.floor((low - 0.05) * 10) / 10), 1.0)
    completion.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    value_axis(completion, "")
    legend_above(completion)

    shown = line(problems, "No-show rate", "no_show_rate", AppointmentStatus.NO_SHOW, marker="s")
    shown += line(
        problems,
        "Late-cancellation rate",
        "late_cancellation_rate",
        AppointmentStatus.CANCELLED,
        marker="^",
        linestyle="--",
    )
    problems.set_ylim(0, max(0.05, max(shown, default=0.0) * 1.3))
    problems.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    bucket_axis(problems, [p.label for p in points])
    value_axis(problems, "")
    legend_above(problems)


def draw_revenue(chart: RevenueChart, figure: Figure) -> None:
    over_time, by_method = figure.subplots(1, 2, width_ratios=(2.3, 1))
    x = list(range(len(chart.bucket_labels)))
    positive = [0.0] * len(x)
    negative = [0.0] * len(x)
    for i, series in enumerate(chart.series):
        values = [float(amount) for amount in series.amounts]
        bottoms = [positive[j] if v >= 0 else negative[j] for j, v in enumerate(values)]
        over_time.bar(
            x,
            values,
            bottom=bottoms,
            color=series_colour(series.name, i),
            width=0.72,
            label=series.name,
            zorder=2,
        )
        for j, value in enumerate(values):
            if value >= 0:
                positive[j] += value
            else:
                negative[j] += value
    bucket_axis(over_time, list(chart.bucket_labels))
    value_axis(over_time, f"Revenue ({chart.currency})", money=True)
    over_time.set_ylim(min(0.0, *negative) * 1.15, max(1.0, *positive) * 1.1)
    if any(v < 0 for v in negative):
        over_time.axhline(0, color=MUTED_TEXT, linewidth=0.8)
    over_time.set_title(
        f"By scan type, {chart.currency} {chart.total:,.2f} in all",
        fontsize=LABEL_SIZE,
        loc="left",
    )
    handles, labels = over_time.get_legend_handles_labels()
    figure.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=legend_columns(figure, labels),
        fontsize=TICK_SIZE,
        frameon=False,
    )

    methods = chart.methods
    y = list(range(len(methods)))
    nets = [float(method.net) for method in methods]
    bars = by_method.barh(y, nets, color=PALETTE[3], height=0.65, zorder=2)
    by_method.set_yticks(y, [method.label for method in methods], fontsize=TICK_SIZE)
    by_method.invert_yaxis()
    by_method.bar_label(
        bars,
        [money_short(m.net) for m in methods],
        padding=3,
        fontsize=VALUE_SIZE,
        color=MUTED_TEXT,
    )
    by_method.set_xlim(min(0.0, *nets) * 1.3, max(0.0, *nets) * 1.4 or 1)
    value_axis(by_method, "", money=True, horizontal=True)
    by_method.set_title("By method (net)", fontsize=LABEL_SIZE, loc="left")


def draw_medical_aid(chart: MedicalAidChart, figure: Figure) -> None:
    ax = figure.add_subplot()
    rows = chart.rows
    y = list(range(len(rows)))
    paid = [float(row.cover_after_shortfall) for row in rows]
    shortfall = [float(row.shortfall) for row in rows]
    copay = [float(row.copay) for row in rows]
    ax.barh(y, paid, color=AID_PAID, height=0.65, label="Covered by the medical aid", zorder=2)
    ax.barh(
        y,
        shortfall,
        left=paid,
        color=SHORTFALL,
        height=0.65,
        label="Shortfall, owed by the patient",
        zorder=2,
    )
    lefts = [p + s for p, s in zip(paid, shortfall, strict=True)]
    bars = ax.barh(
        y, copay, left=lefts, color=COPAY, height=0.65, label="Patient co-payment", zorder=2
    )
    ax.bar_label(
        bars,
        [money_short(row.charges) for row in rows],
        padding=3,
        fontsize=VALUE_SIZE,
        color=MUTED_TEXT,
    )
    ax.set_yticks(y, [row.name for row in rows], fontsize=TICK_SIZE)
    ax.invert_yaxis()
    widest = max(float(row.charges) for row in rows) or 1.0
    ax.set_xlim(0, widest * 1.15)
    value_axis(
        ax, f"Charges of completed appointments ({chart.currency})", money=True, horizontal=True
    )
    legend_above(ax, right=True)


def draw_satisfaction(chart: SatisfactionChart, figure: Figure) -> None:
    ratings, trend = figure.subplots(1, 2, width_ratios=(1, 1.5))
    averages = chart.averages
    y = list(range(len(averages)))
    bars = ratings.barh(
        y, [a.average or 0.0 for a in averages], color=PALETTE[1], height=0.6, zorder=2
    )
    ratings.bar_label(
        bars,
        [f"{a.average:.2f}" if a.average is not None else "—" for a in averages],
        padding=3,
        fontsize=VALUE_SIZE,
        color=MUTED_TEXT,
    )
    ratings.set_yticks(y, [a.dimension for a in averages], fontsize=TICK_SIZE)
    ratings.invert_yaxis()
    ratings.set_xlim(0, 5.7)
    ratings.set_xticks([0, 1, 2, 3, 4, 5])
    value_axis(ratings, f"Average rating (1-5), {chart.responses:,} responses", horizontal=True)
    ratings.set_title("Average per question", fontsize=LABEL_SIZE, loc="left")

    x = list(range(len(chart.trend)))
    trend.plot(
        x,
        [nan_if_none(p.overall) for p in chart.trend],
        color=PALETTE[1],
        marker="o",
        markersize=4,
        linewidth=1.8,
        label="Overall rating (left axis)",
        zorder=3,
    )
    trend.set_ylim(1, 5.2)
    bucket_axis(trend, [p.label for p in chart.trend])
    value_axis(trend, "")
    recommend = trend.twinx()
    recommend.plot(
        x,
        [nan_if_none(p.recommend_rate) for p in chart.trend],
        color=PALETTE[2],
        linestyle="--",
        marker="^",
        markersize=4,
        linewidth=1.5,
        zorder=3,
        label=f"Would recommend (right axis): {percent(chart.recommend_rate)} in all",
    )
    recommend.set_ylim(0, 1.04)
    recommend.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    recommend.tick_params(labelsize=TICK_SIZE, colors=MUTED_TEXT, length=0)
    for side in ("top", "left", "bottom", "right"):
        recommend.spines[side].set_visible(False)
    handles = trend.get_legend_handles_labels()[0] + recommend.get_legend_handles_labels()[0]
    figure.legend(
        handles=handles, loc="outside lower center", ncols=2, fontsize=TICK_SIZE, frameon=False
    )
    trend.set_title("Over time", fontsize=LABEL_SIZE, loc="left")


def draw_turnaround(chart: TurnaroundChart, figure: Figure) -> None:
    ax = figure.add_subplot()
    rows = chart.rows
    y = list(range(len(rows)))
    slow = ax.barh(
        y,
        [r.p90_hours for r in rows],
        color="#c9d6e6",
        height=0.7,
        label="90th percentile",
        zorder=2,
    )
    ax.barh(y, [r.median_hours for r in rows], color=ACCENT, height=0.4, label="Median", zorder=3)
    ax.bar_label(
        slow,
        [
            f"median {r.median_hours:.1f} h · 90th percentile {r.p90_hours:.1f} h\n"
            f"{r.reports:,} report{'s' if r.reports != 1 else ''}"
            for r in rows
        ],
        padding=4,
        fontsize=VALUE_SIZE,
        color=MUTED_TEXT,
    )
    ax.set_yticks(y, [r.name for r in rows], fontsize=TICK_SIZE)
    ax.invert_yaxis()
    overall = chart.overall
    if overall is not None:
        ax.axvline(
            overall.median_hours,
            color=MUTED_TEXT,
            linestyle=":",
            linewidth=1.2,
            label=f"Clinic median {overall.median_hours:.1f} h",
            zorder=4,
        )
    widest = max(max((r.p90_hours for r in rows), default=1.0), 0.5)
    ax.set_xlim(0, widest * 2.3)  # room for the two-line labels
    value_axis(ax, "Hours from scan completed to report final", horizontal=True)
    legend_above(ax, right=True)


def draw_utilisation(chart: UtilisationChart, figure: Figure) -> None:
    ax = figure.add_subplot()
    rows = chart.rows
    rates = [r.utilisation or 0.0 for r in rows]
    colours = [modality_colour(r.modality) for r in rows]
    top = max(1.0, *rates) * 1.08
    if len(rows) <= MAX_LABELLED_ROOMS:
        y = list(range(len(rows)))
        bars = ax.barh(y, rates, color=colours, height=0.6, zorder=2)
        ax.bar_label(
            bars,
            [
                f"{percent(r.utilisation)}  ({r.booked_minutes / 60:,.0f} of "
                f"{r.open_minutes / 60:,.0f} h)"
                for r in rows
            ],
            padding=4,
            fontsize=VALUE_SIZE,
            color=MUTED_TEXT,
        )
        ax.set_yticks(y, [r.room for r in rows], fontsize=TICK_SIZE)
        ax.invert_yaxis()
        ax.axvline(1.0, color=MUTED_TEXT, linestyle=":", linewidth=1)
        ax.set_xlim(0, top * 1.25)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        value_axis(ax, "Utilisation", horizontal=True)
        reference = ax.axvline
    else:  # many rooms: upright bars, the numbers are in the table
        x = list(range(len(rows)))
        ax.bar(x, rates, color=colours, width=0.7, zorder=2)
        ax.set_xticks(x, [r.room for r in rows], fontsize=TICK_SIZE, rotation=60, ha="right")
        ax.set_xlim(-0.6, len(rows) - 0.4)
        ax.axhline(1.0, color=MUTED_TEXT, linestyle=":", linewidth=1)
        ax.set_ylim(0, top)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        value_axis(ax, "Utilisation")
        reference = ax.axhline
    total = chart.total.utilisation
    if total is not None:
        reference(
            total,
            color=MUTED_TEXT,
            linestyle="--",
            linewidth=1.2,
            label=f"All rooms {percent(total)}",
            zorder=4,
        )
    modalities = sorted({r.modality for r in rows}, key=modality_rank)
    legend_above(ax, right=len(rows) <= MAX_LABELLED_ROOMS, extra=modality_patches(modalities))


DRAWERS: dict[str, Callable[..., None]] = {
    VolumeChart.key: draw_volume,
    PopularityChart.key: draw_popularity,
    AttendanceChart.key: draw_attendance,
    RevenueChart.key: draw_revenue,
    MedicalAidChart.key: draw_medical_aid,
    SatisfactionChart.key: draw_satisfaction,
    TurnaroundChart.key: draw_turnaround,
    UtilisationChart.key: draw_utilisation,
}
