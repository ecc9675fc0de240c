"""Reception's workplace driven like a receptionist: find, register, book, act, pay, cancel."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import shiboken6
from pypdf import PdfReader
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import update

from mic_desktop.db import Database
from mic_desktop.models import AppointmentStatus, ClinicSettings
from mic_desktop.services.accounts.auth import AuthService
from mic_desktop.services.clock import Clock
from mic_desktop.services.demo.loader import load_demo
from mic_desktop.services.demo.spec import DemoSpec
from mic_desktop.services.errors import SlotTakenError, ValidationError
from mic_desktop.services.patients.registry import PatientService
from mic_desktop.services.scheduling.book import SchedulingService
from mic_desktop.services.scheduling.booking import BookingRequest, BookingService
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.reception.booking_dialog import BookingDialog
from mic_desktop.ui.reception.patient_dialog import PatientDialog
from mic_desktop.ui.reception.payment_dialog import PaymentDialog
from mic_desktop.ui.reception.window import ReceptionWindow
from tests.fixed_time import DEMO_TODAY, demo_clock
from tests.ui.helpers import HARARE, book_demo_patient_in, wait_for_tasks_delivered
from tests.ui.helpers import SCREENSHOTS as SHOTS


@pytest.fixture
def clock() -> Clock:
    """The demo clinic's "now": Wednesday 18 November 2026, 10:30 there, and running."""
    return demo_clock()


@pytest.fixture
def demo(database: Database) -> Database:
    load_demo(database.session_factory, DemoSpec(patients=60, months=2, seed=7, today=DEMO_TODAY))
    return database


@pytest.fixture
def opened_pdfs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Instead of the system viewer: the files the window asked to open."""
    opened: list[Path] = []
    monkeypatch.setattr(
        QDesktopServices,
        "openUrl",
        staticmethod(lambda url: opened.append(Path(url.toLocalFile())) or True),
    )
    return opened


@pytest.fixture
def reception(qtbot: QtBot, demo: Database, clock: Clock) -> Iterator[ReceptionWindow]:
    account = AuthService(demo.session_factory, "test-pc", clock).login(
        "reception", "reception-demo"
    )
    session = UserSession.open(account, demo.connection, "test-pc", clock)
    window = ReceptionWindow(session)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
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


def grab(widget: QWidget, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))


def test_register_book_confirm_check_in_pay_and_receipt(
    qtbot: QtBot, reception: ReceptionWindow, opened_pdfs: list[Path]
) -> None:
    home = reception.home
    grab(reception, "reception_window")
    # Register a new patient; a missing name is reported next to the field.
    reception.new_patient_action.trigger()
    dialog = home.dialog
    assert isinstance(dialog, PatientDialog)
    qtbot.keyClicks(dialog.last_name, "Zvobgo")
    qtbot.keyClick(dialog.last_name, Qt.Key.Key_Return)
    assert dialog.errors["date_of_birth"].isVisible()  # it starts empty: no guessed default
    qtbot.keyClicks(dialog.date_of_birth.edit, "15061985")
    qtbot.keyClick(dialog.last_name, Qt.Key.Key_Return)
    settle(qtbot)
    assert dialog.date_of_birth.text() == "15/06/1985"
    assert dialog.errors["first_name"].isVisible()
    qtbot.keyClicks(dialog.first_name, "Tariro")
    qtbot.keyClicks(dialog.phone, "077 234 5678")
    qtbot.keyClick(dialog.first_name, Qt.Key.Key_Return)
    settle(qtbot)
    assert not shiboken6.isValid(dialog)  # closed and deleted once saved
    qtbot.waitUntil(lambda: home.patient_panel.panel is not None)
    patient = home.patient_panel.panel.patient
    assert patient.full_name == "Tariro Zvobgo" and patient.phone.startswith("+263")

    # Book the first free slot of the first scan; the payment panel shows before saving.
    reception.new_booking_action.trigger()
    booking = home.dialog
    assert isinstance(booking, BookingDialog)
    qtbot.waitUntil(lambda: booking.scan.count() > 1)
    booking.scan.setCurrentIndex(1)
    qtbot.waitUntil(lambda: booking.slots.count() > 0 and booking.quote is not None)
    quote = booking.quote
    assert booking.copay.text().endswith(f"{quote.patient_copay:,.2f}")
    grab(booking, "booking_dialog")
    slot = booking.chosen_slot()
    qtbot.mouseClick(booking.book_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    panel = home.appointment_panel
    qtbot.waitUntil(lambda: panel.appointment is not None)
    appointment = panel.appointment
    assert appointment.start_at == slot.start_at and appointment.status is AppointmentStatus.PENDING

    # Confirm, then check in.
    qtbot.mouseClick(panel.buttons["confirm"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.appointment.status is AppointmentStatus.CONFIRMED)
    qtbot.mouseClick(panel.buttons["check_in"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.appointment.status is AppointmentStatus.ARRIVED)
    assert not panel.buttons["no_show"].isEnabled()

    # Pay part of the co-payment in cash, with change, then the receipt reads back.
    reception.payment_action.trigger()
    pay = home.dialog
    assert isinstance(pay, PaymentDialog)
    settle(qtbot)
    copay = panel.appointment.patient_copay
    part = (copay / 2).quantize(Decimal("0.01")) if copay > 0 else Decimal("10.00")
    pay.amount.clear()
    qtbot.keyClicks(pay.amount, f"{part:.2f}")
    qtbot.keyClicks(pay.tendered, f"{part + 5:.2f}")
    assert pay.change.text() == "USD 5.00" or pay.change.text().endswith(" 5.00")
    grab(pay, "payment_dialog")
    qtbot.keyClick(pay.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pay.last_result is not None)
    result = pay.last_result
    assert result.payment.amount == part and result.payment.change_due == Decimal("5.00")
    settle(qtbot)
    assert result.balance.balance == copay - part
    pay.history_view.selectRow(0)
    qtbot.mouseClick(pay.receipt_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(opened_pdfs) == 1)
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(opened_pdfs[0].read_bytes())).pages
    )
    assert result.payment.receipt_number in text
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / "receipt.pdf").write_bytes(opened_pdfs[0].read_bytes())
    assert f"{part:,.2f}" in text and "5.00" in text
    pay.reject()


def test_late_cancel_needs_a_managers_password(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    booking, scheduling, patients = other_desk(demo, clock)
    with demo.session() as session:  # a week-long window: the next free slot is always "late"
        session.execute(update(ClinicSettings).values(late_cancellation_hours=24 * 7))
    scan = scheduling.scan_types()[0]
    soon = clock() + dt.timedelta(hours=1)
    slot = scheduling.next_available(scan.id, count=1, after=soon)[0]
    details = book_demo_patient_in(booking, patients, scan.id, slot)
    assert booking.is_late_cancellation(details.id)
    home = reception.home
    home.show_appointment(details.id)
    panel = home.appointment_panel
    qtbot.waitUntil(lambda: panel.appointment is not None and panel.appointment.id == details.id)
    qtbot.mouseClick(panel.buttons["cancel"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.dialog is not None and panel.dialog.isVisible())
    dialog = panel.dialog
    assert dialog.late
    qtbot.keyClicks(dialog.reason, "Patient unwell")
    qtbot.keyClicks(dialog.manager, "manager")
    qtbot.keyClicks(dialog.password, "wrong")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.error.isVisible())
    settle(qtbot)
    assert dialog.isVisible() and dialog.password.text() == ""
    qtbot.keyClicks(dialog.password, "manager-demo")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.appointment.status is AppointmentStatus.CANCELLED)
    cancelled = booking.get(details.id)
    assert cancelled.is_late_cancellation and cancelled.cancellation_reason == "Patient unwell"
    assert cancelled.cancellation_authorised_by


def test_book_updates_when_another_desk_books(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    book = reception.home.book
    booking, scheduling, patients = other_desk(demo, clock)
    scan = scheduling.scan_types()[0]
    slot = scheduling.next_available(scan.id, count=1)[0]
    book.go_to(slot.start_at.astimezone(HARARE).date())
    settle(qtbot)
    before = {e.id for e in book.canvas.entries}
    grab(reception, "book_busy_day")
    details = book_demo_patient_in(booking, patients, scan.id, slot)
    assert details.id not in before
    qtbot.waitUntil(lambda: details.id in {e.id for e in book.canvas.entries}, timeout=2000)


def test_returning_patient_into_next_free_slot_in_few_keys(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    _, _, patients = other_desk(demo, clock)
    # Self-paying: a plan may want a pre-authorisation number, which takes more keys.
    names = ("mo", "ch", "ma", "mu", "ta", "ru")
    target = next(p for n in names for p in patients.search(n) if p.plan_name is None)
    home = reception.home
    presses = 0

    def key(key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        nonlocal presses
        presses += 1
        widget = QApplication.focusWidget() or reception
        qtbot.keyClick(widget, key, modifier)

    def type_text(text: str) -> None:
        nonlocal presses
        presses += len(text)
        qtbot.keyClicks(QApplication.focusWidget(), text)

    key(Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is home.search.edit
    type_text(target.mrn)
    qtbot.waitUntil(lambda: home.search.model.rowCount() > 0 and not home.search.busy)
    key(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: home.patient_panel.panel is not None)
    key(Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    dialog = home.dialog
    assert isinstance(dialog, BookingDialog)
    qtbot.waitUntil(lambda: dialog.scan.count() > 1)
    assert QApplication.focusWidget() is dialog.scan
    key(Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: dialog.slots.count() > 0 and dialog.quote is not None)
    first = dialog.chosen_slot()
    key(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: home.appointment_panel.appointment is not None)
    booked = home.appointment_panel.appointment
    assert booked.patient_id == target.id and booked.start_at == first.start_at
    assert presses <= 25
    assert presses == 5 + len(target.mrn) == 14  # Ctrl+F, MRN, Enter, Ctrl+B, Down, Enter


def test_drag_a_block_to_reschedule(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    booking, scheduling, patients = other_desk(demo, clock)
    scan = scheduling.scan_types()[0]
    # From the start of a weekday, in one room, so a later slot the same day always exists.
    morning = clock().astimezone(HARARE).replace(hour=6, minute=0, second=0, microsecond=0)
    morning += dt.timedelta(days=1)
    while morning.weekday() >= 5:
        morning += dt.timedelta(days=1)
    room = scheduling.next_available(scan.id, count=1, after=morning)[0].room_id
    slots = scheduling.next_available(scan.id, count=40, after=morning, room_id=room)
    first = slots[0]
    later = (
        next(
            s
            for s in slots
            if s.room_id == first.room_id
            and s.start_at >= first.end_at + dt.timedelta(minutes=60)
            and s.start_at.date() == first.start_at.date()
        )
        if any(
            s.room_id == first.room_id
            and s.start_at >= first.end_at + dt.timedelta(minutes=60)
            and s.start_at.date() == first.start_at.date()
            for s in slots
        )
        else None
    )
    assert later is not None, "a room open all day has a second free slot the same day"
    details = book_demo_patient_in(booking, patients, scan.id, first)
    book = reception.home.book
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
    assert abs((moved.start_at - later.start_at).total_seconds()) <= 5 * 60


def test_slot_taken_by_another_desk_saves_nothing(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    booking, _, patients = other_desk(demo, clock)
    home = reception.home
    patient = patients.search("mo")[0]
    home.show_patient(patient)
    qtbot.waitUntil(lambda: home.patient_panel.panel is not None)
    reception.new_booking_action.trigger()
    dialog = home.dialog
    qtbot.waitUntil(lambda: dialog.scan.count() > 1)
    # A scan without a radiologist on site: the room's time is all two desks compete for.
    scan = next(s for s in dialog._scans if not s.needs_radiologist_on_site)
    dialog.scan.setCurrentIndex(dialog.scan.findData(scan.id))
    qtbot.waitUntil(lambda: dialog.slots.count() > 0 and dialog.quote is not None)
    slot = dialog.chosen_slot()
    rival = patients.search("ch")[0]
    taken = booking.book(
        BookingRequest(
            rival.id,
            dialog.scan.currentData(),
            slot.room_id,
            slot.start_at,
            radiologist_id=slot.radiologist_id,
            use_medical_aid=False,
        )
    )
    before = len(booking.history(taken.id))
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.errors["start_at"].isVisible())
    assert "just taken" in dialog.errors["start_at"].text()
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.slots.count() > 0)
    assert dialog.chosen_slot() != slot
    assert home.patient_panel.panel.upcoming == () or all(
        line.start_at != slot.start_at for line in home.patient_panel.panel.upcoming
    )
    assert len(booking.history(taken.id)) == before
    dialog.reject()


def test_search_drops_stale_results_and_ignores_accents(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    _, _, patients = other_desk(demo, clock)
    target = patients.search("mo")[0]
    search = reception.home.search
    search.edit.setText("zz")
    search.search_now()
    search.edit.setText(target.last_name.upper())
    search.search_now()
    qtbot.waitUntil(lambda: not search.busy)
    settle(qtbot)
    shown = [search.model.data(search.model.index(r, 1)) for r in range(search.model.rowCount())]
    assert target.mrn in shown
    search.edit.setText("zzzzqqq")
    search.search_now()
    qtbot.waitUntil(lambda: not search.busy)
    assert search.model.rowCount() == 0 and "register a new patient" in search.hint.text()


def test_week_view_of_one_room(qtbot: QtBot, reception: ReceptionWindow) -> None:
    book = reception.home.book
    qtbot.mouseClick(book.week_button, Qt.MouseButton.LeftButton)
    settle(qtbot)
    assert book.week_mode and len(book.canvas.columns) == 7
    assert {c.room_id for c in book.canvas.columns} == {book.scope.currentData()[1]}
    room_ids = {e.room_id for e in book.canvas.entries}
    assert room_ids <= {book.scope.currentData()[1]}
    book.step(-1)
    settle(qtbot)
    assert book.canvas.columns[0].day.weekday() == 0
    grab(reception, "book_week")


def test_busy_day_screenshot(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    """The demo clinic's next working day, filled by another desk, with one block selected."""
    booking, scheduling, patients = other_desk(demo, clock)
    people = patients.search("mo") + patients.search("ch") + patients.search("ma")
    made = []
    for number, scan in enumerate(scheduling.scan_types()[:12]):
        for slot in scheduling.next_available(scan.id, count=2):
            request = BookingRequest(
                people[(number * 2 + len(made)) % len(people)].id,
                scan.id,
                slot.room_id,
                slot.start_at,
                radiologist_id=slot.radiologist_id,
                use_medical_aid=False,
                urgency="urgent" if len(made) % 7 == 3 else "routine",
            )
            try:
                made.append(booking.book(request))
            except (SlotTakenError, ValidationError):  # taken by another scan in this loop
                continue
    day = made[0].start_at.astimezone(HARARE).date()
    for details in made[1::3]:
        booking.confirm(details.id, details.version)
    book = reception.home.book
    book.go_to(day)
    qtbot.waitUntil(
        lambda: (
            {d.id for d in made if d.start_at.astimezone(HARARE).date() == day}
            <= {e.id for e in book.canvas.entries}
        )
    )
    book.select(made[0].id)
    qtbot.waitUntil(lambda: reception.home.appointment_panel.appointment is not None)
    reception.home.patient_panel.load(made[0].patient_id)
    settle(qtbot)
    book.scroll.verticalScrollBar().setValue(int(book.canvas.y_of(made[0].start_at)) - 60)
    grab(reception, "book_busy_day")


def test_feedback_kiosk_once_per_visit_and_staff_password_to_leave(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    from mic_desktop.ui.reception.kiosk import FeedbackKiosk

    _, scheduling, _ = other_desk(demo, clock)
    today = scheduling.today()
    start = dt.datetime.combine(today - dt.timedelta(days=30), dt.time(), HARARE)
    entries = scheduling.appointment_book(start, start + dt.timedelta(days=29))
    context = reception.context
    visit = next(
        e
        for e in entries
        if e.status is AppointmentStatus.COMPLETED
        and not context.feedback.visit(e.id).already_given
    )
    kiosk = FeedbackKiosk(context, visit.id)
    qtbot.addWidget(kiosk)
    kiosk.show_on_best_screen()
    settle(qtbot)
    # The offscreen platform does not keep the full-screen state; a frameless window is asked.
    assert kiosk.isVisible() and kiosk.windowFlags() & Qt.WindowType.FramelessWindowHint
    kiosk.resize(1366, 768)
    assert visit.patient_name.split()[0] in kiosk.title.text()
    assert visit.patient_name.split()[-1] not in kiosk.title.text()  # first name only
    qtbot.mouseClick(kiosk.submit_button, Qt.MouseButton.LeftButton)
    assert kiosk.error.isVisible()
    for key, score in (("overall", 5), ("professionalism", 4), ("cleanliness", 5)):
        qtbot.mouseClick(kiosk.groups[key].button(score), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(kiosk.recommend.button(1), Qt.MouseButton.LeftButton)
    grab(kiosk, "feedback_kiosk")
    with qtbot.waitSignal(kiosk.finished_feedback):
        qtbot.mouseClick(kiosk.submit_button, Qt.MouseButton.LeftButton)
    assert context.feedback.visit(visit.id).already_given
    kiosk.close()
    assert kiosk.isVisible()  # only a staff password closes it
    qtbot.keyClicks(kiosk.staff_password, "wrong")
    qtbot.keyClick(kiosk.staff_password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: kiosk.leave_error.isVisible())
    assert kiosk.isVisible()
    qtbot.keyClicks(kiosk.staff_password, "reception-demo")
    qtbot.keyClick(kiosk.staff_password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not kiosk.isVisible())
    again = FeedbackKiosk(context, visit.id)
    qtbot.addWidget(again)
    settle(qtbot)
    assert again.stack.currentWidget() is again.thanks  # one feedback per appointment
    again._may_close = True


def test_booking_with_doctor_letter_urgency_and_preauthorisation(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, tmp_path: Path, clock: Clock
) -> None:
    booking, scheduling, patients = other_desk(demo, clock)
    context = reception.context
    insured = [p for p in patients.search("mo") + patients.search("ch") if p.plan_name]
    pair = next(
        (p, s)
        for p in insured
        for s in scheduling.scan_types()
        if context.pricing.quote_for_patient(s.id, p.id).requires_preauthorisation
    )
    patient, scan = pair
    home = reception.home
    home.show_patient(patient)
    qtbot.waitUntil(lambda: home.patient_panel.panel is not None)
    reception.new_booking_action.trigger()
    dialog = home.dialog
    qtbot.waitUntil(lambda: dialog.scan.count() > 1)
    dialog.scan.setCurrentIndex(dialog.scan.findData(scan.id))
    qtbot.waitUntil(lambda: dialog.quote is not None and dialog.slots.count() > 0)
    assert dialog.preauth.isVisible()
    assert dialog.quote.requires_preauthorisation and dialog.cover.text() != "—"

    # Quick add of the referring doctor.
    qtbot.mouseClick(dialog.add_doctor, Qt.MouseButton.LeftButton)
    doctor_dialog = dialog.doctor_dialog
    qtbot.keyClicks(doctor_dialog.full_name, "Dr Rufaro Gumbo")
    qtbot.keyClicks(doctor_dialog.practice_number, "PR-99871")
    qtbot.keyClick(doctor_dialog.full_name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.doctor.currentText().startswith("Dr Rufaro Gumbo"))

    letter = tmp_path / "referral.pdf"
    letter.write_bytes(booking.slip_pdf(_any_appointment(demo, clock)))  # any small real PDF
    dialog.attach_letter_file(letter)
    qtbot.waitUntil(lambda: "referral.pdf" in dialog.letter_label.text())
    qtbot.mouseClick(dialog.urgent, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.notes, "Flank pain, query stone")

    # Without the pre-authorisation number the message sits next to its field.
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.errors["preauthorisation_number"].isVisible())
    qtbot.keyClicks(dialog.preauth, "PA-2026-001")
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    panel = home.appointment_panel
    qtbot.waitUntil(lambda: panel.appointment is not None)
    a = booking.get(panel.appointment.id)
    assert a.referring_doctor_name == "Dr Rufaro Gumbo" and a.urgency == "urgent"
    assert a.preauthorisation_number == "PA-2026-001" and a.clinical_notes.startswith("Flank")
    assert [x.filename for x in a.attachments] == ["referral.pdf"]


def _any_appointment(database: Database, clock: Clock) -> int:
    _, scheduling, _ = other_desk(database, clock)
    today = scheduling.today()
    start = dt.datetime.combine(today - dt.timedelta(days=20), dt.time(), HARARE)
    return next(
        e.id
        for e in scheduling.appointment_book(start, start + dt.timedelta(days=19))
        if e.status is not AppointmentStatus.CANCELLED
    )


def test_slip_day_sheet_history_messages_and_refund(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, opened_pdfs: list[Path], clock: Clock
) -> None:
    from mic_desktop.ui.reception.messages import AppointmentMessagesDialog

    booking, scheduling, patients = other_desk(demo, clock)
    scan = scheduling.scan_types()[0]
    slot = scheduling.next_available(scan.id, count=1)[0]
    patient = patients.search("mo")[0]
    details = booking.book(
        BookingRequest(
            patient.id,
            scan.id,
            slot.room_id,
            slot.start_at,
            radiologist_id=slot.radiologist_id,
            use_medical_aid=False,
        )
    )
    home = reception.home
    home.show_appointment(details.id)
    panel = home.appointment_panel
    qtbot.waitUntil(lambda: panel.appointment is not None)

    qtbot.mouseClick(panel.buttons["slip"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(opened_pdfs) == 1)
    slip = "".join(p.extract_text() for p in PdfReader(opened_pdfs[0]).pages)
    assert details.reference in slip

    home.book.go_to(slot.start_at.astimezone(HARARE).date())
    reception.day_sheet_action.trigger()
    qtbot.waitUntil(lambda: len(opened_pdfs) == 2)
    sheet = "".join(p.extract_text() for p in PdfReader(opened_pdfs[1]).pages)
    assert patient.last_name in sheet
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / "slip.pdf").write_bytes(opened_pdfs[0].read_bytes())
    (SHOTS / "day_sheet.pdf").write_bytes(opened_pdfs[1].read_bytes())

    qtbot.mouseClick(panel.buttons["history"], Qt.MouseButton.LeftButton)
    history = panel.dialog
    qtbot.waitUntil(lambda: history.model.rowCount() == 1)
    assert history.model.index(0, 2).data() == "Nomsa Ndlovu"  # booked at the other desk
    history.reject()

    qtbot.mouseClick(panel.buttons["messages"], Qt.MouseButton.LeftButton)
    assert isinstance(panel.dialog, AppointmentMessagesDialog)
    panel.dialog.reject()

    # Pay by card, then refund part of it with a reason: a negative entry, never an edit.
    reception.payment_action.trigger()
    pay = home.dialog
    settle(qtbot)
    pay.method.setCurrentIndex(pay.method.findData("card"))
    assert not pay.tendered.isVisible()
    pay.amount.setText("50.00")
    qtbot.keyClicks(pay.reference, "SLIP-1")
    # The co-payment is charged once the scan is done: nothing is owed yet, so it asks first.
    assert pay.owed() is not None and pay.owed() <= 0
    assert pay.take_button.text().replace("&", "") == "Take USD 50.00 as credit…"
    qtbot.mouseClick(pay.take_button, Qt.MouseButton.LeftButton)
    assert pay.credit_question.isVisible() and "Nothing is owed" in pay.credit_question.text()
    assert pay.last_result is None
    qtbot.mouseClick(pay.take_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pay.last_result is not None)
    settle(qtbot)
    pay.history_view.selectRow(0)
    qtbot.mouseClick(pay.refund_button, Qt.MouseButton.LeftButton)
    refund = pay.refund_dialog
    refund.amount.setText("20.00")
    qtbot.keyClicks(refund.reason, "Charged twice")
    qtbot.keyClick(refund.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pay.last_result.payment.amount == Decimal("-20.00"))
    settle(qtbot)
    amounts = [r.amount for r in pay.history.rows()]
    assert Decimal("-20.00") in amounts and Decimal("50.00") in amounts
    assert pay.last_result.payment.refund_reason == "Charged twice"
    pay.reject()


def test_front_desk_shortcuts_and_escape(qtbot: QtBot, reception: ReceptionWindow) -> None:
    shortcuts = {
        reception.find_action: "Ctrl+F",
        reception.new_patient_action: "Ctrl+N",
        reception.new_booking_action: "Ctrl+B",
        reception.check_in_action: "F6",
        reception.payment_action: "F8",
        reception.today_action: "Ctrl+T",
    }
    for action, keys in shortcuts.items():
        assert action.shortcut().toString() == keys
    home = reception.home
    home.centre.setCurrentWidget(home.today)
    qtbot.keyClick(reception, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is home.search.edit  # not ambiguous with the list's filter
    qtbot.keyClick(reception, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = home.dialog
    assert isinstance(dialog, PatientDialog) and dialog.isVisible()
    qtbot.keyClick(dialog.first_name, Qt.Key.Key_Escape)
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
    qtbot.keyClick(reception, Qt.Key.Key_F8)
    assert "Find the patient" in reception.statusBar().currentMessage()


def test_claim_settled_short_becomes_the_patients_balance(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    from mic_desktop.ui.reception.claims import ClaimsDialog

    booking, scheduling, patients = other_desk(demo, clock)
    context = reception.context
    insured = [p for p in patients.search("mo") + patients.search("ch") if p.plan_name]
    patient, scan, quote = next(
        (p, s, q)
        for p in insured
        for s in scheduling.scan_types()
        for q in [context.pricing.quote_for_patient(s.id, p.id)]
        if q.medical_aid_cover > 0
    )
    slot = scheduling.next_available(scan.id, count=1)[0]
    details = booking.book(
        BookingRequest(
            patient.id,
            scan.id,
            slot.room_id,
            slot.start_at,
            radiologist_id=slot.radiologist_id,
            preauthorisation_number="PA-1",
        )
    )
    booking.check_in(details.id, details.version)
    before = context.payments.balance(patient.id).balance
    home = reception.home
    home.show_appointment(details.id)
    panel = home.appointment_panel
    qtbot.waitUntil(lambda: panel.appointment is not None and panel.buttons["claim"].isEnabled())
    qtbot.mouseClick(panel.buttons["claim"], Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, ClaimsDialog)
    qtbot.waitUntil(lambda: dialog.claim_button.isEnabled())
    qtbot.mouseClick(dialog.claim_button, Qt.MouseButton.LeftButton)

    # The patient may have earlier claims in the demo data: follow this visit's row.
    def this_claim():  # type: ignore[no-untyped-def]
        return next((c for c in dialog.model.rows() if c.appointment_id == details.id), None)

    qtbot.waitUntil(lambda: this_claim() is not None and dialog.amount.isEnabled())
    selected = dialog.selected()
    assert selected is not None and selected.appointment_id == details.id
    short = quote.medical_aid_cover - Decimal("10.00")
    qtbot.keyClicks(dialog.amount, f"{short:.2f}")
    qtbot.keyClicks(dialog.notes, "Remittance 4411")
    qtbot.mouseClick(dialog.settle_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (claim := this_claim()) is not None and claim.shortfall > 0)
    assert this_claim().shortfall == Decimal("10.00")
    grab(dialog, "claims_dialog")
    assert context.payments.balance(patient.id).balance == before + Decimal("10.00")
    dialog.reject()


def test_duplicate_warning_is_a_decision_and_edit_keeps_the_version(
    qtbot: QtBot, reception: ReceptionWindow, demo: Database, clock: Clock
) -> None:
    _, _, patients = other_desk(demo, clock)
    existing = patients.get(patients.search("mo")[0].id)
    home = reception.home
    reception.new_patient_action.trigger()
    dialog = home.dialog
    qtbot.keyClicks(dialog.first_name, existing.first_name)
    qtbot.keyClicks(dialog.last_name, existing.last_name)
    dialog.date_of_birth.setDate(existing.date_of_birth)
    qtbot.keyClick(dialog.first_name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.duplicate_box.isVisible())
    assert existing.mrn in dialog.duplicate_text.text()
    qtbot.mouseClick(dialog.register_anyway, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: home.patient_panel.panel is not None)
    twin = home.patient_panel.panel.patient
    assert twin.id != existing.id and twin.full_name == existing.full_name

    qtbot.mouseClick(home.patient_panel.edit_button, Qt.MouseButton.LeftButton)
    edit = home.dialog
    assert isinstance(edit, PatientDialog) and edit.first_name.text() == twin.first_name
    edit.email.setText("not-an-email")
    qtbot.keyClick(edit.email, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: edit.errors["email"].isVisible())
    edit.email.setText("twin@example.com")
    qtbot.keyClick(edit.email, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: home.patient_panel.panel.patient.email == "twin@example.com", timeout=5000
    )
    assert patients.get(twin.id).version > twin.version
