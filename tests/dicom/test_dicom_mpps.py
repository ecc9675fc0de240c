"""MPPS N-CREATE/N-SET from a scanner moving the appointment through the desk's rules."""

from __future__ import annotations

import psycopg
from sqlalchemy import select

from mic_desktop.db import Database
from mic_desktop.models import (
    Appointment,
    AuditLog,
    PerformedProcedureStep,
    Report,
)
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.dicom.server import DicomServer
from mic_desktop.services.dicom.steps import modality_steps
from mic_desktop.services.reporting.worklist import WorklistService
from mic_desktop.services.scheduling.visit_status import VisitStatusService
from tests.dicom_clients import confirmed, mpps_end, mpps_start
from tests.reception_setup import MONDAY, Clinic, FakeClock, at, register


def _status(database: Database, appointment_id: int) -> str:
    with database.session() as session:
        return session.scalar(select(Appointment.status).where(Appointment.id == appointment_id))


def test_in_progress_then_completed_moves_the_appointment_by_modality(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock,
    dicom_server: DicomServer,
) -> None:  # fmt: skip
    patient = register(database, staff["reception"])
    visit = confirmed(database, staff, clock, patient, clinic.ct_head, clinic.ct_room,
                      at(MONDAY, 9))  # fmt: skip
    dsn = database.connection.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute("LISTEN mic_appointment")
        uid, created = mpps_start(dicom_server.port, "CT1", visit.reference)
        heard = [n.payload for n in listener.notifies(timeout=2, stop_after=2)]

    assert created == 0x0000
    assert _status(database, visit.id) == "in_progress"  # confirmed -> arrived -> in scan
    assert heard == [str(visit.id)] * 2

    assert mpps_end(dicom_server.port, "CT1", uid, "COMPLETED") == 0x0000
    assert _status(database, visit.id) == "completed"

    desk = VisitStatusService(database.session_factory, staff["reception"], "desk-1", clock=clock)
    history = desk.history(visit.id)
    assert [(h.to_status.value, h.changed_by) for h in history] == [
        ("pending", "Test Reception"),
        ("confirmed", "Test Reception"),
        ("arrived", "modality CT 1 (CT1)"),
        ("in_progress", "modality CT 1 (CT1)"),
        ("completed", "modality CT 1 (CT1)"),
    ]
    with database.session() as session:
        audits = session.execute(
            select(AuditLog.action, AuditLog.username)
            .where(
                AuditLog.entity == "appointment",
                AuditLog.entity_id == str(visit.id),
                ~AuditLog.action.startswith("row."),
            )
            .order_by(AuditLog.id)
        ).all()
        report = session.scalar(select(Report.status).where(Report.appointment_id == visit.id))
    assert audits[-3:] == [
        ("appointment_checked_in", "modality CT 1 (CT1)"),
        ("scan_started", "modality CT 1 (CT1)"),
        ("scan_completed", "modality CT 1 (CT1)"),
    ]
    assert report == "pending"  # on the radiologists' worklist, as from a desk
    worklist = WorklistService(database.session_factory, staff["radiologist"], "rad-pc", clock)
    assert [(i.reference, i.scanned_by) for i in worklist.items()] == [(visit.reference, "CT1")]
    steps = modality_steps(database.session_factory, visit.id)
    assert [(s.ae_title, s.status.value) for s in steps] == [("CT1", "completed")]
    # A finished step takes no more changes.
    assert mpps_end(dicom_server.port, "CT1", uid, "DISCONTINUED", "Too late") == 0x0110


def test_discontinued_records_the_reason_and_leaves_the_visit_for_reception(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock,
    dicom_server: DicomServer,
) -> None:  # fmt: skip
    patient = register(database, staff["reception"])
    visit = confirmed(database, staff, clock, patient, clinic.ct_head, clinic.ct_room,
                      at(MONDAY, 9))  # fmt: skip
    uid, _ = mpps_start(dicom_server.port, "CT1", visit.reference)

    answer = mpps_end(dicom_server.port, "CT1", uid, "DISCONTINUED", "Patient refused")

    assert answer == 0x0000
    assert _status(database, visit.id) == "in_progress"
    with database.session() as session:
        step = session.scalars(select(PerformedProcedureStep)).one()
        audit = session.execute(
            select(AuditLog.action, AuditLog.username, AuditLog.details)
            .order_by(AuditLog.id.desc())
            .limit(1)
        ).one()
    assert (step.status, step.discontinued_reason) == ("discontinued", "Patient refused")
    details = VisitStatusService(database.session_factory, staff["reception"], "desk-1").get(
        visit.id
    )
    assert details.modality_step == "discontinued by CT1: Patient refused"
    assert audit.action == "scan_discontinued_by_modality"
    assert audit.username == "modality CT 1 (CT1)"
    assert audit.details["reason"] == "Patient refused"


def test_an_unknown_accession_or_step_is_refused_and_logged(
    database: Database, staff: dict[str, StaffAccount], clinic: Clinic, clock: FakeClock,
    dicom_server: DicomServer,
) -> None:  # fmt: skip
    patient = register(database, staff["reception"])
    visit = confirmed(database, staff, clock, patient, clinic.ct_head, clinic.ct_room,
                      at(MONDAY, 9))  # fmt: skip

    _uid, created = mpps_start(dicom_server.port, "CT1", "A9999999")
    unknown_step = mpps_end(dicom_server.port, "CT1", "1.2.3.4.5", "COMPLETED")

    assert created == 0x0106  # invalid attribute value: no such accession number
    assert unknown_step == 0x0112  # no such SOP instance
    assert _status(database, visit.id) == "confirmed"
    with database.session() as session:
        assert session.scalars(select(PerformedProcedureStep)).all() == []
        refused = session.execute(
            select(AuditLog.entity_id, AuditLog.details["status"].astext)
            .where(AuditLog.action == "dicom_mpps_refused")
            .order_by(AuditLog.id)
        ).all()
    assert refused == [("A9999999", "0x0106"), ("1.2.3.4.5", "0x0112")]
