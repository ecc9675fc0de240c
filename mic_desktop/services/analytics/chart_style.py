"""The look shared by every dashboard chart: colours, font sizes and the pieces each
chart is drawn with (the "No data" message, title and definition line, bucket and value
axes, legends above the axes, short money and percent labels).

Fonts are sized for a chart of about 900 x 450 pixels (a 1366 x 768 screen). Status
series use the application's status colours (DESIGN.md "Look and feel"); other series
use a muted palette that avoids the status hues.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import offset_copy

from mic_desktop.models import AppointmentStatus
from mic_desktop.services.analytics.finance_results import NOT_LINKED as NOT_LINKED_NAME
from mic_desktop.services.analytics.finance_results import OTHER_SCANS

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
AHEAD = "#c4d7ea"  # booked ahead: the accent, lighter
BUCKETS = "buckets"  # the label of axes whose x positions are the chart's buckets
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


def no_data(ax: Axes) -> None:
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


def add_title(figure: Figure, title: str, definition: str) -> None:
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


def bucket_axis(ax: Axes, labels: Sequence[str]) -> None:
    """Bucket labels along x, thinned to what the axes' width can hold."""
    ax.set_label(BUCKETS)
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


def value_axis(
    ax: Axes, label: str, *, integer: bool = False, money: bool = False, horizontal: bool = False
) -> None:
    """Light grid along the value axis, no box, muted ticks."""
    axis = ax.xaxis if horizontal else ax.yaxis
    if label:
        (ax.set_xlabel if horizontal else ax.set_ylabel)(
            label, fontsize=LABEL_SIZE, color=MUTED_TEXT
        )
    if integer:
        axis.set_major_locator(MaxNLocator(integer=True))
        axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    if money:
        axis.set_major_formatter(FuncFormatter(lambda v, _pos: _money_axis(v)))
    ax.grid(axis="x" if horizontal else "y", color=GRID, linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
    ax.tick_params(labelsize=TICK_SIZE, colors=MUTED_TEXT, length=0)
    for label in ax.get_yticklabels() if horizontal else ax.get_xticklabels():
        label.set_color("#1f2933")


def legend_above(
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
        ncols=legend_columns(figure, labels),  # type: ignore[arg-type]
        borderaxespad=0,
        fontsize=TICK_SIZE,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.4,
    )


def modality_patches(codes: Sequence[str]) -> list[tuple[Artist, str]]:
    return [(Patch(color=modality_colour(code)), code) for code in codes]


def legend_columns(figure: Figure, labels: Sequence[str]) -> int:
    """How many legend entries fit side by side across the figure."""
    longest = max((len(label) for label in labels), default=1)
    entry_inches = (longest * TICK_SIZE * 0.6 + 40) / 72  # text plus the handle and gaps
    return max(1, min(len(labels), int(figure.get_figwidth() * 0.95 / entry_inches)))


def modality_colour(code: str) -> str:
    """One colour per modality, the same in every chart."""
    return PALETTE[modality_rank(code) % len(PALETTE)]


def modality_rank(code: str) -> int:
    try:
        return MODALITY_ORDER.index(code)
    except ValueError:
        return len(MODALITY_ORDER) + sum(map(ord, code))


def series_colour(name: str, index: int) -> str:
    if name == OTHER_SCANS:
        return OTHER
    if name == NOT_LINKED_NAME:
        return NOT_LINKED
    return PALETTE[index % len(PALETTE)]


def nan_if_none(value: float | None) -> float:
    return math.nan if value is None else value


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def capitalised(text: str) -> str:
    text = text.removeprefix("the ")
    return text[:1].upper() + text[1:]


def _money_axis(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:,.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}"


def money_short(amount: Decimal) -> str:
    value = float(amount)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:,.2f}M"
    if abs(value) >= 100_000:
        return f"{value / 1000:,.0f}k"
    return f"{amount:,.2f}"
