"""The desks and DICOM: reception sees what a scanner reported, live, on the appointment's
details; the PC the manager chose runs the service while someone is logged in on it."""

from __future__ import annotations

import socket

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import update

from mic_desktop.db import Database
from mic_desktop.models import AppointmentStatus, ClinicSettings
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.dicom.devices import DicomDeviceService
from mic_desktop.services.dicom.echo import echo
from mic_desktop.services.dicom.mpps import MppsService
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.reception.window import ReceptionWindow
from tests.conftest import TEST_PASSWORD
from tests.dicom_clients import confirmed
from tests.fixed_time import clinic_clock
from tests.reception_setup import MONDAY, FakeClock, at, build_clinic, register
from tests.ui.helpers import SCREENSHOTS, wait_for_tasks_delivered
from tests.ui.test_ui_login import logged_in


def test_the_details_show_the_worklist_the_study_uid_and_the_scanners_report_live(
    qtbot: QtBot, database: Database, staff: dict[str, StaffAccount],
) -> None:  # fmt: skip
    clinic = build_clinic(database, staff)  # type: ignore[arg-type]
    DicomDeviceService(database.session_factory, actor=None, workstation="pc").add(
        "CT1", room="CT 1"
    )
    patient = register(database, staff["reception"], "Tendai", "Moyo")
    clock = FakeClock(at(MONDAY, 7))
    visit = confirmed(database, staff, clock, patient, clinic.ct_head, clinic.ct_room,
                      at(MONDAY, 11))  # fmt: skip

    session = UserSession.open(staff["reception"], database.connection, "test-pc", clinic_clock())
    window = ReceptionWindow(session)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    try:
        panel = window.home.appointment_panel
        window.home.book.go_to(MONDAY)
        panel.load(visit.id)
        qtbot.waitUntil(lambda: panel.appointment is not None)
        text = panel.details.text().replace("\u200b", "")
        assert "On the scanners' worklist (DICOM)" in text
        assert f"Study UID {visit.study_instance_uid}" in text
        assert "Scanner:" not in text

        MppsService(database.session_factory, "dicom-pc", clock).create(
            "1.2.826.0.1.3680043.10.999.7", "CT1", visit.reference, "IN PROGRESS"
        )
        qtbot.waitUntil(  # the live update from the DICOM service's PC reloads the panel
            lambda: (
                panel.appointment is not None
                and panel.appointment.status is AppointmentStatus.IN_PROGRESS
            ),
            timeout=10_000,
        )
        text = panel.details.text().replace("\u200b", "")
        assert "Scanner: started by CT1" in text
        assert "worklist" not in text  # in scan: no longer offered to the scanners
        assert f"Study UID {visit.study_instance_uid}" in text
        wait_for_tasks_delivered(qtbot)
        window.grab().save(str(SCREENSHOTS / "reception_dicom_details.png"))

        today = window.home.today
        window.home.centre.setCurrentWidget(today)
        today.refresh()
        qtbot.waitUntil(lambda: [r.id for r in today.model.rows()] == [visit.id])
        room = [c.title for c in today.model.columns].index("Room")
        qtbot.waitUntil(
            lambda: (
                today.model.index(0, room).data(Qt.ItemDataRole.ToolTipRole)
                == "CT 1: started by CT1 (DICOM)"
            )
        )
        assert today.model.index(0, room).data(Qt.ItemDataRole.DecorationRole) is not None
        wait_for_tasks_delivered(qtbot)
        window.grab().save(str(SCREENSHOTS / "reception_dicom_today.png"))
    finally:
        window.close()
        wait_for_tasks_delivered(qtbot)
        session.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_service_runs_on_the_chosen_pc_while_someone_is_logged_in(
    qtbot: QtBot, make_shell, database: Database, staff: dict[str, StaffAccount],
) -> None:  # fmt: skip
    port = _free_port()
    with database.session() as session:
        session.execute(update(ClinicSettings).values(dicom_workstation="Test-PC", dicom_port=port))

    shell = make_shell(database, run_notifications=True)  # this PC is "test-pc"
    logged_in(qtbot, shell, "manager1", TEST_PASSWORD)
    qtbot.waitUntil(lambda: shell.dicom.running, timeout=10_000)
    assert echo("MIC_RIS", "127.0.0.1", port).ok
    shell.logout()
    assert not shell.dicom.running
    wait_for_tasks_delivered(qtbot, 20_000)
    assert not echo("MIC_RIS", "127.0.0.1", port, timeout=2).ok

    elsewhere = make_shell(database, run_notifications=True, workstation="desk-2")
    logged_in(qtbot, elsewhere, "manager1", TEST_PASSWORD)
    wait_for_tasks_delivered(qtbot)
    assert not elsewhere.dicom.running
