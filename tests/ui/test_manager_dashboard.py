"""The manager's dashboard: charts with their numbers, periods, empty periods, exports."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from mic_desktop.db import Database
from mic_desktop.models import Role
from mic_desktop.services.admin.staff import StaffService
from mic_desktop.services.analytics.chart_style import NO_DATA_TEXT
from mic_desktop.services.analytics.periods import PeriodKind
from mic_desktop.services.demo.loader import load_demo
from mic_desktop.services.demo.spec import DemoSpec
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.manager import files
from mic_desktop.ui.manager.chart_panel import ChartPanel
from mic_desktop.ui.manager.dashboard import TAB_NAMES, DashboardPage
from mic_desktop.ui.manager.window import ManagerWindow
from tests.fixed_time import DEMO_TODAY, demo_clock
from tests.ui.helpers import SCREENSHOTS, wait_for_tasks_delivered


def figure_texts(panel) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """What is written on the chart on screen (also read out as its description)."""
    assert panel.canvas.accessibleDescription() == "; ".join(panel.canvas.texts)
    return panel.canvas.texts


@pytest.fixture
def window(qtbot: QtBot, database: Database) -> Iterator[ManagerWindow]:
    load_demo(database.session_factory, DemoSpec(patients=60, months=2, seed=7, today=DEMO_TODAY))
    accounts = StaffService(database.session_factory, actor=None, workstation="t").list_accounts()
    manager = next(a for a in accounts if a.role is Role.MANAGER)
    session = UserSession.open(manager, database.connection, "test-pc", demo_clock())
    window = ManagerWindow(session)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    wait_for_tasks_delivered(qtbot)
    yield window
    session.close()


def open_dashboard(qtbot: QtBot, window: ManagerWindow) -> DashboardPage:
    page = window.home.show_page("dashboard")
    assert isinstance(page, DashboardPage)
    qtbot.waitUntil(lambda: page.dashboard is not None and page.busy.isHidden(), timeout=15_000)
    return page


def show_tab(qtbot: QtBot, page: DashboardPage, key: str) -> ChartPanel:
    """Bring a chart's tab to the front and wait until its chart is drawn (off the GUI thread)."""
    panel = page.panels[key]
    page.tabs.setCurrentWidget(panel)
    assert page.dashboard is not None
    chart = next(chart for chart in page.dashboard.charts if chart.key == key)
    qtbot.waitUntil(lambda: panel.canvas.drawn_chart is chart, timeout=15_000)
    return panel


def test_every_chart_tab_shows_its_chart_definition_and_numbers(
    qtbot: QtBot, window: ManagerWindow
) -> None:
    page = open_dashboard(qtbot, window)
    assert page.dashboard is not None
    assert page.period_box.currentText() == "This month"
    assert "as of" in page.status.text()
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == list(TAB_NAMES.values())
    drawn = 0
    for index, chart in enumerate(page.dashboard.charts):
        panel = show_tab(qtbot, page, chart.key)
        assert page.tabs.currentIndex() == index
        assert panel.title.text() == chart.title
        assert panel.definition.text() == chart.definition and chart.definition
        assert panel.canvas.drawn_chart is chart and panel.canvas.drawings >= 1, chart.key
        assert panel.tables.count() == len(chart.tables)
        if not chart.is_empty:
            drawn += 1
            assert NO_DATA_TEXT not in figure_texts(panel)
            view = panel.tables.widget(0)
            first = chart.tables[0]
            if first.rows:
                assert view.model().rowCount() == len(first.formatted())
                assert view.model().index(0, 0).data() == first.formatted()[0][0]
    assert drawn >= 5  # two months of the demo clinic fill most charts
    figures = [box.caption.text() for box in page.figures]
    assert figures[:4] == [
        "Appointments to date",
        "Booked ahead",
        "Completion rate",
        "No-show rate",
    ]
    assert " vs " in page.figures[0].note.text()  # the span compared, like with like


def test_an_empty_period_says_no_data_on_every_chart(qtbot: QtBot, window: ManagerWindow) -> None:
    page = open_dashboard(qtbot, window)
    page.period_box.setCurrentIndex(page.period_box.findText("Custom dates"))
    assert page.first_day.isVisible() and page.last_day.isVisible()
    page.first_day.setDate(QDate(2001, 3, 1))
    page.last_day.setDate(QDate(2001, 3, 31))
    qtbot.waitUntil(
        lambda: (
            page.dashboard is not None
            and page.dashboard.period.first_day == dt.date(2001, 3, 1)
            and page.dashboard.period.last_day == dt.date(2001, 3, 31)
            and page.busy.isHidden()
        ),
        timeout=15_000,
    )
    for chart in page.dashboard.charts:
        panel = show_tab(qtbot, page, chart.key)
        if chart.key == "utilisation":  # rooms were open: 0 % used is a figure, not "no data"
            assert all(row.booked_minutes == 0 for row in chart.rows)
            continue
        assert chart.is_empty, chart.key
        assert NO_DATA_TEXT in figure_texts(panel), chart.key
    assert "Mar 2001" in page.status.text() or "2001" in page.status.text()


def test_a_custom_period_that_ends_before_it_starts_is_refused_next_to_the_dates(
    qtbot: QtBot, window: ManagerWindow
) -> None:
    page = open_dashboard(qtbot, window)
    page.period_box.setCurrentIndex(page.period_box.findText("Custom dates"))
    wait_for_tasks_delivered(qtbot)
    page.first_day.setDate(QDate(2026, 5, 10))
    page.last_day.setDate(QDate(2026, 5, 1))
    qtbot.waitUntil(page.period_error.isVisible)
    assert page.period_error.text() == "The period ends before it starts."


def test_the_dashboard_stays_responsive_and_shows_it_is_loading(
    qtbot: QtBot, window: ManagerWindow
) -> None:
    page = open_dashboard(qtbot, window)
    page.modality_box.setCurrentIndex(1)  # a modality: reloads
    assert not page.busy.isHidden()
    assert page.status.text() == "Loading the charts…"
    assert not page.pdf_button.isEnabled()
    qtbot.waitUntil(page.busy.isHidden, timeout=15_000)
    assert page.dashboard is not None and page.dashboard.modality is not None
    assert page.dashboard.modality.id == page.modality_box.currentData()
    assert page.pdf_button.isEnabled()


def test_only_the_chart_on_screen_is_drawn(qtbot: QtBot, window: ManagerWindow) -> None:
    """A refresh draws the tab on screen; the other tabs draw their chart when shown."""
    page = open_dashboard(qtbot, window)
    volume = show_tab(qtbot, page, "volume")
    hidden = [panel for key, panel in page.panels.items() if key != "volume"]
    assert all(panel.canvas.drawings == 0 and not panel.canvas.texts for panel in hidden)

    page.period_box.setCurrentIndex(page.period_box.findData(PeriodKind.YEAR))
    qtbot.waitUntil(
        lambda: (
            page.busy.isHidden()
            and page.dashboard is not None
            and page.dashboard.period.kind is PeriodKind.YEAR
            and volume.canvas.drawn_chart is page.dashboard.volume
        ),
        timeout=15_000,
    )
    wait_for_tasks_delivered(qtbot)
    year = page.dashboard
    for panel in hidden:  # given the year's chart, but nothing drawn or filled in yet
        assert panel.chart is getattr(year, panel.key)
        assert panel.canvas.drawings == 0 and panel.canvas.drawn_chart is None
        assert panel.tables.count() == 0

    revenue = show_tab(qtbot, page, "revenue")  # drawn when first shown
    assert revenue.canvas.drawings >= 1 and revenue.canvas.texts  # its value labels
    assert revenue.title.text() == year.revenue.title
    assert revenue.tables.count() == len(year.revenue.tables)
    assert all(panel.canvas.drawings == 0 for panel in hidden if panel is not revenue)

    volume_drawings, revenue_drawings = volume.canvas.drawings, revenue.canvas.drawings
    page.modality_box.setCurrentIndex(1)  # new data while the revenue tab is on screen
    qtbot.waitUntil(
        lambda: (
            page.busy.isHidden()
            and page.dashboard is not None
            and page.dashboard.modality is not None
            and revenue.canvas.drawn_chart is page.dashboard.revenue
        ),
        timeout=15_000,
    )
    wait_for_tasks_delivered(qtbot)
    assert revenue.canvas.drawings > revenue_drawings  # drawn again at once
    assert volume.canvas.drawings == volume_drawings  # hidden: not drawn again ...
    assert volume.canvas.drawn_chart is year.volume
    show_tab(qtbot, page, "volume")  # ... until it is shown
    assert volume.canvas.drawings > volume_drawings


def test_export_pdf_png_and_csv(
    qtbot: QtBot, window: ManagerWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = open_dashboard(qtbot, window)
    chosen: list[str] = []

    def choose(parent, caption, suggested, filter):  # type: ignore[no-untyped-def]
        chosen.append(suggested)
        return tmp_path / suggested

    monkeypatch.setattr(files, "choose_save_path", choose)

    qtbot.mouseClick(page.pdf_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status.text().startswith("Saved the dashboard"), timeout=30_000)
    pdf_path = tmp_path / chosen[-1]
    assert chosen[-1].endswith(".pdf") and chosen[-1].startswith("dashboard-")
    reader = PdfReader(io.BytesIO(pdf_path.read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) >= 1 + len(page.dashboard.charts)
    for chart in page.dashboard.charts:
        assert chart.title.split()[0] in text
    assert page.dashboard.period.label in text

    revenue = page.panels["revenue"]
    page.tabs.setCurrentWidget(revenue)
    qtbot.mouseClick(revenue.png_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status.text().startswith("Saved the"), timeout=15_000)
    assert (tmp_path / chosen[-1]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    table = revenue.current_table()
    assert table is not None
    qtbot.mouseClick(revenue.csv_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status.text().startswith("Saved the table"), timeout=15_000)
    csv_text = (tmp_path / chosen[-1]).read_text(encoding="utf-8-sig")
    assert chosen[-1].endswith(".csv")
    assert csv_text.splitlines()[0] == ",".join(c.csv_title for c in table.columns)
    assert len(csv_text.splitlines()) == 1 + len(table.formatted())

    if SCREENSHOTS.is_dir():  # the exported report's pages, as a board would see them
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(pdf_path), str(SCREENSHOTS / "manager-pdf")],
            check=False,
        )


def test_screenshots_of_the_dashboard(qtbot: QtBot, window: ManagerWindow) -> None:
    page = open_dashboard(qtbot, window)
    SCREENSHOTS.mkdir(exist_ok=True)
    for key in ("volume", "revenue", "attendance", "satisfaction", "utilisation"):
        show_tab(qtbot, page, key)
        window.grab().save(str(SCREENSHOTS / f"manager-dashboard-{key}.png"))
    assert (SCREENSHOTS / "manager-dashboard-volume.png").exists()


def test_screenshots_of_the_administration_pages(qtbot: QtBot, window: ManagerWindow) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    for key in window.home.pages:
        if key == "dashboard":
            continue
        page = window.home.show_page(key)
        wait_for_tasks_delivered(qtbot)
        if key == "templates":
            qtbot.waitUntil(lambda p=page: p.preview is not None or p.appointment.count() > 0)
            page.update_preview()
            wait_for_tasks_delivered(qtbot)
        window.grab().save(str(SCREENSHOTS / f"manager-page-{key}.png"))
        assert (SCREENSHOTS / f"manager-page-{key}.png").exists()


def test_critical_results_are_shown_and_counted_in_the_sidebar(
    qtbot: QtBot, window: ManagerWindow
) -> None:
    workplace = window.home
    page = workplace.pages["critical"]
    qtbot.waitUntil(  # rows, or the message that there are none (not "Loading…")
        lambda: (
            page.stack.currentWidget() is page.view or "Loading" not in page.message.headline.text()
        )
    )
    rows = page.model.rows()
    item = workplace.sidebar.item(list(workplace.pages).index("critical"))
    if rows:  # loaded with the window, before the page is opened
        assert item.text() == f"Critical results ({len(rows)})"
        escalated = sum(1 for r in rows if r.escalated)
        assert (item.foreground().color().name() == "#c81e1e") == (escalated > 0)
    else:
        assert item.text() == "Critical results"
        assert page.message.headline.text() == "No critical result is waiting"
    workplace.show_page("critical")
    SCREENSHOTS.mkdir(exist_ok=True)
    window.grab().save(str(SCREENSHOTS / "manager-page-critical.png"))


def test_screenshots_of_the_dialogs(qtbot: QtBot, window: ManagerWindow) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    workplace = window.home

    def shoot(key: str, button: str, name: str) -> None:
        page = workplace.show_page(key)
        wait_for_tasks_delivered(qtbot)
        getattr(page, button).click()
        dialog = page.dialog
        assert dialog is not None and dialog.isVisible()
        dialog.grab().save(str(SCREENSHOTS / f"manager-dialog-{name}.png"))
        dialog.reject()

    shoot("staff", "add_button", "add-staff")
    shoot("scan_types", "price_button", "change-price")
    shoot("scan_types", "edit_button", "edit-scan-type")
    shoot("rooms", "hours_button", "opening-hours")
    shoot("radiologists", "leave_button", "leave")
    page = workplace.show_page("medical_aid")
    qtbot.waitUntil(lambda: page.selected_plan() is not None)
    page.add_rule_button.click()
    page.dialog.grab().save(str(SCREENSHOTS / "manager-dialog-coverage-rule.png"))
    page.dialog.reject()
    assert (SCREENSHOTS / "manager-dialog-coverage-rule.png").exists()


def test_last_month_and_rates_with_their_denominators_on_hover(
    qtbot: QtBot, window: ManagerWindow
) -> None:
    page = open_dashboard(qtbot, window)
    page.period_box.setCurrentIndex(page.period_box.findData(PeriodKind.LAST_MONTH))
    qtbot.waitUntil(
        lambda: (
            page.busy.isHidden()
            and page.dashboard is not None
            and page.dashboard.period.kind is PeriodKind.LAST_MONTH
        ),
        timeout=15_000,
    )
    assert page.dashboard.period.label == "October 2026"  # the demo's today: 18 Nov 2026
    # two months of demo data: nothing a year earlier to compare with, and it says so
    assert page.figures[0].note.text() == "1–31 Oct vs 1–31 Oct 2025: none to compare with"
    panel = show_tab(qtbot, page, "attendance")
    canvas = panel.canvas
    qtbot.waitUntil(lambda: canvas.drawn_chart is page.dashboard.attendance, timeout=15_000)
    zones = canvas.hover
    assert len(zones) == 31  # one per day, over the plotted area
    ratio = canvas.devicePixelRatioF()
    first = zones[1]  # Fri 2 Oct
    x = (first.left + first.right) / 2 / ratio
    y = (first.top + first.bottom) / 2 / ratio
    text = canvas.hover_text(x, y)
    assert text.startswith("Fri 2 Oct: completion ") and " due = " in text
    assert canvas.hover_text(1, 1) == ""  # outside the plot: no tooltip
