"""Benchmark: a scanner's worklist C-FIND on a day with 400 appointments.

    python -m benchmarks.bench_dicom_worklist [--per-day 400] [--days 60] [--runs 20]
                                             [--database-url URL] [--keep DIR]

A clinic with 20 CT rooms (one scanner each) open 07:00-19:00 and ``--days`` days of
``--per-day`` confirmed appointments around the measured day (so the index, not a
small table, answers). The DICOM service runs on a local port; pynetdicom plays the
scanner. Timed, each ``--runs`` times: the C-FIND of the whole day (every
appointment: 400 answers), the same with the association set up and released
(what a console does per refresh), one scanner's own worklist (its room's 20), and,
when DCMTK is installed, the whole day asked by its ``findscu`` (a C++ client, as on a
scanner; its process start included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from pydicom.dataset import Dataset
from pynetdicom import AE
from pynetdicom.sop_class import ModalityWorklistInformationFind  # type: ignore[attr-defined]
from sqlalchemy import insert

from benchmarks.servers import benchmark_database, drop_database, server_url
from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database, make_engine
from mic_desktop.models import (
    Appointment,
    DicomDevice,
    Modality,
    Patient,
    Room,
    ScanType,
)
from mic_desktop.schema import upgrade
from mic_desktop.services.dicom.server import DicomServer

ROOMS = 20
ZONE = ZoneInfo("Africa/Harare")
DAY = dt.date(2026, 11, 23)


def build(database: Database, per_day: int, days: int) -> None:
    """Rooms, scanners, patients and ``days`` days of confirmed appointments (bulk)."""
    per_room = -(-per_day // ROOMS)
    with database.session() as session:
        ct = Modality(code="CT", name="Computed tomography")
        session.add(ct)
        session.flush()
        rooms = [Room(name=f"CT {n + 1}", modality_id=ct.id, sort_order=n) for n in range(ROOMS)]
        session.add_all(rooms)
        scan = ScanType(
            code="CT-HEAD", name="CT head", modality_id=ct.id, duration_minutes=30,
            price=Decimal("150.00"),
        )  # fmt: skip
        session.add(scan)
        session.flush()
        session.add_all(
            DicomDevice(ae_title=f"CT{n + 1}", room_id=room.id) for n, room in enumerate(rooms)
        )
        patients = session.execute(
            insert(Patient).returning(Patient.id),
            [
                {"first_name": f"Given{n}", "last_name": f"Family{n % 997}",
                 "date_of_birth": dt.date(1950 + n % 60, 1 + n % 12, 1 + n % 28), "sex": "F"}
                for n in range(per_day * 2)
            ],
        ).scalars().all()  # fmt: skip
        number = 0
        first = DAY - dt.timedelta(days=days // 2)
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            rows = []
            for index in range(per_day):
                room, slot = rooms[index % ROOMS], index // ROOMS
                start = dt.datetime.combine(day, dt.time(7), ZONE) + dt.timedelta(
                    minutes=30 * slot * 12 // per_room
                )
                number += 1
                rows.append(
                    {
                        "reference": f"A{number:07d}",
                        "patient_id": patients[(number * 7) % len(patients)],
                        "scan_type_id": scan.id,
                        "room_id": room.id,
                        "start_at": start,
                        "end_at": start + dt.timedelta(minutes=30 * 12 // per_room),
                        "status": "confirmed",
                        "price": Decimal("150.00"),
                        "patient_copay": Decimal("150.00"),
                    }
                )
            session.execute(insert(Appointment), rows)


def query(station: str = "", date: str = "") -> Dataset:
    step = Dataset()
    step.ScheduledStationAETitle = station
    step.ScheduledProcedureStepStartDate = date
    step.ScheduledProcedureStepStartTime = ""
    step.Modality = ""
    step.ScheduledPerformingPhysicianName = ""
    step.ScheduledProcedureStepDescription = ""
    step.ScheduledProcedureStepID = ""
    identifier = Dataset()
    for keyword in (
        "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "AccessionNumber",
        "ReferringPhysicianName", "StudyInstanceUID", "RequestedProcedureID",
        "RequestedProcedureDescription",
    ):  # fmt: skip
        setattr(identifier, keyword, "")
    identifier.ScheduledProcedureStepSequence = [step]
    return identifier


def timed_find(assoc, identifier: Dataset) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    answers = 0
    for status, _found in assoc.send_c_find(identifier, ModalityWorklistInformationFind):
        if status and status.Status in (0xFF00, 0xFF01):
            answers += 1
        elif status and status.Status != 0x0000:
            raise RuntimeError(f"C-FIND failed: 0x{status.Status:04X}")
    return (time.perf_counter() - started) * 1000, answers


def dcmtk_runs(port: int, day: str, runs: int) -> tuple[list[float], int] | None:
    """The whole day asked ``runs`` times by DCMTK's findscu, or None without DCMTK."""
    dump2dcm = shutil.which("dump2dcm")
    findscu = Path(dump2dcm).parent / "findscu" if dump2dcm else None
    if findscu is None or not findscu.exists():
        return None
    folder = Path(tempfile.mkdtemp(prefix="mic-bench-wl-"))
    identifier = query(date=day)
    identifier.is_little_endian, identifier.is_implicit_VR = True, False
    identifier.save_as(folder / "query.wl", enforce_file_format=False)
    times, answers = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        run = subprocess.run(
            [str(findscu), "-W", "-aet", "CT1", "-aec", "MIC_RIS", "127.0.0.1", str(port),
             str(folder / "query.wl")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        times.append((time.perf_counter() - started) * 1000)
        answers = run.stderr.count("Find Response")
    shutil.rmtree(folder, ignore_errors=True)
    return times, answers


def summary(label: str, times: list[float], answers: int) -> str:
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    return (
        f"  {label:<44} {answers:4d} answers   median {statistics.median(times):7.1f} ms   "
        f"p95 {p95:7.1f} ms   max {times[-1]:7.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, default=400)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--keep")
    args = parser.parse_args()

    server = server_url(args.database_url, args.keep)
    url, _existed = benchmark_database(server, None)
    lines = []
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        database = Database(Connection(url, DatabaseKind.EMBEDDED))
        made = time.perf_counter()
        build(database, args.per_day, args.days)
        print(f"{args.days} days x {args.per_day} appointments made in "
              f"{time.perf_counter() - made:.1f} s", file=sys.stderr)  # fmt: skip
        service = DicomServer(
            database.session_factory, ae_title="MIC_RIS", port=0, host="127.0.0.1",
            workstation="bench",
        )  # fmt: skip
        service.start()
        scanner = AE(ae_title="CT1")
        scanner.add_requested_context(ModalityWorklistInformationFind)
        day = DAY.strftime("%Y%m%d")
        try:
            assoc = scanner.associate("127.0.0.1", service.port, ae_title="MIC_RIS")
            timed_find(assoc, query(date=day))  # warm-up: connections, plans, imports
            whole, own = [], []
            for _ in range(args.runs):
                ms, whole_answers = timed_find(assoc, query(date=day))
                whole.append(ms)
                ms, own_answers = timed_find(assoc, query(station="CT1", date=day))
                own.append(ms)
            assoc.release()
            dcmtk = dcmtk_runs(service.port, day, args.runs)
            fresh = []
            for _ in range(args.runs):
                started = time.perf_counter()
                assoc = scanner.associate("127.0.0.1", service.port, ae_title="MIC_RIS")
                _ms, fresh_answers = timed_find(assoc, query(date=day))
                assoc.release()
                fresh.append((time.perf_counter() - started) * 1000)
        finally:
            service.stop()
            database.dispose()
        lines = [
            f"worklist C-FIND, day with {args.per_day} appointments "
            f"({args.days} days booked, {args.runs} runs each):",
            summary("whole day (open association)", whole, whole_answers),
            summary("whole day incl. associate + release", fresh, fresh_answers),
            summary("one scanner's room (station AE CT1)", own, own_answers),
        ]
        if dcmtk is not None:
            lines.append(summary("whole day, DCMTK findscu (process incl.)", *dcmtk))
        else:
            lines.append("  (no DCMTK findscu/dump2dcm on PATH: its run left out)")
    finally:
        drop_database(url)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
