"""Twenty scanners querying the worklist at once while reception books and confirms."""

from __future__ import annotations

import datetime as dt
import threading

from mic_desktop.db import Database
from mic_desktop.models import Modality, Room, RoomOpeningHours
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.dicom.devices import DicomDeviceService
from mic_desktop.services.dicom.server import DicomServer
from tests.dicom_clients import FindResult, confirmed, find, worklist_query
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, register

SCANNERS = 20
QUERIES_EACH = 5


def test_twenty_scanners_query_at_once_while_reception_books(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock,
    dicom_server: DicomServer,
) -> None:  # fmt: skip
    with database.session() as session:
        ct = session.query(Modality).filter_by(code="CT").one()
        room = Room(name="CT 3", modality_id=ct.id, sort_order=4)
        session.add(room)
        session.flush()
        for weekday in range(5):
            session.add(
                RoomOpeningHours(
                    room_id=room.id, weekday=weekday, opens_at=dt.time(8), closes_at=dt.time(17)
                )
            )
        room_id = room.id
    scanners = DicomDeviceService(database.session_factory, actor=None, workstation="test-pc")
    titles = [f"LOAD{n:02d}" for n in range(SCANNERS)]
    for title in titles:
        scanners.add(title, room="CT 3")
    patient = register(database, staff["reception"])
    confirmed(database, staff, clock, patient, clinic.ct_head, room_id, at(MONDAY, 8))

    start = threading.Barrier(SCANNERS + 1)
    results: dict[str, list[FindResult]] = {title: [] for title in titles}
    errors: list[BaseException] = []

    def scanner(title: str) -> None:
        try:
            start.wait(timeout=30)
            for _ in range(QUERIES_EACH):
                query = worklist_query(station=title, date="20261123")
                results[title].append(find(dicom_server.port, title, query))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=scanner, args=(title,)) for title in titles]
    for thread in threads:
        thread.start()
    start.wait(timeout=30)
    booked = [  # reception books the rest of the day meanwhile, every 30 minutes
        confirmed(
            database,
            staff,
            clock,
            patient,
            clinic.ct_head,
            room_id,
            at(MONDAY, 8, 30) + dt.timedelta(minutes=30 * n),
        )
        for n in range(8)
    ]
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    counts = set()
    for title in titles:
        assert len(results[title]) == QUERIES_EACH
        for result in results[title]:
            assert result.established and result.final_status == 0x0000
            assert all(m.ScheduledProcedureStepSequence[0].ScheduledStationAETitle == title
                       for m in result.matches)  # fmt: skip
            counts.add(len(result.matches))
        # Each scanner sees the day grow, never shrink or go past what was booked.
        seen = [len(r.matches) for r in results[title]]
        assert seen == sorted(seen)
    assert counts <= set(range(1, len(booked) + 2))
    final = find(dicom_server.port, titles[0], worklist_query(station=titles[0], date="20261123"))
    assert len(final.matches) == len(booked) + 1
