"""A clinic's own set-up: modalities, rooms open round the clock, closures, check-in window."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from mic_desktop.db import Database
from mic_desktop.models import ClinicSettings
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.admin.catalogue import FacilityAdminService, ScanTypeDraft
from mic_desktop.services.errors import ServiceError, ValidationError
from mic_desktop.services.scheduling.book import SchedulingService
from mic_desktop.services.scheduling.booking import BookingRequest, BookingService
from mic_desktop.services.scheduling.rooms import OpeningPeriod
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, build_clinic, register

FRIDAY = MONDAY + dt.timedelta(days=4)
MIDNIGHT = dt.time(0)


@pytest.fixture
def clinic(database: Database, staff: dict[str, StaffAccount]) -> Clinic:
    return build_clinic(database, staff)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(MONDAY, 7))


@pytest.fixture
def manager(database: Database, staff: dict[str, StaffAccount], clock: FakeClock):  # type: ignore[no-untyped-def]
    return FacilityAdminService(
        database.session_factory, actor=staff["manager"], workstation="office", clock=clock
    )


@pytest.fixture
def desk(database: Database, staff: dict[str, StaffAccount], clock: FakeClock) -> BookingService:
    return BookingService(database.session_factory, staff["reception"], "desk-1", clock=clock)


def _night_room(manager: FacilityAdminService, hours: list[OpeningPeriod]) -> tuple[int, int]:
    """An MR room with ``hours`` and a 30-minute MR scan without a radiologist on site."""
    mr = manager.add_modality("MR", "Magnetic resonance")
    room = manager.add_room("MR 1", mr.id)
    manager.set_opening_hours(room.id, hours, expected_version=room.version)
    scan = manager.add_scan_type(ScanTypeDraft("MR-KNEE", "MRI knee", mr.id, 30), "300")
    return room.id, scan.id


def test_a_fresh_database_offers_a_starter_list_but_has_no_modalities(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    service = FacilityAdminService(
        database.session_factory, actor=staff["manager"], workstation="office"
    )
    assert service.modalities(include_inactive=True) == []
    codes = [code for code, _name in service.starter_modalities()]
    assert {"CT", "MR", "US", "DX", "MG"} <= set(codes)
    service.add_modality("ct", "Computed tomography")
    assert "CT" not in [code for code, _name in service.starter_modalities()]
    with pytest.raises(ValidationError, match="already exists"):
        service.add_modality("CT", "Again")


def test_a_disabled_modality_offers_no_new_rooms(manager: FacilityAdminService) -> None:
    us = manager.add_modality("US", "Ultrasound")
    room = manager.add_room("US 1", us.id)
    manager.set_modality_active("US", False)
    assert "US" not in [m.code for m in manager.modalities()]
    with pytest.raises(ValidationError, match="disabled"):
        manager.add_room("US 2", us.id)
    kept = manager.update_room(
        room.id, name="US 1a", modality_id=us.id, is_active=True, sort_order=0,
        expected_version=room.version,
    )  # fmt: skip
    assert kept.name == "US 1a"


def test_a_scan_crosses_midnight_in_a_room_open_on_both_sides(
    database: Database, staff: dict[str, StaffAccount], manager: FacilityAdminService,
    desk: BookingService, clock: FakeClock,
) -> None:  # fmt: skip
    # Monday 20:00-24:00 and Tuesday 00:00-02:00 make one span; Tuesday closes at 02:00.
    room, scan = _night_room(
        manager, [OpeningPeriod(0, dt.time(20), MIDNIGHT), OpeningPeriod(1, MIDNIGHT, dt.time(2))]
    )
    slots = SchedulingService(database.session_factory, clock=clock).next_available(
        scan, count=24, granularity_minutes=15
    )
    starts = [s.start_at for s in slots]
    assert at(MONDAY, 23, 45) in starts  # ends 00:15 Tuesday
    assert len(starts) == 24  # 20:00 to 01:30, then the next Monday
    assert starts[-2] == at(MONDAY + dt.timedelta(days=1), 1, 30)  # the last that fits
    assert starts[-1] == at(MONDAY + dt.timedelta(days=7), 20)
    patient = register(database, staff["reception"], phone="0771234567").id
    booked = desk.book(BookingRequest(patient, scan, room, at(MONDAY, 23, 45)))
    assert booked.end_at == at(MONDAY + dt.timedelta(days=1), 0, 15)
    with pytest.raises(ValidationError) as error:
        desk.book(BookingRequest(patient, scan, room, at(MONDAY + dt.timedelta(days=1), 1, 45)))
    assert str(error.value) == "MR 1 closes at 02:00; this scan would end at 02:15."
    with pytest.raises(ValidationError, match="MR 1 is closed at 19:00 on Mon 23 Nov 2026"):
        desk.book(BookingRequest(patient, scan, room, at(MONDAY, 19)))


def test_open_24_hours_runs_through_the_week(
    database: Database, manager: FacilityAdminService, clock: FakeClock
) -> None:
    room, scan = _night_room(manager, [OpeningPeriod(d, MIDNIGHT, MIDNIGHT) for d in range(7)])
    info = next(r for r in manager.rooms() if r.id == room)
    assert info.open_minutes_per_week == 7 * 24 * 60
    clock.now = at(MONDAY, 23, 50)
    slots = SchedulingService(database.session_factory, clock=clock).next_available(
        scan, count=3, granularity_minutes=15
    )
    assert [s.start_at for s in slots] == [
        at(MONDAY + dt.timedelta(days=1), 0, 0),
        at(MONDAY + dt.timedelta(days=1), 0, 15),
        at(MONDAY + dt.timedelta(days=1), 0, 30),
    ]


def test_closures_are_left_out_by_the_finder_and_refused_by_booking(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic,
    manager: FacilityAdminService, desk: BookingService, clock: FakeClock,
) -> None:  # fmt: skip
    patient = register(database, staff["reception"], phone="0771234567").id
    desk.book(BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(MONDAY, 9)))
    tuesday = MONDAY + dt.timedelta(days=1)
    closure = manager.add_closure("Heroes Day", MONDAY, tuesday)
    assert closure.bookings == 1 and closure.where == "Whole clinic"
    manager.add_closure("Tube change", MONDAY + dt.timedelta(days=2), room_id=clinic.ct_room)
    with pytest.raises(ValidationError) as error:
        desk.book(BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(tuesday, 9)))
    assert str(error.value) == (
        "The clinic is closed on Tue 24 Nov 2026 (Heroes Day): choose another day."
    )
    wednesday = MONDAY + dt.timedelta(days=2)
    with pytest.raises(ValidationError, match=r"CT 1 is closed on Wed 25 Nov 2026 \(Tube change\)"):
        desk.book(
            BookingRequest(patient, clinic.ct_head, clinic.ct_room, at(wednesday, 9),
                           preauthorisation_number="P")
        )  # fmt: skip
    scheduling = SchedulingService(database.session_factory, clock=clock)
    xray = scheduling.next_available(clinic.chest_xray, count=1)
    assert xray[0].start_at == at(wednesday, 8)
    ct = scheduling.next_available(clinic.ct_head, count=1)
    assert (ct[0].room_name, ct[0].start_at) == ("CT 2", at(wednesday, 8))
    closures = manager.closures(since=MONDAY)
    assert [c.name for c in closures] == ["Heroes Day", "Tube change"]
    manager.remove_closure(closures[0].id)
    assert scheduling.next_available(clinic.chest_xray, count=1)[0].start_at == at(MONDAY, 8)


def test_check_in_opens_at_the_clinic_set_time_before_the_start(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, desk: BookingService,
    clock: FakeClock,
) -> None:  # fmt: skip
    patient = register(database, staff["reception"], phone="0771234567").id
    booked = desk.book(BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(FRIDAY, 9)))
    with pytest.raises(ServiceError) as error:
        desk.check_in(booked.id, booked.version)
    assert str(error.value) == (
        "Check-in opens 2 hours before the appointment, at Fri 27 Nov 2026 07:00; "
        "this patient is booked for Fri 27 Nov 2026 09:00."
    )
    clock.now = at(FRIDAY, 7)
    assert desk.check_in(booked.id, booked.version).status.value == "arrived"
    with database.session() as session:
        session.execute(update(ClinicSettings).values(check_in_minutes_before=30))
    other = desk.book(BookingRequest(patient, clinic.chest_xray, clinic.xray_room, at(FRIDAY, 10)))
    clock.now = at(FRIDAY, 9, 20)
    with pytest.raises(ServiceError, match="Check-in opens 30 minutes before"):
        desk.check_in(other.id, other.version)


def test_public_holidays_of_the_clinics_country_are_added_once(
    manager: FacilityAdminService,
) -> None:
    first, last = dt.date(2026, 12, 1), dt.date(2027, 4, 30)
    added = manager.add_public_holidays(first, last)  # the clinic's country: ZW
    assert [(c.first_day, c.name) for c in added][:2] == [
        (dt.date(2026, 12, 22), "Unity Day"),
        (dt.date(2026, 12, 25), "Christmas Day"),
    ]
    assert all(c.room_id is None and c.first_day == c.last_day for c in added)
    assert manager.add_public_holidays(first, last) == []
    assert len(manager.closures()) == len(added)
