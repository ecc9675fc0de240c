"""The dashboard's figures: what they plot, with data and for an empty period.

Checked on the plotted artists (bar sizes, line data, texts), not on pixels.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from mic_desktop.db import Database
from mic_desktop.models import AppointmentStatus
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.analytics.appointment_results import (
    PopularityChart,
    RoomUtilisation,
    ScanTypeCount,
    UtilisationChart,
)
from mic_desktop.services.analytics.chart_style import NO_DATA_TEXT, STATUS_COLOURS
from mic_desktop.services.analytics.charts import (
    draw_chart,
    draw_popularity,
    draw_utilisation,
    new_figure,
)
from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.analytics.queries import AnalyticsService
from mic_desktop.services.analytics.results import Dashboard
from mic_desktop.ui.common.colours import STATUS_COLOURS as UI_STATUS_COLOURS
from tests.analytics_helpers import BEN_NIGHT_HOURS, NOVEMBER, NOW, build_clinic


@pytest.fixture
def dashboards(database: Database, staff: dict[str, StaffAccount]) -> tuple[Dashboard, Dashboard]:
    """November of the fixed clinic, and an empty week of 2020."""
    with database.session() as session:
        build_clinic(session)
    analytics = AnalyticsService(
        database.session_factory, actor=staff["manager"], clock=lambda: NOW
    )
    empty = Period.custom(dt.date(2020, 3, 2), dt.date(2020, 3, 8))
    return analytics.load_dashboard(NOVEMBER), analytics.load_dashboard(empty)


def _bars(figure: Figure, axes: int = 0) -> list[Rectangle]:
    ax = figure.axes[axes]
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() and p.get_height()]


def _texts(figure: Figure) -> list[str]:
    found = [t.get_text() for t in figure.texts]
    for ax in figure.axes:
        found += [t.get_text() for t in ax.findobj(Text)]
    return found


def test_the_status_colours_are_the_windows_ones() -> None:
    assert {status: colour for status, colour in STATUS_COLOURS.items()} == {
        status: colour.base for status, colour in UI_STATUS_COLOURS.items()
    }


def test_every_chart_draws_its_numbers(dashboards: tuple[Dashboard, Dashboard]) -> None:
    november, _empty = dashboards
    for chart in november.charts:
        figure = new_figure()
        draw_chart(chart, figure)
        assert NO_DATA_TEXT not in _texts(figure), chart.key
        figure.draw_without_rendering()  # lays out without error

    figure = new_figure()
    draw_chart(november.volume, figure)
    ax = figure.axes[0]
    heights = [bar.get_height() for bar in ax.patches if bar.get_width() > 0]
    points = november.volume.points
    done = heights[: len(points)]
    # Days not begun (after Sun 22 Nov) are gaps in "to date", never a zero.
    assert [math.isnan(h) for h in done] == [p.start > dt.date(2026, 11, 22) for p in points]
    assert [h for h in done if not math.isnan(h)] == [
        p.to_date for p in points if p.to_date is not None
    ]
    assert heights[len(points) :] == [p.booked_ahead for p in points]  # stacked on top
    (earlier,) = ax.get_lines()
    assert list(earlier.get_ydata()) == [p.year_earlier for p in november.volume.points]

    figure = new_figure()
    draw_chart(november.popularity, figure)
    widths = [bar.get_width() for bar in _bars(figure)]
    assert widths == [6, 3, 2]  # chest, CT head, knee

    figure = new_figure()
    draw_chart(november.attendance, figure)
    completion = figure.axes[0].get_lines()[0]
    expected = [p.completion_rate for p in november.attendance.points]
    plotted = list(completion.get_ydata())
    assert [math.isnan(v) for v in plotted] == [v is None for v in expected]
    assert [v for v in plotted if not math.isnan(v)] == [v for v in expected if v is not None]
    assert completion.get_color() == STATUS_COLOURS[AppointmentStatus.COMPLETED]
    no_show, late = figure.axes[1].get_lines()
    assert no_show.get_color() == STATUS_COLOURS[AppointmentStatus.NO_SHOW]
    assert late.get_color() == STATUS_COLOURS[AppointmentStatus.CANCELLED]

    figure = new_figure()
    draw_chart(november.revenue, figure)
    stacked = sum(bar.get_height() for bar in _bars(figure, 0))
    assert stacked == pytest.approx(430.0)
    assert [bar.get_width() for bar in _bars(figure, 1)] == [160.0, 130.0, 100.0, 40.0]
    refund_day = november.revenue.bucket_starts.index(dt.date(2026, 11, 5))
    assert any(
        bar.get_height() == -20.0 and bar.get_x() < refund_day < bar.get_x() + 1
        for bar in _bars(figure, 0)
    )

    figure = new_figure()
    draw_chart(november.medical_aid, figure)
    bars = _bars(figure)
    # CIMAS: 280 cover - 80 shortfall paid, 80 shortfall, 70 co-payment = 350 charges.
    cimas = sorted(
        (bar.get_x(), bar.get_width()) for bar in bars if abs(bar.get_y() + 0.325) < 1e-9
    )
    assert cimas == [(0.0, 200.0), (200.0, 80.0), (280.0, 70.0)]

    figure = new_figure()
    draw_chart(november.satisfaction, figure)
    assert [bar.get_width() for bar in _bars(figure, 0)] == [3.5, 4.0, 3.5, 4.0]

    figure = new_figure()
    draw_chart(november.turnaround, figure)
    widths = [bar.get_width() for bar in _bars(figure)]
    ben = BEN_NIGHT_HOURS  # 6 h, or 7 real hours where the clocks go back that night
    p90s, medians = [20.0, 1 + 0.9 * (ben - 1)], [4.0, (1 + ben) / 2]
    assert widths == pytest.approx(p90s + medians)  # p90 bars, then medians

    figure = new_figure()
    draw_chart(november.utilisation, figure)
    # to date: 75 of 7,200 and 30 of 4,320 minutes
    assert [bar.get_width() for bar in _bars(figure)] == pytest.approx([75 / 7200, 30 / 4320])


def test_an_empty_period_says_so_in_every_chart(dashboards: tuple[Dashboard, Dashboard]) -> None:
    _november, empty = dashboards
    for chart in empty.charts:
        if chart.key == "utilisation":  # the rooms were open: 0 % is a result, not "no data"
            continue
        figure = new_figure()
        draw_chart(chart, figure)
        (ax,) = figure.axes
        assert not ax.axison, chart.key
        assert [t.get_text() for t in ax.texts] == [NO_DATA_TEXT], chart.key
        assert not _bars(figure) and not ax.get_lines(), chart.key
    nothing_open = UtilisationChart("Room utilisation", "utilisation = ...", ())
    figure = new_figure()
    draw_chart(nothing_open, figure)
    assert [t.get_text() for t in figure.axes[0].texts] == [NO_DATA_TEXT]


def test_a_titled_chart_carries_its_title_and_definition(
    dashboards: tuple[Dashboard, Dashboard],
) -> None:
    november, empty = dashboards
    for chart in (november.revenue, empty.revenue):
        figure = new_figure()
        draw_chart(chart, figure, titled=True)
        texts = [t.get_text() for t in figure.texts]
        assert texts[0] == "Revenue"
        assert texts[1].replace("\n", " ") == chart.definition
        figure.draw_without_rendering()


def test_redrawing_a_figure_replaces_the_old_chart(dashboards: tuple[Dashboard, Dashboard]) -> None:
    november, empty = dashboards
    figure = new_figure()
    draw_chart(november.volume, figure)
    draw_chart(empty.volume, figure)
    assert len(figure.axes) == 1 and figure.axes[0].texts[0].get_text() == NO_DATA_TEXT


def test_many_scan_types_and_many_rooms_stay_readable() -> None:
    rows = tuple(
        ScanTypeCount(i, f"S{i}", f"Scan {i}", "XR" if i % 2 else "CT", 100 - i) for i in range(20)
    )
    popularity = PopularityChart("Scan-type popularity", "share = ...", rows)
    figure = new_figure()
    draw_popularity(popularity, figure)
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert len(labels) == 13 and labels[-1] == "8 other scan types"
    assert _bars(figure)[-1].get_width() == sum(100 - i for i in range(12, 20))

    rooms = tuple(RoomUtilisation(i, f"Room {i}", "US", 600, 60 * i) for i in range(1, 16))
    utilisation = UtilisationChart("Room utilisation", "utilisation = ...", rooms)
    figure = new_figure()
    draw_utilisation(utilisation, figure)
    bars = _bars(figure)
    assert [bar.get_height() for bar in bars] == pytest.approx([i / 10 for i in range(1, 16)])
    assert figure.axes[0].get_ylim()[1] >= 1.5  # room 15 is booked over its hours


def test_the_revenue_total_is_printed_exactly(dashboards: tuple[Dashboard, Dashboard]) -> None:
    """The total printed over the chart is the exact Decimal, not a sum of floats."""
    november, _empty = dashboards
    figure = new_figure()
    draw_chart(november.revenue, figure)
    assert f"USD {Decimal('430.00'):,.2f} in all" in figure.axes[0].get_title(loc="left")
