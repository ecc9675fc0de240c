"""Every analytics figure against numbers worked out by hand on a small fixed clinic.

The clinic (tests/analytics_helpers.py) is in Africa/Harare (UTC+2, no daylight
saving); "now" is Sunday 22 November 2026, 12:00 there. Each expected number is
derived in the comment next to it.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from mic_desktop.db import Database
from mic_desktop.models import Appointment, Payment, ScanType
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.analytics.appointment_results import RoomUtilisation
from mic_desktop.services.analytics.counting import (
    DEFINITION_APPOINTMENTS,
    DEFINITION_NO_SHOW_RATE,
    DEFINITION_REVENUE,
)
from mic_desktop.services.analytics.periods import Bucket, Period, PeriodKind
from mic_desktop.services.analytics.queries import AnalyticsService
from mic_desktop.services.errors import PermissionDeniedError, ValidationError
from tests.analytics_helpers import (
    BEN_NIGHT_HOURS,
    HARARE,
    NOVEMBER,
    NOW,
    TODAY,
    Clinic,
    at,
    build_clinic,
)


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
    assert NOVEMBER.year_earlier().first_day == dt.date(2025, 11, 1)  # the same dates
    assert week.year_earlier().first_day == dt.date(2025, 11, 17)  # 364 days: a Monday too
    assert NOVEMBER.label == "November 2026" and quarter.label == "Q4 2026"
    leap = Period.custom(dt.date(2024, 2, 29), dt.date(2024, 12, 31))
    assert leap.year_earlier().first_day == dt.date(2023, 2, 28)
    with pytest.raises(ValidationError, match="ends before it starts"):
        Period.custom(dt.date(2026, 11, 2), dt.date(2026, 11, 1))
    with pytest.raises(ValidationError):
        Period.of_kind(PeriodKind.CUSTOM, TODAY)


JOHANNESBURG = ZoneInfo("Africa/Johannesburg")  # UTC+2 all year
LONDON = ZoneInfo("Europe/London")  # GMT; BST (UTC+1) from 29 Mar to 25 Oct 2026


def _utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("kind", "today", "first", "last"),
    [
        (PeriodKind.LAST_WEEK, dt.date(2026, 4, 1), dt.date(2026, 3, 23), dt.date(2026, 3, 29)),
        (PeriodKind.LAST_MONTH, dt.date(2026, 11, 5), dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        (PeriodKind.LAST_MONTH, dt.date(2026, 1, 15), dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
        (PeriodKind.LAST_QUARTER, dt.date(2026, 4, 1), dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        (
            PeriodKind.LAST_QUARTER,
            dt.date(2026, 2, 10),
            dt.date(2025, 10, 1),
            dt.date(2025, 12, 31),
        ),
        (PeriodKind.LAST_YEAR, dt.date(2026, 12, 3), dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ],
)
def test_the_last_periods_are_whole_calendar_periods(
    kind: PeriodKind, today: dt.date, first: dt.date, last: dt.date
) -> None:
    period = Period.of_kind(kind, today)
    assert (period.kind, period.first_day, period.last_day) == (kind, first, last)
    assert period.elapsed(today) == Period.custom(first, last)  # all of it has passed
    assert kind.label.startswith("Last ")


def test_period_boundaries_are_the_clinics_midnights_with_and_without_daylight_saving() -> None:
    # Last week before Wed 1 Apr 2026: Mon 23 - Sun 29 Mar; London moves to BST on the 29th.
    week = Period.last_week(dt.date(2026, 4, 1))
    assert week.bounds(JOHANNESBURG) == (_utc(2026, 3, 22, 22), _utc(2026, 3, 29, 22))
    assert week.bounds(LONDON) == (_utc(2026, 3, 23, 0), _utc(2026, 3, 29, 23))  # 6 d 23 h
    # October 2026 starts in BST and ends in GMT (25 Oct): 31 days and one hour.
    october = Period.last_month(dt.date(2026, 11, 5))
    assert october.bounds(JOHANNESBURG) == (_utc(2026, 9, 30, 22), _utc(2026, 10, 31, 22))
    assert october.bounds(LONDON) == (_utc(2026, 9, 30, 23), _utc(2026, 11, 1, 0))
    quarter = Period.last_quarter(dt.date(2026, 4, 1))  # Q1: GMT to BST
    assert quarter.bounds(JOHANNESBURG) == (_utc(2025, 12, 31, 22), _utc(2026, 3, 31, 22))
    assert quarter.bounds(LONDON) == (_utc(2026, 1, 1, 0), _utc(2026, 3, 31, 23))
    year = Period.last_year(dt.date(2026, 12, 3))
    assert year.bounds(JOHANNESBURG) == (_utc(2024, 12, 31, 22), _utc(2025, 12, 31, 22))
    assert year.bounds(LONDON) == (_utc(2025, 1, 1, 0), _utc(2026, 1, 1, 0))
    this_week = Period.this_week(dt.date(2026, 10, 28))  # Mon 26 Oct, the day after GMT returns
    assert this_week.bounds(LONDON) == (_utc(2026, 10, 26, 0), _utc(2026, 11, 2, 0))
    custom = Period.custom(dt.date(2026, 3, 28), dt.date(2026, 3, 29))
    assert custom.bounds(LONDON) == (_utc(2026, 3, 28, 0), _utc(2026, 3, 29, 23))  # 47 hours


def test_a_running_period_is_compared_up_to_the_same_wall_clock_time() -> None:
    """Sun 29 Mar 2026 12:00 in London is BST (11:00 UTC); the same date a year earlier,
    Sat 29 Mar 2025 12:00, was still GMT (12:00 UTC). 52 weeks earlier, Sun 30 Mar 2025
    12:00, was BST again."""
    now = dt.datetime(2026, 3, 29, 12, tzinfo=LONDON)
    march = Period.this_month(now.date())
    assert march.earlier_instant(now, LONDON) == _utc(2025, 3, 29, 12)
    assert march.span_label(now.date()) == "1–29 Mar vs 1–29 Mar 2025"
    week = Period.this_week(now.date())
    assert week.earlier_instant(now, LONDON) == _utc(2025, 3, 30, 11)
    assert week.span_label(now.date()) == "23–29 Mar vs 24–30 Mar 2025"
    in_joburg = dt.datetime(2026, 3, 29, 12, tzinfo=JOHANNESBURG)
    assert march.earlier_instant(in_joburg, JOHANNESBURG) == _utc(2025, 3, 29, 10)
    # Before the period starts nothing has elapsed; after it ends, all of it has.
    assert Period.this_month(dt.date(2026, 5, 1)).elapsed(dt.date(2026, 4, 30)) is None
    assert Period.this_month(dt.date(2026, 2, 1)).span_label(dt.date(2026, 5, 1)) == (
        "1–28 Feb vs 1–28 Feb 2025"
    )
    assert Period.this_year(dt.date(2026, 1, 1)).span_label(dt.date(2027, 1, 3)) == (
        "1 Jan – 31 Dec 2026 vs 1 Jan – 31 Dec 2025"
    )


def test_only_a_manager_sees_the_analytics(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    with pytest.raises(PermissionDeniedError):
        AnalyticsService(database.session_factory, actor=staff["reception"])


# -- the charts -------------------------------------------------------------------------


def test_volume_by_day_to_date_against_the_same_dates_a_year_earlier(
    analytics: AnalyticsService, clinic: Clinic
) -> None:
    chart = analytics.volume(NOVEMBER)
    by_day = {p.start.day: (p.to_date, p.booked_ahead, p.year_earlier) for p in chart.points}
    assert len(chart.points) == 30
    # Not cancelled: 18 (1 Nov, local), 1 2 3 (2 Nov), 4 (3 Nov; 5 and 6 cancelled), 7 8,
    # 9 (20 Nov) started before now (Sun 22 Nov 12:00); 10, 11, 19 are ahead. 17 is
    # 31 October in the clinic. The same dates a year earlier: 16 (1 Nov 2025) and 13
    # (3 Nov 2025); 14 was cancelled, 15 (1 Dec 2025) is outside.
    assert {day: counts for day, counts in by_day.items() if counts[1:] != (0, 0) or counts[0]} == {
        1: (1, 0, 1),
        2: (3, 0, 0),
        3: (1, 0, 1),
        10: (2, 0, 0),
        20: (1, 0, 0),
        25: (None, 1, 0),
        26: (None, 1, 0),
        30: (None, 1, 0),  # a day not begun: no "to date" at all, a gap
    }
    assert by_day[23] == (None, 0, 0) and by_day[21] == (0, 0, 0)
    assert (chart.to_date, chart.booked_ahead, chart.total) == (8, 3, 11)
    assert (chart.year_earlier_to_date, chart.year_earlier_total) == (2, 2)
    assert chart.change == pytest.approx(3.0)  # (8 - 2) / 2, like with like
    assert chart.span == "1–22 Nov vs 1–22 Nov 2025"
    assert chart.definition.startswith(DEFINITION_APPOINTMENTS)
    assert "same span of the same dates a year earlier (1–22 Nov vs 1–22 Nov 2025)" in (
        chart.definition
    )
    table = chart.tables[0]
    assert [column.title for column in table.columns] == [
        "Day", "To date", "Ahead", "Year earlier", "Change"
    ]  # fmt: skip
    assert table.total == ("Total", 8, 3, 2, pytest.approx(3.0))
    assert table.formatted()[-1] == ["Total", "8", "3", "2", "+300.0 %"]
    assert table.formatted()[29] == ["Mon 30 Nov", "—", "1", "—", "—"]  # not begun: no change
    assert table.formatted()[0] == ["Sun 1 Nov", "1", "0", "1", "+0.0 %"]


def test_a_week_compares_the_same_weekdays_52_weeks_earlier(
    analytics: AnalyticsService, clinic: Clinic
) -> None:
    week = Period.this_week(dt.date(2026, 11, 4))  # Mon 2 - Sun 8 Nov, all before now
    chart = analytics.volume(week)
    assert chart.comparison.first_day == dt.date(2025, 11, 3)  # a Monday too
    assert "the same days 52 weeks earlier" in chart.definition
    # 1 2 3 (2 Nov) and 4 (3 Nov) against 13 (Mon 3 Nov 2025; 14 cancelled).
    assert (chart.to_date, chart.booked_ahead, chart.year_earlier_to_date) == (4, 0, 1)
    assert chart.span == "2–8 Nov vs 3–9 Nov 2025"


def test_a_running_period_compares_up_to_the_same_time_of_day(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic
) -> None:
    """On Mon 2 Nov 2026 at 09:30 the month so far is 18 (1 Nov) and 1 and 2 (09:00, 09:15;
    3 starts at 10:00); a year earlier the same span, 1 Nov 2025 - 2 Nov 2025 09:30,
    holds 16 only (13 is on 3 Nov 2025)."""
    morning = at((2026, 11, 2), "09:30")
    service = AnalyticsService(
        database.session_factory, actor=staff["manager"], clock=lambda: morning
    )
    dashboard = service.load_dashboard(NOVEMBER)
    volume = dashboard.volume
    assert (volume.to_date, volume.year_earlier_to_date) == (3, 1)
    assert volume.booked_ahead == 11 - 3
    assert volume.span == "1–2 Nov vs 1–2 Nov 2025"
    figures = {figure.label: figure for figure in dashboard.key_figures}
    assert figures["Appointments to date"].value == "3"
    assert figures["Appointments to date"].note == "+200.0 %, 1–2 Nov vs 1–2 Nov 2025"
    assert figures["Booked ahead"].value == "8"
    # Attendance: 18 done (1 Nov); 1 (completed) and 2 (no-show) have outcomes today.
    assert (dashboard.attendance.total.due, dashboard.attendance.total.completed) == (3, 2)


def test_volume_by_week_and_by_month(analytics: AnalyticsService, clinic: Clinic) -> None:
    quarter = analytics.volume(Period.this_quarter(TODAY))
    weeks = {
        p.start: (p.appointments, p.year_earlier)
        for p in quarter.points
        if p.appointments or p.year_earlier
    }
    # w/c 26 Oct: 17 (Sat 31 Oct) and 18 (Sun 1 Nov); year earlier 16 (1 Nov 2025 + a year).
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
    assert "the same dates a year earlier" in year.definition


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
    # Late cancellations of the days begun by now (1-22 Nov): 5 of 10 bookings (18, 1-9);
    # 12 (27 Nov) counts on its day. A day ahead has no rate at all: a gap, not 0 %.
    assert (total.booked_so_far, total.late_so_far) == (10, 1)
    assert total.late_cancellation_rate == pytest.approx(1 / 10)
    nov25 = next(p for p in chart.points if p.start == dt.date(2026, 11, 25))
    assert (nov25.booked, nov25.late_cancellation_rate, nov25.no_show_rate) == (1, None, None)
    empty_day = next(p for p in chart.points if p.start == dt.date(2026, 11, 4))
    assert (empty_day.due, empty_day.completion_rate, empty_day.no_show_rate) == (0, None, None)
    assert chart.tables[0].formatted()[-1][5:] == ["62.5 % of 8", "25.0 % of 8", "10.0 % of 10"]
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
    ben = BEN_NIGHT_HOURS
    assert rows == [
        # Ann: 2, 4, 24 h. Median 4; p90 at rank 0.9 * 2 = 1.8: 4 + 0.8 * (24 - 4) = 20.
        ("Dr Ann Adams", 3, pytest.approx(4.0), pytest.approx(20.0)),
        # Ben: 1, 6 h (the October report is outside). p90: 1 + 0.9 * 5 = 5.5. Where the
        # clocks go back that night his 6 h on the clock are 7 real hours: 4 and 6.4.
        ("Dr Ben Brown", 2, pytest.approx((1 + ben) / 2), pytest.approx(1 + 0.9 * (ben - 1))),
    ]
    overall = chart.overall
    assert overall is not None
    # All: 1, 2, 4, 6, 24. p90 at rank 3.6: 6 + 0.6 * (24 - 6) = 16.8 (17.2 with 7 h).
    assert (overall.reports, overall.median_hours, overall.p90_hours) == (
        5,
        pytest.approx(4.0),
        pytest.approx(ben + 0.6 * (24 - ben)),
    )
    assert analytics.turnaround(NOVEMBER, clinic.ct).overall.reports == 1  # CT head only


def test_room_utilisation(analytics: AnalyticsService, clinic: Clinic) -> None:
    """Up to today (Sun 22 Nov) against the hours open up to today; the rest as booked ahead."""
    chart = analytics.utilisation(NOVEMBER)

    def ahead(row: RoomUtilisation) -> tuple[int, int]:
        return row.ahead_open_minutes, row.ahead_booked_minutes

    rows = [(r.room, r.modality, r.open_minutes, r.booked_minutes, *ahead(r)) for r in chart.rows]
    assert rows == [
        # 1-22 Nov: 15 weekdays x 480 min; 18, 1, 4, 7, 9 x 15 min (no-show 2 freed its slot).
        # 23-30 Nov: 6 weekdays x 480; 10 (15 min) and 10 minutes of 19.
        ("X-ray 1", "XR", 15 * 480, 5 * 15, 6 * 480, 25),
        # 18 Monday-Saturdays x 240 min; 3 (30 min; 8 was a no-show, 6 cancelled);
        # ahead 7 x 240, 11 (30 min).
        ("CT 1", "CT", 18 * 240, 30, 7 * 240, 30),
    ]  # the inactive "Old X-ray" room had no bookings: not shown
    assert chart.rows[0].utilisation == pytest.approx(75 / 7200)
    assert chart.total.utilisation == pytest.approx(105 / 11520)
    assert chart.total.booked_ahead == pytest.approx(55 / 4560)
    assert "(Sun 1 Nov 2026 – Sun 22 Nov 2026)" in chart.definition
    assert chart.tables[0].formatted()[-1][-1] == "1.2 % of 76 h"  # 55 min of 4,560


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
    assert figures["Appointments to date"] == "8" and figures["Booked ahead"] == "3"
    assert figures["No-show rate"] == "25.0 %"
    assert figures["Revenue"] == "USD 430.00"
    assert figures["Room utilisation"] == "0.9 %"  # 105 / 11,520 minutes
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
