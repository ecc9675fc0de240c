"""The dashboard's charts drawn on a matplotlib :class:`Figure` (never pyplot).

One function per chart takes the chart's dataclass and a figure, clears the figure
and draws into it, so the Qt canvas of the manager window and the PDF/PNG export
share the same code. Figures use constrained layout; fonts are sized for a chart
of about 900 x 450 pixels (a 1366 x 768 screen). An empty period draws a clear
"No data for this period" message in the axes, never an empty axis.

Status series use the application's status colours (DESIGN.md "Look and feel");
other series use a muted palette that avoids the status hues.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
from matplotlib.transforms import offset_copy

from mic_desktop.models import AppointmentStatus
from mic_desktop.services.analytics.queries import NOT_LINKED as NOT_LINKED_NAME
from mic_desktop.services.analytics.queries import OTHER_SCANS
from mic_desktop.services.analytics.results import (
    AttendanceChart,
    Chart,
    MedicalAidChart,
    PopularityChart,
    RevenueChart,
    SatisfactionChart,
    TurnaroundChart,
    UtilisationChart,
    VolumeChart,
)

NO_DATA_TEXT = "No data for this period"

# The status colours of DESIGN.md "Look and feel" (the same hex values as
# mic_desktop.ui.common.colours, which services may not import; a test keeps them equal).
STATUS_COLOURS: dict[AppointmentStatus, str] = {
    AppointmentStatus.PENDING: "#6b7280",
    AppointmentStatus.CONFIRMED: "#2563eb",
    AppointmentStatus.ARRIVED: "#d97706",
    AppointmentStatus.IN_PROGRESS: "#7c3aed",
    AppointmentStatus.COMPLETED: "#16a34a",
    AppointmentStatus.CANCELLED: "#dc2626",
    AppointmentStatus.NO_SHOW: "#8b1a1a",
}
ACCENT = "#2f6fa8"
MUTED_TEXT = "#5f6b7a"
GRID = "#e3e7ec"
COMPARISON = "#8a94a0"
OTHER = "#b8bec6"
NOT_LINKED = "#d9dde2"
# Muted, distinct from the status hues (no pure blue, green, amber, purple or red).
PALETTE = ("#2f6fa8", "#3a9d9b", "#b07c4f", "#6a7fb5", "#8fae5d", "#a8648f", "#c9a227", "#56636e")
MODALITY_ORDER = ("XR", "US", "CT", "MR", "MG")
AID_PAID = "#2f6fa8"
SHORTFALL = "#c9a227"
COPAY = "#3a9d9b"

TITLE_SIZE = 13
DEFINITION_SIZE = 9
LABEL_SIZE = 10
TICK_SIZE = 9
VALUE_SIZE = 8.5
MAX_LABELLED_ROOMS = 10
TOP_SCAN_TYPES = 12


def new_figure(width_px: int = 960, height_px: int = 480, dpi: int = 100) -> Figure:
    """A figure with constrained layout, for export (the Qt canvas brings its own)."""
    return Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")


def draw_chart(chart: Chart, figure: Figure, *, titled: bool = False) -> None:
    """Draw any dashboard chart; ``titled`` adds its title and definition line on top."""
    figure.clear()
    if chart.is_empty:
        _no_data(figure.add_subplot())
    else:
        DRAWERS[chart.key](chart, figure)  # type: ignore[operator]
    if titled:
        _title(figure, chart.title, chart.definition)


# -- the charts -----------------------------------------------------------------------


def draw_volume(chart: VolumeChart, figure: Figure) -> None:
    ax = figure.add_subplot()
    x = list(range(len(chart.points)))
    ax.bar(
        x,
        [p.appointments for p in chart.points],
        color=ACCENT,
        width=0.7,
        label=f"This period: {chart.total:,}",
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
        label=f"{_capitalised(chart.comparison_label)}: {chart.year_earlier_total:,}",
        zorder=3,
    )
    _bucket_axis(ax, [p.label for p in chart.points])
    _value_axis(ax, "Appointments", integer=True)
    _legend_above(ax)


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
    _value_axis(ax, "Appointments", integer=True, horizontal=True)
    shown = sorted({row.modality for row in rows}, key=_modality_rank)
    if len(shown) > 1:
        _legend_above(ax, right=True, extra=_modality_patches(shown))


def draw_attendance(chart: AttendanceChart, figure: Figure) -> None:
    completion, problems = figure.subplots(2, 1, sharex=True, height_ratios=(1, 1.3))
    points, total = chart.points, chart.total
    x = list(range(len(points)))

    def line(ax: Axes, name: str, attribute: str, status: AppointmentStatus, **style: object):
        values = [_nan(getattr(p, attribute)) for p in points]
        ax.plot(
            x,
            values,
            color=STATUS_COLOURS[status],
            markersize=4,
            linewidth=1.8,
            label=f"{name}: {_percent(getattr(total, attribute))} over the period",
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
    _value_axis(completion, "")
    _legend_above(completion)

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
    _bucket_axis(problems, [p.label for p in points])
    _value_axis(problems, "")
    _legend_above(problems)


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
            color=_series_colour(series.name, i),
            width=0.72,
            label=series.name,
            zorder=2,
        )
        for j, value in enumerate(values):
            if value >= 0:
                positive[j] += value
            else:
                negative[j] += value
    _bucket_axis(over_time, list(chart.bucket_labels))
    _value_axis(over_time, f"Revenue ({chart.currency})", money=True)
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
        ncols=_legend_columns(figure, labels),
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
        [_money_short(m.net) for m in methods],
        padding=3,
        fontsize=VALUE_SIZE,
        color=MUTED_TEXT,
    )
    by_method.set_xlim(min(0.0, *nets) * 1.3, max(0.0, *nets) * 1.4 or 1)
    _value_axis(by_method, "", money=True, horizontal=True)
    by_method.set_title("By payment method, net", fontsize=LABEL_SIZE, loc="left")


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
        [_money_short(row.charges) for row in rows],
        padding=3,
        fontsize=VALUE_SIZE,
        color=MUTED_TEXT,
    )
    ax.set_yticks(y, [row.name for row in rows], fontsize=TICK_SIZE)
    ax.invert_yaxis()
    widest = max(float(row.charges) for row in rows) or 1.0
    ax.set_xlim(0, widest * 1.15)
    _value_axis(
        ax, f"Charges of completed appointments ({chart.currency})", money=True, horizontal=True
    )
    _legend_above(ax, right=True)


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
    _value_axis(ratings, f"Average rating (1-5), {chart.responses:,} responses", horizontal=True)
    ratings.set_title("Average per question", fontsize=LABEL_SIZE, loc="left")

    x = list(range(len(chart.trend)))
    trend.plot(
        x,
        [_nan(p.overall) for p in chart.trend],
        color=PALETTE[1],
        marker="o",
        markersize=4,
        linewidth=1.8,
        label="Overall rating (left axis)",
        zorder=3,
    )
    trend.set_ylim(1, 5.2)
    _bucket_axis(trend, [p.label for p in chart.trend])
    _value_axis(trend, "")
    recommend = trend.twinx()
    recommend.plot(
        x,
        [_nan(p.recommend_rate) for p in chart.trend],
        color=PALETTE[2],
        linestyle="--",
        marker="^",
        markersize=4,
        linewidth=1.5,
        zorder=3,
        label=f"Would recommend (right axis): {_percent(chart.recommend_rate)} in all",
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
            f"median {r.median_hours:.1f} h · 90th percentile {r.p90_hours:.1f} h · "
            f"{r.reports:,} reports"
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
    ax.set_xlim(0, widest * 1.9)
    _value_axis(ax, "Hours from scan completed to report final", horizontal=True)
    _legend_above(ax, right=True)


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
                f"{_percent(r.utilisation)}  ({r.booked_minutes / 60:,.0f} of "
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
        _value_axis(ax, "Utilisation", horizontal=True)
        reference = ax.axvline
    else:  # many rooms: upright bars, the numbers are in the table
        x = list(range(len(rows)))
        ax.bar(x, rates, color=colours, width=0.7, zorder=2)
        ax.set_xticks(x, [r.room for r in rows], fontsize=TICK_SIZE, rotation=60, ha="right")
        ax.set_xlim(-0.6, len(rows) - 0.4)
        ax.axhline(1.0, color=MUTED_TEXT, linestyle=":", linewidth=1)
        ax.set_ylim(0, top)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        _value_axis(ax, "Utilisation")
        reference = ax.axhline
    total = chart.total.utilisation
    if total is not None:
        reference(
            total,
            color=MUTED_TEXT,
            linestyle="--",
            linewidth=1.2,
            label=f"All rooms {_percent(total)}",
            zorder=4,
        )
    modalities = sorted({r.modality for r in rows}, key=_modality_rank)
    _legend_above(ax, right=len(rows) <= MAX_LABELLED_ROOMS, extra=_modality_patches(modalities))


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


# -- shared pieces ----------------------------------------------------------------------


def _no_data(ax: Axes) -> None:
    """The empty period's message, in the middle of a bare axes."""
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        NO_DATA_TEXT,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=TITLE_SIZE,
        color=MUTED_TEXT,
        bbox={"boxstyle": "round,pad=0.8", "facecolor": "#f4f6f8", "edgecolor": GRID},
    )


def _title(figure: Figure, title: str, definition: str) -> None:
    """Title and definition line above the axes (fixed inches from the top edge)."""
    height = figure.get_figheight()
    top = offset_copy(figure.transFigure, fig=figure, x=0.12, y=-0.12, units="inches")
    figure.text(
        0, 1, title, transform=top, ha="left", va="top", fontsize=TITLE_SIZE, fontweight="bold"
    )
    below = offset_copy(figure.transFigure, fig=figure, x=0.12, y=-0.42, units="inches")
    figure.text(
        0,
        1,
        _wrap(definition, figure),
        transform=below,
        ha="left",
        va="top",
        fontsize=DEFINITION_SIZE,
        color=MUTED_TEXT,
        linespacing=1.3,
    )
    lines = _wrap(definition, figure).count("\n") + 1
    reserved = 0.55 + 0.17 * lines
    engine = figure.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, 0, 1, max(0.3, 1 - reserved / height)))


def _wrap(text: str, figure: Figure) -> str:
    """Break the definition line to the figure's width (about 95 characters at 9.6 in)."""
    width = max(40, int(figure.get_figwidth() * 11.5))
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def _bucket_axis(ax: Axes, labels: Sequence[str]) -> None:
    """Bucket labels along x, thinned to what the axes' width can hold."""
    years = {label[-4:] for label in labels}
    if len(years) == 1 and all(label[-5:-4] == " " and label[-4:].isdigit() for label in labels):
        labels = [label[:-5] for label in labels]  # "Jan 2026" -> "Jan" (the year below)
        ax.set_xlabel(years.pop(), fontsize=LABEL_SIZE, color=MUTED_TEXT)
    figure = ax.get_figure()
    width_in = ax.get_position().width * (figure.get_figwidth() if figure else 9.6)
    longest = max((len(label) for label in labels), default=1)
    fits = max(1, int(width_in * 72 / (TICK_SIZE * 0.62 * (longest + 2))))
    step = max(1, math.ceil(len(labels) / fits))
    ticks = list(range(0, len(labels), step))
    ax.set_xticks(ticks, [labels[i] for i in ticks], fontsize=TICK_SIZE)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    # On the baseline, so "Feb" (with its tall "b") lines up with "Mar".
    ax.tick_params(axis="x", pad=TICK_SIZE + 4)
    for label in ax.get_xticklabels():
        label.set_verticalalignment("baseline")


def _value_axis(
    ax: Axes, label: str, *, integer: bool = False, money: bool = False, horizontal: bool = False
) -> None:
    """Light grid along the value axis, no box, muted ticks."""
    value_axis = ax.xaxis if horizontal else ax.yaxis
    if label:
        (ax.set_xlabel if horizontal else ax.set_ylabel)(
            label, fontsize=LABEL_SIZE, color=MUTED_TEXT
        )
    if integer:
        value_axis.set_major_locator(MaxNLocator(integer=True))
        value_axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    if money:
        value_axis.set_major_formatter(FuncFormatter(lambda v, _pos: _money_axis(v)))
    ax.grid(axis="x" if horizontal else "y", color=GRID, linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
    ax.tick_params(labelsize=TICK_SIZE, colors=MUTED_TEXT, length=0)
    for label in ax.get_yticklabels() if horizontal else ax.get_xticklabels():
        label.set_color("#1f2933")


def _legend_above(
    ax: Axes, *, right: bool = False, extra: Sequence[tuple[Artist, str]] = ()
) -> None:
    """The legend in a row above the axes, outside the plotted area.

    ``right`` anchors it at the axes' right edge (bar charts with long labels on the
    left, where the space above the labels is free).
    """
    handles, labels = ax.get_legend_handles_labels()
    handles += [handle for handle, _label in extra]
    labels += [label for _handle, label in extra]
    figure = ax.get_figure()
    if not handles or figure is None:
        return
    ax.legend(
        handles,
        labels,
        loc="lower right" if right else "lower left",
        bbox_to_anchor=(1, 1.01) if right else (0, 1.01),
        ncols=_legend_columns(figure, labels),  # type: ignore[arg-type]
        borderaxespad=0,
        fontsize=TICK_SIZE,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.4,
    )


def _modality_patches(codes: Sequence[str]) -> list[tuple[Artist, str]]:
    return [(Patch(color=modality_colour(code)), code) for code in codes]


def _legend_columns(figure: Figure, labels: Sequence[str]) -> int:
    """How many legend entries fit side by side across the figure."""
    longest = max((len(label) for label in labels), default=1)
    entry_inches = (longest * TICK_SIZE * 0.6 + 40) / 72  # text plus the handle and gaps
    return max(1, min(len(labels), int(figure.get_figwidth() * 0.95 / entry_inches)))


def modality_colour(code: str) -> str:
    """One colour per modality, the same in every chart."""
    return PALETTE[_modality_rank(code) % len(PALETTE)]


def _modality_rank(code: str) -> int:
    try:
        return MODALITY_ORDER.index(code)
    except ValueError:
        return len(MODALITY_ORDER) + sum(map(ord, code))


def _series_colour(name: str, index: int) -> str:
    if name == OTHER_SCANS:
        return OTHER
    if name == NOT_LINKED_NAME:
        return NOT_LINKED
    return PALETTE[index % len(PALETTE)]


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def _capitalised(text: str) -> str:
    text = text.removeprefix("the ")
    return text[:1].upper() + text[1:]


def _money_axis(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:,.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}"


def _money_short(amount: Decimal) -> str:
    value = float(amount)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:,.2f}M"
    if abs(value) >= 100_000:
        return f"{value / 1000:,.0f}k"
    return f"{amount:,.2f}"
