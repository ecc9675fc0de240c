"""The manager's Scanners (DICOM) page: add, test (C-ECHO) and remove scanners, and
switch the DICOM service on for one PC."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from mic_desktop.db import Database
from mic_desktop.models import AuditLog, ClinicSettings
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.dicom.server import DicomServer
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.manager.window import ManagerWindow
from tests.fixed_time import clinic_clock
from tests.reception_setup import build_clinic
from tests.ui.helpers import SCREENSHOTS, wait_for_tasks_delivered


@pytest.fixture
def window(qtbot: QtBot, database: Database, staff) -> Iterator[ManagerWindow]:  # type: ignore[no-untyped-def]
    build_clinic(database, staff)
    session = UserSession.open(staff["manager"], database.connection, "test-pc", clinic_clock())
    window = ManagerWindow(session)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    wait_for_tasks_delivered(qtbot)
    yield window
    session.close()


@pytest.fixture
def scanner_stand_in(database: Database) -> Iterator[DicomServer]:
    """Something answering C-ECHO on a local port, where a scanner would."""
    server = DicomServer(
        database.session_factory, ae_title="CT1", port=0, host="127.0.0.1", workstation="ct-pc"
    )
    server.start()
    yield server
    server.stop()


def test_scanners_are_added_tested_and_removed_and_the_service_switched_on(
    qtbot: QtBot, window: ManagerWindow, database: Database, staff: dict[str, StaffAccount],
    scanner_stand_in: DicomServer,
) -> None:  # fmt: skip
    page = window.home.show_page("dicom")
    wait_for_tasks_delivered(qtbot)
    assert page.model.rows() == []
    assert page.message.isVisible()  # says what to do while the list is empty
    assert page.service_box.ae_title.text() == "MIC_RIS"
    assert page.service_box.port.value() == 11112
    assert page.service_box.uid_root.text().startswith("2.25.")
    assert not page.service_box.enabled.isChecked()

    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.ae_title, "CT\\1")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.form.error_text("ae_title")))
    assert "is not an AE title" in dialog.form.error_text("ae_title")
    dialog.ae_title.clear()
    qtbot.keyClicks(dialog.ae_title, "CT1")
    dialog.room.setCurrentIndex(dialog.room.findText("CT 1"))
    qtbot.keyClicks(dialog.host, "127.0.0.1")
    dialog.port.setValue(scanner_stand_in.port)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is None)
    qtbot.waitUntil(lambda: [r.ae_title for r in page.model.rows()] == ["CT1"])
    assert page.notice.text() == "CT1 was added in CT 1."
    assert page.model.index(0, 4).data() == "not tested"

    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "CT1" in page.tests, timeout=15_000)
    assert page.tests["CT1"].ok
    assert page.model.index(0, 4).data() == "answers"
    assert "answered C-ECHO" in page.notice.text()

    box = page.service_box
    box.enabled.setChecked(True)
    assert box.workstation.text() == "test-pc"  # this PC, filled in
    box.port.setValue(104)
    box.uid_root.setText("1.2.03")
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(box.form.error_text("uid_root")))
    assert "is not a UID root" in box.form.error_text("uid_root")
    box.uid_root.setText("1.2.826.0.1.3680043.10.999")
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.notice.isVisible())
    assert box.notice.text() == "Saved: the DICOM service runs on test-pc as MIC_RIS, port 104."
    with database.session() as session:
        row = session.get(ClinicSettings, 1)
        assert (row.dicom_workstation, row.dicom_port, row.dicom_uid_root) == (
            "test-pc", 104, "1.2.826.0.1.3680043.10.999",
        )  # fmt: skip

    window.resize(1366, 768)
    wait_for_tasks_delivered(qtbot)
    window.grab().save(str(SCREENSHOTS / "manager_dicom_devices.png"))

    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    remove = page.dialog
    assert remove is not None
    assert remove.question.text().startswith("Remove the scanner CT1 in CT 1?")
    qtbot.mouseClick(remove.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.model.rows() == [])
    with database.session() as session:
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.action.like("dicom_%")).order_by(AuditLog.id)
        ).all()
    assert actions == ["dicom_device_added", "dicom_settings_changed", "dicom_device_removed"]
