"""Every analytics figure against numbers worked out by hand on a small fixed clinic.

The clinic (tests/analytics_helpers.py) is in Africa/Harare (UTC+2, no daylight
saving); "now" is Sunday 22 November 2026, 12:00 there. Each expected number is
derived in the comment next to it.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest

from mic_desktop.db import Database
from mic_desktop.models import Appointment, Payment, ScanType
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.analytics.counting import (
    DEFINITION_APPOINTMENTS,
    DEFINITION_NO_SHOW_RATE,
    DEFINITION_REVENUE,
)
from mic_desktop.services.analytics.periods import Bucket, Period, PeriodKind
from mic_desktop.services.analytics.queries import AnalyticsService
from mic_desktop.services.errors import PermissionDeniedError, ValidationError
from tests.analytics_helpers import HARARE, NOVEMBER, NOW, TODAY, Clinic, at, build_clinic


@pytest.fixture
def clinic(database: Database) -> Clinic:
    with database.session() as session:
        return build_clinic(session)


@pytest.fixture
def analytics(database: Database, staff: dict[str, StaffAccount]) -> AnalyticsService:
    return AnalyticsService(
        database.session_factory, actor=staff["manager"], workstation="office", clock=lambda: NOW
    )


# -- periods --------------------------------------------------------------------------


def test_periods_around_a_day_and_their_buckets() -> None:
    week = Period.this_week(TODAY)  # Sunday 22 Nov: the week of Monday 16 Nov
    assert (week.first_day, week.last_day, week.bucket) == (
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 22),
        Bucket.DAY,
    )
    assert (NOVEMBER.first_day, NOVEMBER.last_day, NOVEMBER.bucket) == (
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 30),
        Bucket.DAY,
    )
    quarter = Period.this_quarter(TODAY)
    assert (quarter.first_day, quarter.last_day, quarter.bucket) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
        Bucket.WEEK,
    )
    assert quarter.bucket_starts()[0] == dt.date(2026, 9, 28)  # the Monday before 1 Oct
    year = Period.this_year(TODAY)
    assert year.bucket is Bucket.MONTH and len(year.bucket_starts()) == 12
    assert year.year_earlier().first_day == dt.date(2025, 1, 1)
    assert NOVEMBER.year_earlier().first_day == dt.date(2025, 11, 2)  # 364 days: a Sunday too
    assert NOVEMBER.label == "November 2026" and quarter.label == "Q4 2026"
    leap = Period.custom(dt.date(2024, 2, 29), dt.date(2024, 12, 31))
    assert leap.year_earlier().first_day == dt.date(2023, 2, 28)
    with pytest.raises(ValidationError, match="ends before it starts"):
        Period.custom(dt.date(2026, 11, 2), dt.date(2026, 11, 1))
    with pytest.raises(ValidationError):
        Period.of_kind(PeriodKind.CUSTOM, TODAY)


def test_only_a_manager_sees_the_analytics(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    with pytest.raises(PermissionDeniedError):
        AnalyticsService(database.session_factory, actor=staff["reception"])


# -- the charts -------------------------------------------------------------------------


def test_volume_by_day_against_52_weeks_earlier(
    analytics: AnalyticsService, clinic: Clinic
) -> None:
    chart = analytics.volume(NOVEMBER)
    by_day = {p.start.day: (p.appointments, p.year_earlier) for p in chart.points}
    assert len(chart.points) == 30
    # Not cancelled: 18 (1 Nov, local), 1 2 3 (2 Nov), 4 (3 Nov; 5 and 6 cancelled), 7 8,
    # 9, 10, 11, 19; 17 is 31 October in the clinic. Year earlier: 13 -> 2 Nov, 15 -> 30 Nov.
    assert {day: counts for day, counts in by_day.items() if counts != (0, 0)} == {
        1: (1, 0),
        2: (3, 1),
        3: (1, 0),
        10: (2, 0),
        20: (1, 0),
        25: (1, 0),
        26: (1, 0),
        30: (1, 1),
    }
    assert (chart.total, chart.year_earlier_total) == (11, 2)
    assert chart.change == pytest.approx(4.5)  # (11 - 2) / 2
    assert chart.definition.startswith(DEFINITION_APPOINTMENTS)
    assert "the same days 52 weeks earlier" in chart.definition
    table = chart.tables[0]
    assert table.total == ("Total", 11, 2, pytest.approx(4.5))
    assert table.formatted()[-1] == ["Total", "11", "2", "+450.0 %"]


def test_volume_by_week_and_by_month(analytics: AnalyticsService, clinic: Clinic) -> None:
    quarter = analytics.volume(Period.this_quarter(TODAY))
    weeks = {
        p.start: (p.appointments, p.year_earlier)
        for p in quarter.points
        if p.appointments or p.year_earlier
    }
    # w/c 26 Oct: 17 (Sat 31 Oct) and 18 (Sun 1 Nov); year earlier 16 (1 Nov 2025 + 364 d).
    assert weeks == {
        dt.date(2026, 10, 26): (2, 1),
        dt.date(2026, 11, 2): (4, 1),
        dt.date(2026, 11, 9): (2, 0),
        dt.date(2026, 11, 16): (1, 0),
        dt.date(2026, 11, 23): (2, 0),
        dt.date(2026, 11, 30): (1, 1),
    }
    year = analytics.volume(Period.this_year(TODAY))
    months = {p.start.month: (p.appointments, p.year_earlier) for p in year.points}
    assert months[10] == (1, 0) and months[11] == (11, 2) and months[12] == (0, 1)
    assert "same period a year earlier" in year.definition


def test_modality_filter(analytics: AnalyticsService, clinic: Clinic) -> None:
    ct = analytics.volume(NOVEMBER, clinic.ct)
    assert (ct.total, ct.year_earlier_total) == (3, 0)  # 3, 8, 11; 14 was cancelled
    popularity = analytics.popularity(NOVEMBER, clinic.xr)
    assert [(row.name, row.appointments) for row in popularity.rows] == [
        ("X-ray chest", 6),
        ("X-ray knee", 2),
    ]
    assert analytics.revenue(NOVEMBER, clinic.xr).total == Decimal("140.00")  # 100 + 40
    assert [row.room for row in analytics.utilisation(NOVEMBER, clinic.ct).rows] == ["CT 1"]


def test_scan_type_popularity(analytics: AnalyticsService, clinic: Clinic) -> None:
    chart = analytics.popularity(NOVEMBER)
    assert [(row.name, row.modality, row.appointments) for row in chart.rows] == [
        ("X-ray chest", "XR", 6),  # 1, 2, 7, 10, 18, 19
        ("CT head", "CT", 3),  # 3, 8, 11
        ("X-ray knee", "XR", 2),  # 4, 9
    ]
    assert chart.total == analytics.volume(NOVEMBER).total == 11
    assert chart.share(chart.rows[0]) == pytest.approx(6 / 11)


def test_attendance_rates(analytics: AnalyticsService, clinic: Clinic) -> None:
    chart = analytics.attendance(NOVEMBER)
    total = chart.total
    # All November bookings: 11 counted + 3 cancelled (5, 6, 12).
    assert (total.booked, total.appointments, total.cancelled) == (14, 11, 3)
    # Due before 22 Nov 12:00: 18, 1, 2, 3, 4, 7, 8, 9. Completed: 18, 1, 3, 4, 7.
    assert (total.due, total.completed, total.no_shows, total.late_cancellations) == (8, 5, 2, 2)
    assert total.completion_rate == pytest.approx(5 / 8)
    assert total.no_show_rate == pytest.approx(2 / 8)
    assert total.late_cancellation_rate == pytest.approx(2 / 14)
    nov3 = next(p for p in chart.points if p.start == dt.date(2026, 11, 3))
    assert (nov3.booked, nov3.due, nov3.completed, nov3.cancelled, nov3.late_cancellations) == (
        3,
        1,
        1,
        2,
        1,
    )
    assert DEFINITION_NO_SHOW_RATE in chart.definition
    assert "less than 24 h before the start" in chart.definition
    assert total.appointments == analytics.volume(NOVEMBER).total  # one definition


def test_revenue(analytics: AnalyticsService, clinic: Clinic) -> None:
    chart = analytics.revenue(NOVEMBER)
    assert chart.total == Decimal("430.00")  # 50 + 100 + 160 + 60 - 20 + 30 + 50
    assert {s.name: s.total for s in chart.series} == {
        "CT head": Decimal("260.00"),  # 100 + 160
        "X-ray chest": Decimal("100.00"),  # 50 (2 Nov) + 50 (1 Nov, 00:15 in the clinic)
        "X-ray knee": Decimal("40.00"),  # 60 - 20 refunded
        "Not linked to a scan": Decimal("30.00"),
    }
    assert [(m.method, m.payments, m.received, m.refunded, m.net) for m in chart.methods] == [
        ("medical_aid", 1, Decimal("160.00"), Decimal("0.00"), Decimal("160.00")),
        ("cash", 3, Decimal("130.00"), Decimal("0.00"), Decimal("130.00")),
        ("card", 1, Decimal("100.00"), Decimal("0.00"), Decimal("100.00")),
        ("eft", 1, Decimal("60.00"), Decimal("20.00"), Decimal("40.00")),
    ]
    assert sum((m.net for m in chart.methods), Decimal(0)) == chart.total
    by_day = dict(zip(chart.bucket_starts, chart.bucket_totals, strict=True))
    assert by_day[dt.date(2026, 11, 1)] == Decimal("50.00")
    assert by_day[dt.date(2026, 11, 5)] == Decimal("-20.00")
    assert chart.definition.startswith(DEFINITION_REVENUE)
    by_method = chart.tables[1]
    assert by_method.formatted()[-1] == ["Total", "6", "450.00", "20.00", "430.00"]


def test_revenue_groups_the_smaller_scan_types(
    analytics: AnalyticsService, clinic: Clinic, database: Database
) -> None:
    with database.session() as session:
        first = session.get(Appointment, clinic.appointments[1])
        for i in range(7):  # Extra i earns i + 1
            scan = ScanType(
                code=f"EX{i}",
                name=f"Extra {i}",
                modality_id=clinic.xr,
                duration_minutes=10,
                price=Decimal("10.00"),
            )
            session.add(scan)
            session.flush()
            extra = Appointment(
                reference=f"EX{i}",
                patient_id=first.patient_id,
                scan_type_id=scan.id,
                room_id=first.room_id,
                start_at=at((2026, 11, 4), "10:00"),
                end_at=at((2026, 11, 4), "10:10"),
                status="cancelled",
                price=scan.price,
                patient_copay=scan.price,
            )
            session.add(extra)
            session.flush()
            session.add(
                Payment(
                    receipt_number=f"X{i}",
                    patient_id=first.patient_id,
                    appointment_id=extra.id,
                    method="cash",
                    amount=Decimal(i + 1),
                    received_at=at((2026, 11, 4), "10:00"),
                )
            )
    chart = analytics.revenue(NOVEMBER)
    assert [(s.name, s.total) for s in chart.series] == [
        ("CT head", Decimal("260.00")),
        ("X-ray chest", Decimal("100.00")),
        ("X-ray knee", Decimal("40.00")),
        ("Extra 6", Decimal("7.00")),
        ("Extra 5", Decimal("6.00")),
        ("Extra 4", Decimal("5.00")),
        ("Other scan types", Decimal("10.00")),  # Extra 3, 2, 1, 0: 4 + 3 + 2 + 1
        ("Not linked to a scan", Decimal("30.00")),
    ]
    assert chart.total == Decimal("458.00")  # 430 + 28


def test_medical_aid(analytics: AnalyticsService, clinic: Clinic) -> None:
    chart = analytics.medical_aid(NOVEMBER)
    rows = [
        (
            r.name,
            r.appointments,
            r.charges,
            r.cover,
            r.copay,
            r.claimed,
            r.settled,
            r.shortfall,
            r.open_claims,
        )
        for r in chart.rows
    ]
    D = Decimal
    assert rows == [
        # 3 (CT head, 240 cover, settled 160: shortfall 80) and 7 (chest, 40 cover, paid).
        ("CIMAS", 2, D("350.00"), D("280.00"), D("70.00"), D("280.00"), D("200.00"), D("80.00"), 0),
        ("PSMAS", 1, D("60.00"), D("30.00"), D("30.00"), D("30.00"), D("0.00"), D("0.00"), 1),
        (
            "No medical aid (self-paying)",
            2,
            D("100.00"),
            D("0.00"),
            D("100.00"),
            D("0.00"),
            D("0.00"),
            D("0.00"),
            0,
        ),
    ]
    assert chart.rows[0].shortfall_rate == pytest.approx(80 / 280)
    assert chart.total.charges == D("510.00")


def test_satisfaction(analytics: AnalyticsService, clinic: Clinic) -> None:
    chart = analytics.satisfaction(NOVEMBER)
    assert (chart.responses, chart.recommended, chart.recommend_rate) == (4, 2, 0.5)
    assert [(a.dimension, a.average, a.answers) for a in chart.averages] == [
        ("Overall satisfaction", pytest.approx(3.5), 4),  # (5 + 3 + 4 + 2) / 4
        ("Staff professionalism", pytest.approx(4.0), 4),  # (5 + 4 + 4 + 3) / 4
        ("Facility cleanliness", pytest.approx(3.5), 4),  # (4 + 3 + 5 + 2) / 4
        ("Report clarity", pytest.approx(4.0), 3),  # (5 + 4 + 3) / 3, one left it blank
    ]
    trend = {
        p.start.day: (p.responses, p.overall, p.recommend_rate) for p in chart.trend if p.responses
    }
    assert trend == {2: (1, 5.0, 1.0), 3: (1, 3.0, 0.0), 4: (1, 4.0, 1.0), 11: (1, 2.0, 0.0)}
    assert [c.text for c in chart.comments] == ["Cold room", "Waited long", "Very quick"]
    assert chart.comments[0].submitted_at == dt.datetime(2026, 11, 11, 8, 0, tzinfo=HARARE)
    assert chart.comments[0].scan == "X-ray chest"


def test_radiologist_turnaround(analytics: AnalyticsService, clinic: Clinic) -> None:
    chart = analytics.turnaround(NOVEMBER)
    rows = [(r.name, r.reports, r.median_hours, r.p90_hours) for r in chart.rows]
    assert rows == [
        # Ann: 2, 4, 24 h. Median 4; p90 at rank 0.9 * 2 = 1.8: 4 + 0.8 * (24 - 4) = 20.
        ("Dr Ann Adams", 3, pytest.approx(4.0), pytest.approx(20.0)),
        # Ben: 1, 6 h (the October report is outside). p90: 1 + 0.9 * 5 = 5.5.
        ("Dr Ben Brown", 2, pytest.approx(3.5), pytest.approx(5.5)),
    ]
    overall = chart.overall
    assert overall is not None
    # All: 1, 2, 4, 6, 24. p90 at rank 3.6: 6 + 0.6 * (24 - 6) = 16.8.
    assert (overall.reports, overall.median_hours, overall.p90_hours) == (
        5,
        pytest.approx(4.0),
        pytest.approx(16.8),
    )
    assert analytics.turnaround(NOVEMBER, clinic.ct).overall.reports == 1  # CT head only


def test_room_utilisation(analytics: AnalyticsService, clinic: Clinic) -> None:
    chart = analytics.utilisation(NOVEMBER)
    rows = [(r.room, r.modality, r.open_minutes, r.booked_minutes) for r in chart.rows]
    assert rows == [
        # 21 weekdays x 480 min; 18, 1, 4, 7, 9, 10 x 15 min + 10 min of 19 (no-show 2 freed).
        ("X-ray 1", "XR", 21 * 480, 6 * 15 + 10),
        # 25 Monday-Saturdays x 240 min; 3 and 11 x 30 min (8 was a no-show, 6 cancelled).
        ("CT 1", "CT", 25 * 240, 60),
    ]  # the inactive "Old X-ray" room had no bookings: not shown
    assert chart.rows[0].utilisation == pytest.approx(100 / 10080)
    assert chart.total.utilisation == pytest.approx(160 / 16080)


def test_an_empty_period_gives_empty_charts(analytics: AnalyticsService, clinic: Clinic) -> None:
    dashboard = analytics.load_dashboard(Period.custom(dt.date(2020, 3, 1), dt.date(2020, 3, 7)))
    for chart in dashboard.charts:
        if chart.key != "utilisation":
            assert chart.is_empty, chart.key
    assert dashboard.utilisation.total.booked_minutes == 0  # rooms were open, nobody booked
    assert dashboard.attendance.total.no_show_rate is None
    assert dashboard.revenue.total == Decimal("0.00")


def test_dashboard_reads_every_chart_at_once(analytics: AnalyticsService, clinic: Clinic) -> None:
    dashboard = analytics.load_dashboard(NOVEMBER)
    assert [chart.key for chart in dashboard.charts] == [
        "volume",
        "popularity",
        "attendance",
        "revenue",
        "medical_aid",
        "satisfaction",
        "turnaround",
        "utilisation",
    ]
    assert dashboard.volume.total == dashboard.popularity.total == 11
    assert dashboard.filter_label == "All modalities"
    figures = {figure.label: figure.value for figure in dashboard.key_figures}
    assert figures["Appointments"] == "11"
    assert figures["No-show rate"] == "25.0 %"
    assert figures["Revenue"] == "USD 430.00"
    assert figures["Room utilisation"] == "1.0 %"
    filtered = analytics.load_dashboard(NOVEMBER, clinic.ct)
    assert filtered.modality is not None and filtered.filter_label == "Computed tomography (CT)"


def test_dashboard_is_one_snapshot_while_desks_keep_writing(
    analytics: AnalyticsService, clinic: Clinic, database: Database
) -> None:
    """A payment committed while the dashboard loads is in every chart or in none."""
    stop = threading.Event()

    def take_payments() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            with database.session() as session:
                session.add(
                    Payment(
                        receipt_number=f"T{number}",
                        patient_id=session.get(Appointment, clinic.appointments[1]).patient_id,
                        appointment_id=clinic.appointments[1],
                        method="cash",
                        amount=Decimal("1.00"),
                        received_at=at((2026, 11, 2), "15:00"),
                    )
                )

    writer = threading.Thread(target=take_payments)
    writer.start()
    try:
        for _ in range(5):
            dashboard = analytics.load_dashboard(NOVEMBER)
            by_method = sum((m.net for m in dashboard.revenue.methods), Decimal(0))
            assert by_method == dashboard.revenue.total
    finally:
        stop.set()
        writer.join()
