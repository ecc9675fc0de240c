"""Booking e-mails carry the appointment as a calendar event, read back with ``icalendar``."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from notification_fakes import SmtpServer

from mic_desktop.db import Database
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.messaging.dispatcher import Dispatcher
from mic_desktop.services.scheduling.booking import BookingService
from tests.reception_setup import (
    CT_PREPARATION,
    MONDAY,
    Clinic,
    FakeClock,
    at,
    book,
    build_clinic,
    register,
)

WEDNESDAY = MONDAY + dt.timedelta(days=2)
THURSDAY = MONDAY + dt.timedelta(days=3)


@pytest.fixture
def clinic(database: Database, staff: dict[str, StaffAccount]) -> Clinic:
    return build_clinic(database, staff)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(MONDAY, 9))


def send_and_read(database: Database, server: SmtpServer, clock: FakeClock) -> list[Calendar]:
    """Send what is due (e-mail only) and parse the calendar files that arrived."""
    before = len(server.messages)
    dispatcher = Dispatcher(
        database.session_factory, workstation="desk-1", mailer=server.mailer(), clock=clock
    )
    dispatcher.dispatch_due()
    calendars = []
    for message in server.messages[before:]:
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                assert part.get_filename().endswith(".ics")
                calendars.append(Calendar.from_ical(part.get_payload(decode=True)))
    return calendars


def test_booking_moving_and_cancelling_send_one_event_that_changes(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock
) -> None:
    patient = register(database, staff["reception"], "Tendai", "Moyo", email="tendai@example.org")
    with SmtpServer() as server:
        booked = book(
            database, staff["reception"], clock, patient.id, clinic.ct_head, clinic.ct_room,
            at(WEDNESDAY, 10),
        )  # fmt: skip
        (booking,) = send_and_read(database, server, clock)
        assert server.messages[0]["To"] == "tendai@example.org"
        (event,) = booking.walk("VEVENT")
        assert str(booking["METHOD"]) == "REQUEST"
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start == at(WEDNESDAY, 10) and end == at(WEDNESDAY, 10, 30)
        assert start.utcoffset() == dt.timedelta(0)  # written in UTC
        written = at(WEDNESDAY, 10).strftime("DTSTART:%Y%m%dT%H%M%SZ")
        assert event.to_ical().decode().count(written) == 1
        uid = str(event["UID"])
        assert uid == f"appointment-{booked.reference}@harare-imaging.test"
        assert int(event["SEQUENCE"]) == 0
        assert "12 Samora Machel Avenue Harare" in str(event["LOCATION"])
        assert "CT 1" in str(event["LOCATION"])
        assert CT_PREPARATION in str(event["DESCRIPTION"])
        assert str(event["SUMMARY"]) == "CT head at Harare Imaging Centre"

        desk = BookingService(database.session_factory, staff["reception"], "desk-1", clock=clock)
        moved = desk.reschedule(booked.id, booked.version, clinic.ct_room_2, at(THURSDAY, 11))
        (update,) = send_and_read(database, server, clock)
        (event,) = update.walk("VEVENT")
        assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == at(THURSDAY, 11)
        assert str(update["METHOD"]) == "REQUEST" and "CT 2" in str(event["LOCATION"])

        desk.cancel(moved.id, moved.version)
        (cancel,) = send_and_read(database, server, clock)
        (event,) = cancel.walk("VEVENT")
        assert str(cancel["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 2


def test_no_address_no_calendar_e_mail(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock
) -> None:
    patient = register(database, staff["reception"], "Farai", "Ncube", phone="+263771234500")
    with SmtpServer() as server:
        book(
            database, staff["reception"], clock, patient.id, clinic.ct_head, clinic.ct_room,
            at(WEDNESDAY, 10),
        )  # fmt: skip
        assert send_and_read(database, server, clock) == []
        assert server.messages == []
