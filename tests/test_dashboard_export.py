"""Exporting the dashboard: the PDF read back with pypdf, PNG images, CSV tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from PIL import Image
from pypdf import PdfReader

from mic_desktop.db import Database
from mic_desktop.models import PatientFeedback
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.analytics.counting import DEFINITION_NO_SHOW_RATE
from mic_desktop.services.analytics.export import (
    chart_png,
    dashboard_pdf,
    export_filename,
    table_csv,
)
from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.analytics.queries import AnalyticsService
from mic_desktop.services.analytics.results import Dashboard
from tests.analytics_helpers import NOVEMBER, NOW, Clinic, build_clinic


@pytest.fixture
def clinic(database: Database) -> Clinic:
    with database.session() as session:
        clinic = build_clinic(session)
        feedback = session.get(PatientFeedback, 1)
        assert feedback is not None and feedback.comments == "Very quick"
        feedback.comments = '=HYPERLINK("http://x.example","Very quick")'
        return clinic


@pytest.fixture
def analytics(database: Database, staff: dict[str, StaffAccount]) -> AnalyticsService:
    return AnalyticsService(database.session_factory, actor=staff["manager"], clock=lambda: NOW)


def _pages(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def test_the_pdf_has_a_cover_and_every_chart_with_its_numbers(
    analytics: AnalyticsService, clinic: Clinic
) -> None:
    dashboard = analytics.load_dashboard(NOVEMBER)
    pages = _pages(dashboard_pdf(dashboard, prepared_by="Test Manager"))
    total = len(pages)
    assert total >= 9  # the cover and a page or more per chart
    cover = pages[0]
    for expected in (
        "Management dashboard",
        "November 2026",
        "Sun 1 Nov 2026 – Mon 30 Nov 2026",
        "All modalities",
        "Same dates a year earlier (Sat 1 Nov 2025 – Sun 30 Nov 2025)",
        "Prepared Sun 22 Nov 2026 12:00 by Test Manager",
        "Appointments to date 8",
        "+300.0 %, 1–22 Nov vs 1–22 Nov 2025",
        "Booked ahead 3",
        "No-show rate 25.0 %",
        "Completion rate 62.5 %",
        "Revenue USD 430.00",
        "3.50 / 5",
        "Report turnaround (median) 4.0 h",
        "MIC Medical Imaging Centre",
    ):
        assert expected in cover, expected
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
    text = " ".join(pages)
    for number, chart in enumerate(dashboard.charts, start=1):
        assert f"{number}. {chart.title}" in text
    assert DEFINITION_NO_SHOW_RATE in text
    assert "Revenue by payment method" in text
    assert re.search(r"Total 6 450\.00 20\.00 430\.00", text)  # payments, received, refunded
    assert re.search(r"CIMAS 280\.00 200\.00 80\.00 28\.6 % 0", text)  # claims and shortfall
    assert re.search(r"Dr Ann Adams 3 4\.0 h 20\.0 h", text)  # median and 90th percentile
    # 7,200 and 75 minutes to date; 2,880 and 25 ahead
    assert re.search(r"X-ray 1 XR 120\.0 h 1\.2 h 1\.0 % 0\.9 % of 48 h", text)
    assert "Cold room" in text


def test_the_pdf_of_a_filtered_and_of_an_empty_period(
    analytics: AnalyticsService, clinic: Clinic
) -> None:
    filtered = _pages(dashboard_pdf(analytics.load_dashboard(NOVEMBER, clinic.ct)))
    assert "Computed tomography (CT)" in filtered[0]
    assert "Appointments to date 2" in filtered[0]  # 3 and 8; 11 is ahead

    empty = analytics.load_dashboard(Period.custom(dt.date(2020, 3, 2), dt.date(2020, 3, 8)))
    pages = _pages(dashboard_pdf(empty))
    text = " ".join(pages)
    assert "Appointments to date 0" in pages[0]
    assert text.count("No data for this period.") >= 6
    assert "No comments in this period." in text


def test_a_chart_as_png(analytics: AnalyticsService, clinic: Clinic) -> None:
    dashboard = analytics.load_dashboard(NOVEMBER)
    png = chart_png(dashboard.revenue, width_px=1200, height_px=600, dpi=100)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1200, 600)


def test_tables_as_csv(analytics: AnalyticsService, clinic: Clinic) -> None:
    dashboard: Dashboard = analytics.load_dashboard(NOVEMBER)
    rows = list(csv.reader(io.StringIO(table_csv(dashboard.attendance.tables[0]))))
    assert rows[0] == [
        "Day", "Due", "Completed", "No-shows", "Late cancellations", "Completion rate (%)",
        "No-show rate (%)", "Late-cancellation rate (%)",
    ]  # fmt: skip
    assert len(rows) == 1 + 30 + 1
    assert rows[-1] == ["Whole period", "8", "5", "2", "1", "62.5", "25.0", "10.0"]
    assert rows[3][:3] == ["Tue 3 Nov", "1", "1"]
    assert rows[-2][-3:] == ["", "", ""]  # 30 Nov has not begun: no rates, not a made-up 0

    by_method = list(csv.reader(io.StringIO(table_csv(dashboard.revenue.tables[1]))))
    assert by_method[0] == ["Method", "Payments", "Received (USD)", "Refunded (USD)", "Net (USD)"]
    assert by_method[-1] == ["Total", "6", "450.00", "20.00", "430.00"]

    comments = list(csv.reader(io.StringIO(table_csv(dashboard.satisfaction.tables[-1]))))
    assert comments[0] == ["Given", "Scan", "Overall", "Recommend", "Comment"]
    assert comments[-1] == [
        "2026-11-02 12:00", "X-ray chest", "5", "yes",
        "'=HYPERLINK(\"http://x.example\",\"Very quick\")",
    ]  # fmt: skip


def test_export_file_names(analytics: AnalyticsService, clinic: Clinic) -> None:
    dashboard = analytics.load_dashboard(NOVEMBER, clinic.ct)
    assert export_filename(dashboard, "revenue by method", "csv") == (
        "dashboard-2026-11-01-to-2026-11-30-ct-revenue-by-method.csv"
    )
