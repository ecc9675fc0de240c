"""The role windows' home pages: what they list, how, and what they say when empty."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mic_desktop.db import Database
from mic_desktop.models import AppointmentStatus
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.ui.common.colours import STATUS_COLOURS
from mic_desktop.ui.common.formatting import (
    format_datetime,
    format_hours,
    format_money,
    format_percent,
)
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.common.table import BADGE_ROLE, RIGHT, SORT_ROLE
from mic_desktop.ui.manager.window import ManagerWindow
from mic_desktop.ui.radiologist.window import RadiologistWindow
from mic_desktop.ui.reception.window import ReceptionWindow
from tests.fixed_time import CLINIC_NOW, clinic_clock
from tests.ui.helpers import HARARE, ClinicData, clinic_time, wait_for_tasks_delivered

DECORATION = Qt.ItemDataRole.DecorationRole
FONT = Qt.ItemDataRole.FontRole
ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole


@pytest.fixture
def open_window(qtbot: QtBot, database: Database, staff) -> Iterator:
    sessions: list[UserSession] = []

    def build(window_class: type, role: str):  # type: ignore[no-untyped-def]
        account: StaffAccount = staff[role]  # type: ignore[assignment]
        session = UserSession.open(account, database.connection, "test-pc", clinic_clock())
        sessions.append(session)
        window = window_class(session)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        wait_for_tasks_delivered(qtbot)
        return window

    yield build
    for session in sessions:
        session.close()


def test_formats() -> None:
    moment = dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.UTC)
    assert format_datetime(moment, HARARE) == "Tue 24 Nov 2026 10:30"
    assert format_money(Decimal("1234.5"), "USD") == "USD 1,234.50"
    assert format_hours(0.5) == "30 min" and format_hours(26.9) == "26 h"
    assert format_hours(50) == "2 d 2 h"
    assert format_percent(None) == "—" and format_percent(0.125) == "12.5 %"
    assert set(STATUS_COLOURS) == set(AppointmentStatus)


def test_reception_lists_today_with_status_badges_and_filters(
    qtbot: QtBot, database: Database, open_window
) -> None:
    clinic = ClinicData(database)
    today = CLINIC_NOW.date()
    ann = clinic.patient("Ann", "Moyo")
    ben = clinic.patient("Ben", "Dube")
    clinic.appointment(ben, clinic_time(today, 11, 15), status="arrived", scan=1)
    clinic.appointment(ann, clinic_time(today, 9, 0), urgency="urgent")
    clinic.appointment(ann, clinic_time(today, 15, 0), status="cancelled")
    clinic.appointment(ann, clinic_time(today + dt.timedelta(days=1), 9, 0))

    window = open_window(ReceptionWindow, "reception")
    page = window.home.today  # the "Today's list" tab of the reception workplace
    model = page.model
    assert page.stack.currentWidget() is page.view
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == [
        "09:00",
        "11:15",
        "15:00",
    ]
    first = [model.index(0, c).data() for c in range(1, 5)]
    assert first[0] == "Ann Moyo" and first[1].startswith("MIC")
    assert first[2:] == ["CT head with contrast", "CT 1"]
    assert model.index(1, 5).data() == "Arrived"
    assert model.index(1, 5).data(BADGE_ROLE) == "arrived"
    assert model.index(0, 1).data(DECORATION) is not None  # the urgent marker
    assert model.index(2, 0).data(FONT).strikeOut()  # cancelled rows are struck through
    assert "2 booked" in page.subtitle.text() and "1 arrived" in page.subtitle.text()

    page.filter.setText("dube")
    assert page.proxy.rowCount() == 1
    page.filter.setText("nobody at all")
    assert page.stack.currentWidget() is page.message
    assert "Clear the filter" in page.message.text.text()


def test_reception_says_what_to_do_when_nobody_is_booked(
    qtbot: QtBot, open_window, database: Database
) -> None:
    window = open_window(ReceptionWindow, "reception")
    page = window.home.today  # the "Today's list" tab of the reception workplace
    assert page.stack.currentWidget() is page.message
    assert page.message.headline.text() == "No appointments today"
    assert "F5" in page.message.text.text()


def test_radiologist_sees_studies_awaiting_a_report(
    qtbot: QtBot, database: Database, open_window
) -> None:
    clinic = ClinicData(database)
    patient = clinic.patient("Chipo", "Ncube")
    long_ago = CLINIC_NOW - dt.timedelta(hours=60)
    recent = CLINIC_NOW - dt.timedelta(hours=3)
    clinic.appointment(patient, long_ago, status="completed", completed_at=long_ago)
    urgent = clinic.appointment(
        patient, recent, status="completed", urgency="urgent", completed_at=recent, scan=1
    )
    clinic.report(urgent, "in_progress")

    window = open_window(RadiologistWindow, "radiologist")
    model = window.home.model
    assert model.rowCount() == 2
    assert [model.index(0, c).data() for c in (0, 1, 3, 4, 7)] == [
        "Urgent",
        "Chipo Ncube",
        "Ultrasound abdomen",
        "Ultrasound",
        "Draft",
    ]
    assert model.index(1, 7).data() == "Not started"
    assert model.index(0, 6).data() == "3 h"
    assert model.index(1, 6).data() == "2 d 12 h"
    assert model.index(1, 6).data(SORT_ROLE) > model.index(0, 6).data(SORT_ROLE)
    assert model.index(1, 6).data(ALIGNMENT) == RIGHT
    assert model.index(1, 6).data(FOREGROUND) is not None  # over the 48 h target: red
    assert model.index(0, 6).data(FOREGROUND) is None
    assert "1 urgent" in window.home.subtitle.text()


def test_radiologist_empty_worklist_says_so(qtbot: QtBot, open_window) -> None:
    window = open_window(RadiologistWindow, "radiologist")
    assert window.home.stack.currentWidget() is window.home.message
    assert window.home.message.headline.text() == "No studies are waiting for a report"


def test_manager_sees_this_months_figures(qtbot: QtBot, database: Database, open_window) -> None:
    clinic = ClinicData(database)
    patient = clinic.patient("Dan", "Sibanda")
    now = CLINIC_NOW
    no_show_at, completed_at = now - dt.timedelta(minutes=40), now - dt.timedelta(minutes=20)
    clinic.appointment(patient, no_show_at, status="no_show", minutes=10)
    clinic.appointment(patient, completed_at, status="completed", minutes=10)
    clinic.payment(patient, "1250.5", now)

    window = open_window(ManagerWindow, "manager")
    home = window.home.pages["month"]  # the manager's first page
    tiles = home.tiles
    no_shows, due = 1, 2  # both this month
    assert tiles["booked"].value.text() == str(due)
    assert tiles["no_show"].value.text() == format_percent(no_shows / due)
    assert tiles["payments"].value.text() == "USD 1,250.50"
    assert tiles["awaiting"].value.text() == "1"  # the completed scan has no report
    assert tiles["booked"].note.text().endswith("; none cancelled.")
    assert home.mix.counts()[AppointmentStatus.NO_SHOW] == no_shows
    assert home.title.text().startswith("This month — ")
