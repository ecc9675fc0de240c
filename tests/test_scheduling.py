"""The slot finder against opening hours, radiologists' hours and leave, and bookings."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from mic_desktop.db import Database
from mic_desktop.models import ClinicSettings, RadiologistLeave
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.scheduling.book import SchedulingService
from mic_desktop.services.scheduling.booking import BookingRequest, BookingService
from mic_desktop.services.scheduling.cancellation import ManagerAuthorisation
from tests.conftest import TEST_PASSWORD
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, build_clinic, register

TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def clinic(database: Database, staff: dict[str, StaffAccount]) -> Clinic:
    return build_clinic(database, staff)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(MONDAY, 7))


@pytest.fixture
def book(database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock):  # type: ignore[no-untyped-def]
    desk = BookingService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    patient = register(database, staff["reception"]).id

    def _book(scan: int, room: int, start: dt.datetime):  # type: ignore[no-untyped-def]
        return desk.book(BookingRequest(patient, scan, room, start))

    return _book


@pytest.fixture
def finder(
    database: Database, staff: dict[str, StaffAccount], clock: FakeClock
) -> SchedulingService:
    return SchedulingService(database.session_factory, staff["reception"], "desk-1", clock=clock)


def _starts(slots) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [
        (s.start_at.astimezone(dt.UTC).isoformat(timespec="minutes"), s.room_name) for s in slots
    ]


def _at(day: dt.date, hour: int, minute: int = 0) -> str:
    return at(day, hour, minute).isoformat(timespec="minutes")


def test_first_slots_follow_the_opening_hours_on_a_grid(
    finder: SchedulingService, clinic: Clinic
) -> None:
    slots = finder.next_available(clinic.chest_xray, count=3)
    assert _starts(slots) == [(_at(MONDAY, h, m), "X-ray 1") for h, m in ((8, 0), (8, 15), (8, 30))]
    assert slots[0].end_at - slots[0].start_at == dt.timedelta(minutes=15)
    assert slots[0].radiologist_id is None
    fine = finder.next_available(clinic.chest_xray, count=3, granularity_minutes=5)
    assert [s.start_at for s in fine] == [at(MONDAY, 8), at(MONDAY, 8, 5), at(MONDAY, 8, 10)]
    # The last start lets the scan end at closing time (12:00), and Tuesday follows.
    day = finder.next_available(clinic.chest_xray, count=17)
    assert [s.start_at for s in day[-2:]] == [at(MONDAY, 11, 45), at(TUESDAY, 8)]


def test_slots_start_from_now_and_skip_the_weekend(
    finder: SchedulingService, clinic: Clinic, clock: FakeClock
) -> None:
    clock.now = at(MONDAY, 9, 7)
    assert finder.next_available(clinic.chest_xray, count=1)[0].start_at == at(MONDAY, 9, 15)
    clock.now = at(MONDAY + dt.timedelta(days=4), 11, 50)  # Friday, the X-ray room is closing
    assert finder.next_available(clinic.chest_xray, count=1)[0].start_at == at(
        MONDAY + dt.timedelta(days=7), 8
    )
    later = finder.next_available(
        clinic.chest_xray, count=1, after=at(MONDAY + dt.timedelta(days=8), 10, 1)
    )
    assert later[0].start_at == at(MONDAY + dt.timedelta(days=8), 10, 15)


def test_bookings_take_their_time_and_cancelled_ones_give_it_back(
    database: Database, staff: dict[str, StaffAccount], finder: SchedulingService,
    clinic: Clinic, book, clock: FakeClock,
) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    first = book(clinic.chest_xray, clinic.xray_room, at(MONDAY, 8))
    book(clinic.chest_xray, clinic.xray_room, at(MONDAY, 8, 20))  # off the grid: 08:20-08:35
    assert [s.start_at for s in finder.next_available(clinic.chest_xray, count=2)] == [
        at(MONDAY, 8, 45), at(MONDAY, 9),
    ]  # fmt: skip
    desk = BookingService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    desk.cancel(
        first.id, first.version, "Booked twice", ManagerAuthorisation("manager1", TEST_PASSWORD)
    )
    assert finder.next_available(clinic.chest_xray, count=1)[0].start_at == at(MONDAY, 8)


def test_ct_needs_the_radiologist_on_site(
    database: Database, finder: SchedulingService, clinic: Clinic, book, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    # The radiologist works until 16:00 although the CT rooms stay open until 17:00.
    clock.now = at(MONDAY, 15, 20)
    slots = finder.next_available(clinic.ct_head, count=3)
    assert _starts(slots) == [
        (_at(MONDAY, 15, 30), "CT 1"),
        (_at(MONDAY, 15, 30), "CT 2"),  # alternatives: booking one takes the radiologist
        (_at(TUESDAY, 8), "CT 1"),
    ]
    assert {s.radiologist_name for s in slots} == {"Test Radiologist"}
    # Busy with a patient in CT 1: CT 2 cannot scan at the same time either.
    clock.now = at(MONDAY, 7)
    book(clinic.ct_head, clinic.ct_room, at(MONDAY, 8))
    assert _starts(finder.next_available(clinic.ct_head, count=2)) == [
        (_at(MONDAY, 8, 30), "CT 1"),
        (_at(MONDAY, 8, 30), "CT 2"),
    ]
    # On leave on Monday: the first CT slot is on Tuesday.
    with database.session() as session:
        session.add(
            RadiologistLeave(
                radiologist_id=clinic.radiologist.id,
                starts_at=at(MONDAY, 0),
                ends_at=at(TUESDAY, 0),
                reason="Conference",
            )
        )
    assert finder.next_available(clinic.ct_head, count=1)[0].start_at == at(TUESDAY, 8)
    # X-ray needs no radiologist: leave does not matter.
    assert finder.next_available(clinic.chest_xray, count=1)[0].start_at == at(MONDAY, 8)


def test_room_filter_and_book_view(finder: SchedulingService, clinic: Clinic, book) -> None:  # type: ignore[no-untyped-def]
    ct = book(clinic.ct_head, clinic.ct_room, at(MONDAY, 9))
    xray = book(clinic.chest_xray, clinic.xray_room, at(MONDAY, 9))
    book(clinic.chest_xray, clinic.xray_room, at(TUESDAY, 9))
    only_two = finder.next_available(clinic.ct_head, count=1, room_id=clinic.ct_room_2)
    assert only_two[0].room_name == "CT 2"
    entries = finder.appointment_book(at(MONDAY, 0), at(TUESDAY, 0))
    assert [
        (e.reference, e.room_name, e.patient_name, e.scan_name, e.status.value) for e in entries
    ] == [
        (xray.reference, "X-ray 1", "Tendai Moyo", "X-ray chest", "pending"),
        (ct.reference, "CT 1", "Tendai Moyo", "CT head", "pending"),
    ]
    # An appointment running across the window's start is in it.
    assert [e.id for e in finder.appointment_book(at(MONDAY, 9, 10), at(MONDAY, 9, 11))] == [
        xray.id, ct.id,
    ]  # fmt: skip
    assert [e.id for e in finder.appointment_book(
        at(MONDAY, 0), at(TUESDAY, 0), room_ids=[clinic.ct_room]
    )] == [ct.id]  # fmt: skip
    assert entries[1].radiologist_name == "Test Radiologist"


def test_opening_hours_are_local_time_across_a_daylight_saving_change(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic
) -> None:
    with database.session() as session:
        session.execute(update(ClinicSettings).values(time_zone="Europe/London"))
    # Friday 27 March 2026 is GMT, Monday 30 March is BST (UTC+1).
    clock = FakeClock(dt.datetime(2026, 3, 27, 11, 55, tzinfo=dt.UTC))
    finder = SchedulingService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    slots = finder.next_available(clinic.chest_xray, count=1)
    assert slots[0].start_at == dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)  # 08:00 BST
