"""The radiologist's desk for the UI tests: a patient with a prior report and a study to
report, logged-in sessions, the window and a claimed report's editor, small PDFs."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from reportlab.pdfgen import canvas

from mic_desktop.db import Database
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.admin.staff import StaffService
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.radiologist.editor import ReportEditor
from mic_desktop.ui.radiologist.window import RadiologistWindow
from tests.conftest import TEST_PASSWORD
from tests.ui.helpers import ClinicData, wait_for_tasks_delivered

FINDINGS = "Consolidation in the right lower lobe with a small effusion."
IMPRESSION = "Right lower lobe pneumonia. Follow-up chest X-ray in six weeks."
ADDENDUM = "Comparison with the outside CT: the effusion is new."
# Milliseconds to wait for a preview or a signature: a guard against a hang on a busy
# machine (the preview renders PDF pages), not a speed requirement.
PREVIEW_WAIT = 20_000


def make_pdf(path: Path, text: str = "Dictated report") -> Path:
    pdf = canvas.Canvas(str(path))
    pdf.drawString(72, 720, text)
    pdf.save()
    return path


def make_encrypted_pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.append(io.BytesIO(make_pdf(path.with_suffix(".plain.pdf")).read_bytes()))
    writer.encrypt("secret")
    with path.open("wb") as out:
        writer.write(out)
    return path


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


class Desk:
    """The test database with a patient who has a prior report and a study to report."""

    def __init__(self, database: Database) -> None:
        self.data = ClinicData(database)
        self.database = database
        patient = self.data.patient("Chipo", "Ncube")
        earlier = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
        prior_scan = self.data.appointment(
            patient, earlier, status="completed", completed_at=earlier, scan=1
        )
        self.prior_report = self.data.report(
            prior_scan,
            "completed",
            findings="Normal liver and gallbladder.",
            impression="Normal abdominal ultrasound.",
            signed_name="Dr Old Colleague",
        )
        done = dt.datetime.now(dt.UTC) - dt.timedelta(hours=5)
        self.appointment = self.data.appointment(
            patient, done, status="completed", completed_at=done, urgency="urgent"
        )


def open_sessions(
    database: Database, staff: dict[str, StaffAccount], clock: Clock = utc_now
) -> Iterator[dict[str, UserSession]]:
    """A radiologist, a second radiologist and the manager logged in on three PCs."""
    second = StaffService(database.session_factory, actor=None, workstation="test-pc").add(
        "radiologist2", "Dr Second Reader", "radiologist", TEST_PASSWORD, must_change_password=False
    )
    opened = {
        "radiologist": UserSession.open(staff["radiologist"], database.connection, "pc-1", clock),
        "second": UserSession.open(second, database.connection, "pc-2"),
        "manager": UserSession.open(staff["manager"], database.connection, "pc-3"),
    }
    yield opened
    for session in opened.values():
        session.close()


def open_window(qtbot: QtBot, session: UserSession) -> RadiologistWindow:
    window = RadiologistWindow(session)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    wait_for_tasks_delivered(qtbot)
    return window


def select_row(qtbot: QtBot, window: RadiologistWindow, appointment_id: int) -> None:
    qtbot.waitUntil(lambda: window.home.select_appointment(appointment_id))
    assert window.home.selected().appointment_id == appointment_id


def claim_and_open(qtbot: QtBot, window: RadiologistWindow, appointment_id: int) -> ReportEditor:
    select_row(qtbot, window, appointment_id)
    qtbot.mouseClick(window.home.claim_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.editors) == 1)
    editor = next(iter(window.editors.values()))
    qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: editor.detail is not None)
    wait_for_tasks_delivered(qtbot)
    return editor
