"""The reception desk stays current, safe with money and identities, and readable (issue 15).

Each test drives the reception window on the demo clinic like a receptionist: views
follow changes made here and at another desk without F5, a payment cannot be taken
twice by accident, a duplicate registration needs a deliberate click, dates of birth
are typed, PDFs that cannot be shown can be saved, and a drag in the book says what
moved where and can be undone.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QDesktopServices
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from mic_desktop.db import Database
from mic_desktop.models import AppointmentStatus
from mic_desktop.services.accounts.auth import AuthService
from mic_desktop.services.billing.payments import PaymentService
from mic_desktop.services.clock import Clock
from mic_desktop.services.demo.loader import load_demo
from mic_desktop.services.demo.spec import DemoSpec
from mic_desktop.services.patients.registry import PatientService
from mic_desktop.services.scheduling.book import RoomInfo, SchedulingService
from mic_desktop.services.scheduling.booking import BookingRequest, BookingService
from mic_desktop.ui.common import pdf_files
from mic_desktop.ui.common.date_field import DateInputError, parse_day_month_year
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.reception import search as search_module
from mic_desktop.ui.reception.book import room_codes
from mic_desktop.ui.reception.book_canvas import freed
from mic_desktop.ui.reception.patient_dialog import PatientDialog
from mic_desktop.ui.reception.payment_dialog import PaymentDialog
from mic_desktop.ui.reception.quote_panel import cover_words
from mic_desktop.ui.reception.window import ReceptionWindow
from tests.fixed_time import DEMO_TODAY, demo_clock
from tests.ui.helpers import HARARE, SCREENSHOTS, book_demo_patient_in, wait_for_tasks_delivered


@pytest.fixture
def clock() -> Clock:
    return demo_clock()


@pytest.fixture
def demo(database: Database) -> Database:
    load_demo(database.session_factory, DemoSpec(patients=60, months=2, seed=7, today=DEMO_TODAY))
    return database


@pytest.fixture
def reception(qtbot: QtBot, demo: Database, clock: Clock) -> Iterator[ReceptionWindow]:
    account = AuthService(demo.session_factory, "test-pc", clock).login(
        "reception", "reception-demo"
    )
    session = UserSession.open(account, demo.connection, "test-pc", clock)
    window = ReceptionWindow(session)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    wait_for_tasks_delivered(qtbot)
    yield window
    window.close()
    wait_for_tasks_delivered(qtbot)
    session.close()


def other_desk(
    database: Database, clock: Clock
) -> tuple[BookingService, SchedulingService, PatientService]:
    account = AuthService(database.session_factory, "desk-2", clock).login(
        "manager", "manager-demo"
    )
    sf = database.session_factory
    return (
        BookingService(sf, account, "desk-2", clock),
        SchedulingService(sf, account, "desk-2", clock),
        PatientService(sf, account, "desk-2", clock),
    )


def settle(qtbot: QtBot) -> None:
    wait_for_tasks_delivered(qtbot)
    QApplication.processEvents()
    wait_for_tasks_delivered(qtbot)


def book_today(database: Database, clock: Clock, search: str = "mo"):  # type: ignore[no-untyped-def]
    """A booking made at another desk for later today (the demo's history ends this morning)."""
    booking, scheduling, patients = other_desk(database, clock)
    scan = scheduling.scan_types()[0]
    slot = scheduling.next_available(scan.id, count=1, after=clock())[0]
    patient = patients.search(search)[0]
    return booking.book(
        BookingRequest(
            patient.id,
            scan.id,
            slot.room_id,
            slot.start_at,
            radiologist_id=slot.radiologist_id,
            use_medical_aid=False,
        )
    )


def today_statuses(window: ReceptionWindow) -> dict[int, AppointmentStatus]:
    return {row.id: row.status for row in window.home.today.model.rows()}


# -- one change signal --------------------------------------------------------------------


def test_a_change_made_here_reaches_every_view_without_f5_or_the_listener(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    home = reception.home
    details = book_today(demo, clock)
    assert details.start_at.astimezone(HARARE).date() == clock().astimezone(HARARE).date()
    # The other desk's booking arrives through the listener (live update)...
    qtbot.waitUntil(lambda: details.id in today_statuses(reception), timeout=5000)
    home.show_appointment(details.id)
    home.patient_panel.load(details.patient_id)
    panel = home.appointment_panel
    qtbot.waitUntil(lambda: panel.appointment is not None and home.patient_panel.panel is not None)
    qtbot.waitUntil(lambda: details.id in {a.id for a in home.patient_panel.upcoming.rows()})
    # ...then the listener is stopped: what this PC does must still reach every view.
    reception.session.live.stop()
    qtbot.mouseClick(panel.buttons["confirm"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.appointment.status is AppointmentStatus.CONFIRMED)
    qtbot.mouseClick(panel.buttons["check_in"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: today_statuses(reception).get(details.id) is AppointmentStatus.ARRIVED,
        timeout=5000,
    )
    qtbot.waitUntil(
        lambda: any(
            e.id == details.id and e.status is AppointmentStatus.ARRIVED
            for e in home.book.canvas.entries
        )
    )
    qtbot.waitUntil(
        lambda: any(
            a.id == details.id and a.status is AppointmentStatus.ARRIVED
            for a in home.patient_panel.upcoming.rows()
        )
    )
    assert "checked in" in reception.statusBar().currentMessage()
    assert "is now" not in reception.statusBar().currentMessage()


def test_another_desks_payment_and_booking_reach_the_patient_panel(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    home = reception.home
    booking, _, patients = other_desk(demo, clock)
    patient = patients.search("mo")[0]
    home.patient_panel.load(patient.id)
    qtbot.waitUntil(lambda: home.patient_panel.panel is not None)
    coming = len(home.patient_panel.upcoming.rows())
    details = book_today(demo, clock)
    assert details.patient_id == patient.id
    qtbot.waitUntil(lambda: len(home.patient_panel.upcoming.rows()) == coming + 1, timeout=5000)
    assert home.patient_panel.tabs.tabText(0) == f"Next {coming + 1}"
    qtbot.waitUntil(lambda: details.id in today_statuses(reception), timeout=5000)
    # A payment at the other desk: this desk's panel shows the new balance.
    payments = reception.context.payments
    before = payments.balance(patient.id).balance
    other = PaymentService(demo.session_factory, booking._actor, "desk-2", clock)
    other.take_payment(patient.id, Decimal("5.00"), "cash")
    after = before - Decimal("5.00")
    text = (
        f"Owes USD {after:,.2f}"
        if after > 0
        else "Nothing owed"
        if after == 0
        else f"In credit USD {-after:,.2f}"
    )
    qtbot.waitUntil(lambda: home.patient_panel.balance.text() == text, timeout=5000)


def test_cancelled_visits_leave_next_and_free_their_slot_in_the_book(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    home = reception.home
    booking, scheduling, patients = other_desk(demo, clock)
    scan = scheduling.scan_types()[0]
    later = clock() + dt.timedelta(days=10)
    slot = scheduling.next_available(scan.id, count=1, after=later)[0]
    patient = patients.search("mo")[0]
    details = booking.book(
        BookingRequest(patient.id, scan.id, slot.room_id, slot.start_at, use_medical_aid=False)
    )
    home.patient_panel.load(patient.id)
    qtbot.waitUntil(lambda: home.patient_panel.panel is not None)
    qtbot.waitUntil(lambda: details.id in {a.id for a in home.patient_panel.upcoming.rows()})
    booking.cancel(details.id, booking.get(details.id).version, "Patient phoned")
    qtbot.waitUntil(
        lambda: details.id not in {a.id for a in home.patient_panel.upcoming.rows()},
        timeout=5000,
    )
    assert details.id in {a.id for a in home.patient_panel.past.rows()}
    assert home.patient_panel.tabs.tabText(0) == f"Next {len(home.patient_panel.upcoming.rows())}"

    book = home.book
    book.go_to(slot.start_at.astimezone(HARARE).date())
    qtbot.waitUntil(lambda: details.id in {e.id for e in book.canvas.entries})
    entry = next(e for e in book.canvas.entries if e.id == details.id)
    assert freed(entry)
    assert entry in book.canvas.visible_entries()
    book.scroll.verticalScrollBar().setValue(int(book.canvas.y_of(slot.start_at)) - 120)
    settle(qtbot)
    reception.grab().save(str(SCREENSHOTS / "book_cancelled_hatched.png"))
    book.freed_toggle.setChecked(False)  # hidden: free time shows plainly
    assert entry not in book.canvas.visible_entries()
    rect = book.canvas.block_rect(entry)
    assert book.canvas.entry_at(rect.center().toPoint()) is None


# -- money --------------------------------------------------------------------------------


def test_after_a_payment_the_amount_is_the_new_balance_and_credit_is_asked_first(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    context = reception.context
    _, _, patients = other_desk(demo, clock)
    owing = next(
        (p for p in patients.search("ch") if context.payments.balance(p.id).balance > 2), None
    )
    assert owing is not None, "the demo clinic has patients who owe something"
    owed = context.payments.balance(owing.id).balance
    dialog = PaymentDialog(context, owing.id, owing.full_name, parent=reception)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.owed() is not None)
    assert dialog.amount.text() == f"{owed:.2f}"
    assert dialog.take_button.text().replace("&", "") == f"Take USD {owed:,.2f}"
    part = owed - Decimal("1.00")
    dialog.amount.setText(f"{part:.2f}")
    dialog.method.setCurrentIndex(dialog.method.findData("card"))
    qtbot.mouseClick(dialog.take_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.last_result is not None)
    settle(qtbot)
    assert dialog.amount.text() == "1.00"  # what is still owed, not the old amount
    qtbot.mouseClick(dialog.take_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.last_result.balance.balance == 0)
    settle(qtbot)
    assert dialog.amount.text() == "" and dialog.balance_label.text() == "Nothing owed"
    assert dialog.take_button.text().replace("&", "") == "Take payment"
    qtbot.mouseClick(dialog.take_button, Qt.MouseButton.LeftButton)  # nothing typed
    assert dialog.errors["amount"].isVisible()
    # Paying when nothing is owed is asked first, in words; a second click takes it.
    paid = len(context.payments.payments(owing.id))
    dialog.amount.setText("1.75")
    assert dialog.take_button.text().replace("&", "") == "Take USD 1.75 as credit…"
    qtbot.mouseClick(dialog.take_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert dialog.credit_question.text().startswith("Nothing is owed. Take USD 1.75 as credit?")
    dialog.grab().save(str(SCREENSHOTS / "payment_credit_question.png"))
    assert len(context.payments.payments(owing.id)) == paid
    qtbot.mouseClick(dialog.take_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(context.payments.payments(owing.id)) == paid + 1)
    assert context.payments.balance(owing.id).balance == Decimal("-1.75")
    # The patient panel of this desk followed each payment.
    reception.home.patient_panel.load(owing.id)
    qtbot.waitUntil(lambda: reception.home.patient_panel.balance.text() == "In credit USD 1.75")
    dialog.reject()


# -- identity -----------------------------------------------------------------------------


def test_enter_on_the_duplicate_warning_opens_the_registered_patient(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    _, _, patients = other_desk(demo, clock)
    existing = patients.get(patients.search("mo")[0].id)
    home = reception.home
    count = len(patients.search(existing.last_name))
    reception.new_patient_action.trigger()
    dialog = home.dialog
    assert isinstance(dialog, PatientDialog)
    qtbot.keyClicks(dialog.first_name, existing.first_name)
    qtbot.keyClicks(dialog.last_name, existing.last_name)
    qtbot.keyClicks(dialog.date_of_birth.edit, existing.date_of_birth.strftime("%d%m%Y"))
    qtbot.keyClick(dialog.first_name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.duplicate_box.isVisible())
    assert dialog.open_existing_button.isDefault() and not dialog.save_button.isDefault()
    assert not dialog.register_anyway.isDefault() and not dialog.register_anyway.autoDefault()
    assert dialog.register_anyway.focusPolicy() == Qt.FocusPolicy.NoFocus
    assert "&" not in dialog.register_anyway.text()  # no Alt shortcut either
    assert existing.mrn in dialog.open_existing_button.text()
    dialog.grab().save(str(SCREENSHOTS / "patient_duplicate_warning.png"))
    qtbot.keyClick(dialog.open_existing_button, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: (
            home.patient_panel.panel is not None
            and home.patient_panel.panel.patient.id == existing.id
        )
    )
    settle(qtbot)
    assert len(patients.search(existing.last_name)) == count  # nothing registered


def test_date_of_birth_is_typed_starts_empty_and_refuses_future_and_impossible_dates(
    qtbot: QtBot, reception: ReceptionWindow
) -> None:
    today = dt.date(2026, 11, 18)
    assert parse_day_month_year("15/06/1985", today) == dt.date(1985, 6, 15)
    assert parse_day_month_year("15061985", today) == dt.date(1985, 6, 15)
    assert parse_day_month_year("15-6-85", today) == dt.date(1985, 6, 15)
    assert parse_day_month_year("1.2.26", today) == dt.date(2026, 2, 1)
    assert parse_day_month_year("  ", today) is None
    for wrong, words in (
        ("31/02/1990", "no such date"),
        ("19/11/2026", "future"),
        ("15/13/1985", "no such date"),
        ("1985-06-15", "day/month/year"),
    ):
        with pytest.raises(DateInputError, match=words):
            parse_day_month_year(wrong, today)

    reception.new_patient_action.trigger()
    dialog = reception.home.dialog
    assert isinstance(dialog, PatientDialog)
    field = dialog.date_of_birth
    assert field.text() == "" and field.edit.placeholderText() == "dd/mm/yyyy"
    qtbot.keyClicks(field.edit, "15/06/1985")
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Tab)
    field.check()
    assert field.text() == "15/06/1985" and not field.error.isVisible()
    field.setDate(None)
    qtbot.keyClicks(field.edit, "19112026")  # tomorrow in the demo clinic
    qtbot.keyClicks(dialog.first_name, "Rudo")
    qtbot.keyClicks(dialog.last_name, "Chari")
    qtbot.keyClick(dialog.first_name, Qt.Key.Key_Return)
    assert field.error.isVisible() and "future" in field.error.text()
    dialog.grab().save(str(SCREENSHOTS / "patient_date_of_birth_error.png"))
    assert field.text() == "19112026"  # what was typed stays, to be corrected
    # The form's labels show their shortcut letter, never a literal '&'.
    from PySide6.QtWidgets import QLabel

    for label in dialog.findChildren(QLabel):
        if label.text().startswith("&") or "&" in label.text():
            assert label.buddy() is not None, label.text()
    dialog.reject()


# -- PDFs ---------------------------------------------------------------------------------


def test_a_pdf_the_pc_cannot_open_can_be_saved_and_temporary_copies_are_removed(
    qtbot: QtBot,
    reception: ReceptionWindow,
    demo: Database,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: False))
    target = tmp_path / "day sheet.pdf"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    reception.day_sheet_action.trigger()
    qtbot.waitUntil(
        lambda: reception.home.findChild(pdf_files.PdfNotOpenedDialog) is not None, timeout=10_000
    )
    dialog = reception.home.findChild(pdf_files.PdfNotOpenedDialog)
    assert dialog.isVisible() and "no program that opens PDF files" in dialog.text.text()
    assert dialog.save_button.text().replace("&", "") == "Save as…"
    dialog.grab().save(str(SCREENSHOTS / "pdf_not_opened.png"))
    copy = pdf_files.pdf_folder()
    assert any(copy.glob("day-sheet-*.pdf"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert target.read_bytes().startswith(b"%PDF")

    # At exit this program's copies go; a crashed program's folder goes at the next start.
    pdf_files.remove_pdf_folder()
    assert not copy.exists()
    stale = copy.parent / "pdf-999999999"
    stale.mkdir(parents=True)
    (stale / "receipt-R1.pdf").write_bytes(b"%PDF-1.4")
    alive = copy.parent / f"pdf-{os.getppid()}"
    alive.mkdir(exist_ok=True)
    assert pdf_files.remove_stale_pdf_folders() >= 1
    assert not stale.exists() and alive.exists()
    alive.rmdir()


# -- the book -----------------------------------------------------------------------------


def test_a_drag_says_what_moved_where_and_can_be_undone_for_ten_seconds(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    booking, scheduling, patients = other_desk(demo, clock)
    scan = scheduling.scan_types()[0]
    morning = clock().astimezone(HARARE).replace(hour=6, minute=0, second=0, microsecond=0)
    morning += dt.timedelta(days=1)
    while morning.weekday() >= 5:
        morning += dt.timedelta(days=1)
    room = scheduling.next_available(scan.id, count=1, after=morning)[0].room_id
    slots = scheduling.next_available(scan.id, count=40, after=morning, room_id=room)
    first = slots[0]
    later = next(
        s
        for s in slots
        if s.start_at >= first.end_at + dt.timedelta(minutes=60)
        and s.start_at.date() == first.start_at.date()
    )
    details = book_demo_patient_in(booking, patients, scan.id, first)
    home = reception.home
    book = home.book
    book.go_to(first.start_at.astimezone(HARARE).date())
    qtbot.waitUntil(lambda: details.id in {e.id for e in book.canvas.entries})
    canvas = book.canvas
    entry = next(e for e in canvas.entries if e.id == details.id)
    rect = canvas.block_rect(entry)
    start = QPoint(int(rect.center().x()), int(rect.top() + 4))
    drop = QPoint(start.x(), int(canvas.y_of(later.start_at) + 4))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, QPoint(start.x(), start.y() + 20))
    qtbot.mouseMove(canvas, drop)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=drop)
    qtbot.waitUntil(lambda: booking.get(details.id).start_at != first.start_at)
    moved = booking.get(details.id)
    settle(qtbot)
    message = reception.statusBar().currentMessage()
    when = moved.start_at.astimezone(HARARE).strftime("%H:%M")
    assert f"{details.reference} {details.patient_name} moved to" in message
    assert when in message and moved.room_name in message and "Undo" in message
    assert "is now" not in message
    assert home.undo_button.isVisible() and home._undo_timer.interval() == 10_000
    reception.grab().save(str(SCREENSHOTS / "book_moved_with_undo.png"))
    qtbot.mouseClick(home.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: booking.get(details.id).start_at == first.start_at)
    assert booking.get(details.id).room_id == first.room_id
    qtbot.waitUntil(lambda: not home.undo_button.isVisible() or home._undo is not None)


def test_room_codes_filter_menu_and_collapsible_panel(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    def room(number: int, name: str, code: str, modality: int) -> RoomInfo:
        return RoomInfo(number, name, modality, code, code, number, True, ())

    codes = room_codes(
        [
            room(1, "Ultrasound 1", "US", 1),
            room(2, "Ultrasound 2", "US", 1),
            room(3, "CT", "CT", 2),
            room(4, "Main CT", "CT", 2),
        ]
    )
    assert codes == {1: "US 1", 2: "US 2", 3: "CT", 4: "Main CT"}  # no code shared

    home = reception.home
    book = home.book
    details = book_today(demo, clock)
    book.go_to(details.start_at.astimezone(HARARE).date())
    qtbot.waitUntil(lambda: details.id in {e.id for e in book.canvas.entries})
    all_rooms = len(book.canvas.columns)
    column = next(c for c in book.canvas.columns if c.room_id == details.room_id)
    assert column.tooltip.startswith(column.label)  # the header's tooltip: the full name
    modality = next(r for r in book._data.rooms if r.id == details.room_id).modality_name
    book.room_filter.setCurrentIndex(book.room_filter.findText(f"{modality} rooms"))
    settle(qtbot)
    assert 0 < len(book.canvas.columns) < all_rooms
    assert all(e.room_id in {c.room_id for c in book.canvas.columns} for e in book.canvas.entries)
    book.room_filter.setCurrentIndex(0)

    # A block's lines: surname first.
    entry = next(e for e in book.canvas.entries if e.id == details.id)
    lines = book.canvas.block_lines(entry, book.canvas.block_rect(entry), book.canvas.fontMetrics())
    assert lines[0].startswith(entry.patient_sort_name.split(",")[0])

    # Right-click: the appointment's actions in a menu, where the click was.
    menu = home.appointment_panel.menu
    shown: list[QPoint] = []
    menu.popup = lambda where: shown.append(where)  # type: ignore[method-assign]
    rect = book.canvas.block_rect(entry)
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse,
        rect.center().toPoint(),
        book.canvas.mapToGlobal(rect.center().toPoint()),
    )
    QApplication.sendEvent(book.canvas, event)
    qtbot.waitUntil(lambda: bool(shown))
    assert home.appointment_panel.appointment.id == details.id
    enabled = {a.objectName() for a in menu.actions() if a.isEnabled()}
    assert "MenuAction_confirm" in enabled and "MenuAction_complete" not in enabled
    # Only what can be done takes room in the panel; the panel folds away (F9).
    panel = home.appointment_panel
    qtbot.waitUntil(lambda: panel.buttons["confirm"].isVisible())
    assert not panel.buttons["complete"].isVisible()
    sizes = home.splitter.sizes()  # the side panels keep their width through refreshes
    for _ in range(3):
        home.refresh()
        settle(qtbot)
    assert home.splitter.sizes() == sizes
    home.panel_action.trigger()
    assert not home.right.isVisible()
    home.panel_action.trigger()
    assert home.right.isVisible()


def test_search_says_when_results_are_capped_and_the_name_column_keeps_its_width(
    qtbot: QtBot, reception: ReceptionWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    search = reception.home.search
    monkeypatch.setattr(search_module, "SEARCH_LIMIT", 3)
    search.edit.setText("ma")
    search.search_now()
    qtbot.waitUntil(lambda: search.model.rowCount() >= 3)
    assert "shown — refine the search" in search.hint.text()
    assert "found" not in search.hint.text()
    search.view.setColumnWidth(0, 200)
    for text in ("mo", "ch", "ma"):
        search.edit.setText(text)
        search.search_now()
        settle(qtbot)
        assert search.view.columnWidth(0) == 200


def test_the_cover_percentage_says_what_it_is() -> None:
    assert cover_words("95 % up to USD 100.00") == (
        "Medical-aid cover: 95 % of the charge up to USD 100.00."
    )
    assert cover_words("80 %") == "Medical-aid cover: 80 % of the charge."
    assert "whole charge" in cover_words("No medical aid")
