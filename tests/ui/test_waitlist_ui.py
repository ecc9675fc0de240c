"""Reception's waitlist page and patients' SMS replies, driven like a receptionist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from mic_desktop.db import Database
from mic_desktop.models import Appointment, Patient, Role, ScanType, TimeOfDay
from mic_desktop.services.accounts.auth import AuthService
from mic_desktop.services.admin.staff import StaffService
from mic_desktop.services.clock import Clock
from mic_desktop.services.demo.loader import load_demo
from mic_desktop.services.demo.spec import DemoSpec
from mic_desktop.services.messaging.replies import ReplyFetcher
from mic_desktop.services.messaging.sms import TwilioSms
from mic_desktop.services.scheduling.booking import BookingService
from mic_desktop.services.scheduling.waitlist import WaitlistService
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.manager.dashboard import DashboardPage
from mic_desktop.ui.manager.window import ManagerWindow
from mic_desktop.ui.reception.replies import RepliesDialog
from mic_desktop.ui.reception.waitlist_dialogs import (
    AddToWaitlistDialog,
    OfferFreedSlotDialog,
    OfferSlotDialog,
)
from mic_desktop.ui.reception.window import ReceptionWindow
from tests.fixed_time import DEMO_TODAY, demo_clock
from tests.inbound_fakes import InboundTwilio
from tests.notification_fakes import ACCOUNT_SID, AUTH_TOKEN, SENDER
from tests.ui.helpers import SCREENSHOTS as SHOTS
from tests.ui.helpers import wait_for_tasks_delivered

QUESTION = "Can my sister come with me? She drives me."


@pytest.fixture
def clock() -> Clock:
    return demo_clock()


@pytest.fixture
def demo(database: Database, clock: Clock) -> Database:
    load_demo(database.session_factory, DemoSpec(patients=60, months=2, seed=7, today=DEMO_TODAY))
    return database


def _upcoming(demo: Database, clock: Clock) -> tuple[int, str]:
    """An appointment still to come whose patient has a mobile number."""
    with demo.session() as session:
        row = session.execute(
            select(Appointment.id, Patient.phone)
            .join(Patient, Patient.id == Appointment.patient_id)
            .where(
                Appointment.start_at > clock() + dt.timedelta(days=1),
                Appointment.status.in_(("pending", "confirmed")),
                Patient.phone.is_not(None),
            )
            .order_by(Appointment.start_at)
            .limit(1)
        ).one()
        return row.id, row.phone


@pytest.fixture
def reception(qtbot: QtBot, demo: Database, clock: Clock) -> Iterator[ReceptionWindow]:
    account = AuthService(demo.session_factory, "test-pc", clock).login(
        "reception", "reception-demo"
    )
    session = UserSession.open(account, demo.connection, "test-pc", clock)
    waitlist = WaitlistService(demo.session_factory, account, "test-pc", clock)
    with demo.session() as db:
        patients = db.scalars(select(Patient.id).order_by(Patient.id).limit(4)).all()
        scans = {s.code: s.id for s in db.scalars(select(ScanType))}
    scan_ids = list(scans.values())
    today = DEMO_TODAY
    for number, patient_id in enumerate(patients[:3]):
        waitlist.add(
            patient_id,
            scan_ids[number % len(scan_ids)],
            today,
            today + dt.timedelta(days=14 + number),
            time_of_day=(TimeOfDay.ANY, TimeOfDay.MORNING, TimeOfDay.AFTERNOON)[number],
            priority=(2, 1, 3)[number],
            notes="Can come at short notice" if number == 1 else None,
        )
    appointment_id, phone = _upcoming(demo, clock)
    twilio = InboundTwilio(clock=clock)
    twilio.receive(phone, QUESTION, clock() - dt.timedelta(minutes=3))
    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, http_client=twilio)
    ReplyFetcher(demo.session_factory, workstation="pc-2", sms=sms, clock=clock).fetch_replies()
    window = ReceptionWindow(session)
    window.appointment_with_reply = appointment_id  # type: ignore[attr-defined]
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    wait_for_tasks_delivered(qtbot)
    yield window
    window.close()
    wait_for_tasks_delivered(qtbot)
    session.close()


def test_the_waitlist_page_lists_by_priority_and_adds_a_patient(
    qtbot: QtBot, reception: ReceptionWindow
) -> None:
    home = reception.home
    page = home.waitlist
    home.centre.setCurrentWidget(page)
    wait_for_tasks_delivered(qtbot)
    assert page.table.rowCount() == 3
    assert [page.table.item(row, 0).text() for row in range(3)] == ["Urgent", "Normal", "Low"]
    assert page.table.item(0, 3).text().endswith("\nMornings")
    reception.grab().save(str(SHOTS / "reception-waitlist.png"))

    # Add the patient shown on the left.
    with reception.session.database.session() as db:
        newcomer = db.scalars(select(Patient.id).order_by(Patient.id.desc()).limit(1)).one()
    home.patient_panel.load(newcomer)
    qtbot.waitUntil(lambda: home.current_patient() is not None, timeout=10_000)
    page.add_button.click()
    dialog = page.dialog
    assert isinstance(dialog, AddToWaitlistDialog)
    qtbot.waitExposed(dialog)
    dialog.grab().save(str(SHOTS / "reception-waitlist-add.png"))
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    wait_for_tasks_delivered(qtbot)
    qtbot.waitUntil(lambda: page.table.rowCount() == 4, timeout=10_000)
    assert "Added" in reception.statusBar().currentMessage()

    # Offer a slot by hand: the SMS is queued and the list says so.
    page.table.selectRow(0)
    page.offer_button.click()
    offer = page.dialog
    assert isinstance(offer, OfferSlotDialog)
    qtbot.waitExposed(offer)
    wait_for_tasks_delivered(qtbot)  # the earliest free time is filled in
    offer.grab().save(str(SHOTS / "reception-waitlist-offer.png"))
    offer.buttons.button(offer.buttons.StandardButton.Ok).click()
    wait_for_tasks_delivered(qtbot)
    qtbot.waitUntil(lambda: page.table.item(0, 5).text().startswith("Offered"), timeout=10_000)
    reception.grab().save(str(SHOTS / "reception-waitlist-offered.png"))


def test_an_unread_reply_shows_on_the_toolbar_and_the_appointment(
    qtbot: QtBot, reception: ReceptionWindow
) -> None:
    action = reception.replies_action
    qtbot.waitUntil(lambda: action.count == 1, timeout=10_000)
    assert action.text() == "&Replies (1)"
    panel = reception.home.appointment_panel
    panel.load(reception.appointment_with_reply)  # type: ignore[attr-defined]
    wait_for_tasks_delivered(qtbot)
    qtbot.waitUntil(lambda: panel.replies.isVisible(), timeout=10_000)
    assert QUESTION in panel.replies.text()
    reception.grab().save(str(SHOTS / "reception-unread-reply.png"))

    action.trigger()
    dialog = action.dialog
    assert isinstance(dialog, RepliesDialog)
    qtbot.waitExposed(dialog)
    wait_for_tasks_delivered(qtbot)
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 4).text() == QUESTION
    dialog.grab().save(str(SHOTS / "reception-replies-dialog.png"))
    dialog.table.selectRow(0)
    dialog.mark_button.click()
    wait_for_tasks_delivered(qtbot)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0, timeout=10_000)
    dialog.reject()
    wait_for_tasks_delivered(qtbot)
    qtbot.waitUntil(lambda: action.count == 0, timeout=10_000)
    panel.reload()
    wait_for_tasks_delivered(qtbot)
    assert not panel.replies.isVisible()


def test_the_attendance_tab_counts_replies_and_refills(qtbot: QtBot, demo: Database) -> None:
    clock = demo_clock()
    with demo.session() as db:
        pending = db.execute(
            select(Appointment.id, Patient.phone)
            .join(Patient, Patient.id == Appointment.patient_id)
            .where(
                Appointment.start_at > clock() + dt.timedelta(hours=2),
                Appointment.status == "pending",
                Patient.phone.is_not(None),
            )
            .order_by(Appointment.start_at)
            .limit(1)
        ).one()
    twilio = InboundTwilio(clock=clock)
    twilio.receive(pending.phone, "YES", clock() - dt.timedelta(minutes=1))
    sms = TwilioSms(ACCOUNT_SID, AUTH_TOKEN, SENDER, http_client=twilio)
    ReplyFetcher(demo.session_factory, workstation="pc-2", sms=sms, clock=clock).fetch_replies()
    accounts = StaffService(demo.session_factory, actor=None, workstation="t").list_accounts()
    manager = next(a for a in accounts if a.role is Role.MANAGER)
    session = UserSession.open(manager, demo.connection, "test-pc", clock)
    window = ManagerWindow(session)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    try:
        page = window.home.show_page("dashboard")
        assert isinstance(page, DashboardPage)
        qtbot.waitUntil(lambda: page.dashboard is not None and page.busy.isHidden(), timeout=15_000)
        page.tabs.setCurrentWidget(page.panels["attendance"])
        strip = page.reply_figures
        assert strip is not None
        qtbot.waitUntil(lambda: strip.figures is not None, timeout=15_000)
        wait_for_tasks_delivered(qtbot)
        assert strip.figures.confirmed_by_reply == 1  # type: ignore[union-attr]
        assert strip.values["confirmed"].text() == "1"
        assert strip.values["recovered"].text() == "USD 0.00"
        assert strip.isVisible()
        window.grab().save(str(SHOTS / "manager-attendance-replies.png"))
    finally:
        window.close()
        wait_for_tasks_delivered(qtbot)
        session.close()


def test_a_cancelled_slot_is_offered_from_the_book_by_hand(
    qtbot: QtBot, reception: ReceptionWindow, clock: Clock
) -> None:
    database = reception.session.database
    account = reception.session.account
    with database.session() as db:
        booked = db.execute(
            select(Appointment.id, Appointment.version, Appointment.scan_type_id)
            .where(
                Appointment.start_at > clock() + dt.timedelta(days=2),
                Appointment.status.in_(("pending", "confirmed")),
            )
            .order_by(Appointment.start_at)
            .limit(1)
        ).one()
        newcomer = db.scalars(
            select(Patient.id)
            .where(Patient.phone.is_not(None), Patient.sms_opt_in.is_(True))
            .order_by(Patient.id.desc())
            .limit(1)
        ).one()
    desk = BookingService(database.session_factory, account, "test-pc", clock=clock)
    desk.cancel(booked.id, booked.version)
    WaitlistService(database.session_factory, account, "test-pc", clock).add(
        newcomer, booked.scan_type_id, DEMO_TODAY, DEMO_TODAY + dt.timedelta(days=30), priority=1
    )
    panel = reception.home.appointment_panel
    panel.load(booked.id)
    wait_for_tasks_delivered(qtbot)
    button = panel.buttons["waitlist"]
    assert button.isEnabled() and button.isVisible()
    button.click()
    dialog = panel.dialog
    assert isinstance(dialog, OfferFreedSlotDialog)
    qtbot.waitExposed(dialog)
    wait_for_tasks_delivered(qtbot)
    assert dialog.patients.count() >= 1 and dialog.patients.currentText().startswith("Urgent")
    dialog.grab().save(str(SHOTS / "reception-offer-cancelled-slot.png"))
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    wait_for_tasks_delivered(qtbot)
    assert reception.statusBar().currentMessage().startswith("Offered the slot to")
    page = reception.home.waitlist
    page.reload()  # as the live update from the offer would
    qtbot.waitUntil(
        lambda: any(line.offer_status == "offered" for line in page.lines), timeout=10_000
    )
