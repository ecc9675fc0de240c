"""The radiologist's screens with the demo clinic, rendered to PNG at 1366x768.

Written to ``screenshots/`` (git-ignored): the worklist, the editor with a prior
report open, the finalise dialog, the critical results list and the generated
report PDF (rendered with pdftoppm when it is installed).
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from mic_desktop.db import Database
from mic_desktop.models import ReportAccessAction, Role
from mic_desktop.services.accounts.auth import AuthService
from mic_desktop.services.clinic import load_clinic_info
from mic_desktop.services.demo.loader import load_demo
from mic_desktop.services.demo.spec import DEMO_ACCOUNTS, DemoSpec
from mic_desktop.services.reporting.worklist import WorklistFilter
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.radiologist import context
from mic_desktop.ui.radiologist.window import RadiologistWindow
from tests.ui.helpers import SCREENSHOTS as OUT
from tests.ui.helpers import wait_for_tasks_delivered

SIZE = (1366, 768)
FINDINGS = (
    "The lungs are clear bilaterally. No focal consolidation, pleural effusion or "
    "pneumothorax.\nCardiomediastinal silhouette within normal limits.\n"
    "A 9 mm nodule projects over the right mid zone."
)
IMPRESSION = "1. No acute cardiopulmonary abnormality.\n2. Right mid-zone nodule: CT chest advised."


def save(qtbot: QtBot, widget: QWidget, name: str) -> Path:
    wait_for_tasks_delivered(qtbot)
    qtbot.wait(50)  # let layouts settle after the last rows arrived
    path = OUT / f"{name}.png"
    assert widget.grab().save(str(path)), path
    return path


def reopen_reports(database: Database) -> None:
    """Turn the newest final reports back into waiting studies (a real morning's worklist)."""
    with database.session() as session:
        session.execute(
            text(
                "UPDATE report SET status = 'pending', finalised_at = NULL, finalised_by_id = NULL,"
                " signed_name = NULL, radiologist_id = NULL, claimed_at = NULL, findings = '',"
                " impression = '' WHERE id IN (SELECT r.id FROM report r JOIN appointment a"
                " ON a.id = r.appointment_id WHERE a.status = 'completed'"
                " AND r.status IN ('completed', 'reviewed')"
                " AND NOT EXISTS (SELECT 1 FROM report_addendum x WHERE x.report_id = r.id)"
                " AND NOT EXISTS (SELECT 1 FROM critical_finding c WHERE c.report_id = r.id)"
                " ORDER BY a.scan_completed_at DESC NULLS LAST LIMIT 9)"
            )
        )
        session.execute(
            text(
                "UPDATE appointment SET urgency = 'urgent' WHERE id IN (SELECT a.id FROM"
                " appointment a JOIN report r ON r.appointment_id = a.id"
                " WHERE r.status = 'pending' ORDER BY a.id LIMIT 2)"
            )
        )


def test_radiologist_screens_with_the_demo_clinic(qtbot: QtBot, database: Database) -> None:
    OUT.mkdir(exist_ok=True)
    zone = load_clinic_info(database.session_factory).zone
    today = dt.datetime.now(zone).date()
    load_demo(database.session_factory, DemoSpec(patients=60, months=2, seed=7, today=today))
    reopen_reports(database)
    demo = next(a for a in DEMO_ACCOUNTS if a.role is Role.RADIOLOGIST)
    account = AuthService(database.session_factory, "READING-1").login(demo.username, demo.password)
    session = UserSession.open(account, database.connection, "READING-1")
    try:
        window = RadiologistWindow(session)
        qtbot.addWidget(window)
        window.resize(*SIZE)
        window.show()
        qtbot.waitExposed(window)
        wait_for_tasks_delivered(qtbot)
        assert window.home.model.rowCount() >= 5
        save(qtbot, window, "radiologist-worklist")

        # A study whose patient has earlier final reports, claimed and opened.
        worklist = session.worklist_service()
        reports = context.report_service(session)
        items = worklist.items(WorklistFilter())
        with database.session() as db:
            with_priors = [
                item
                for item in items
                if db.scalar(
                    text(
                        "SELECT count(*) FROM report r"
                        " JOIN appointment a ON a.id = r.appointment_id"
                        " WHERE a.patient_id = :p AND r.status IN ('completed', 'reviewed')"
                    ),
                    {"p": item.patient_id},
                )
            ]
        item = (with_priors or items)[0]
        claim = worklist.claim(item.appointment_id)
        editor = window.open_report(claim.report_id)
        qtbot.addWidget(editor)
        editor.resize(*SIZE)
        qtbot.waitUntil(lambda: editor.detail is not None)
        editor.findings.setPlainText(FINDINGS)
        editor.impression.setPlainText(IMPRESSION)
        editor.tabs.setCurrentIndex(1)
        if editor.priors.count():
            editor.priors.setCurrentRow(0)
            qtbot.waitUntil(lambda: editor.prior is not None)
        save(qtbot, editor, "radiologist-editor-prior")

        editor.finalise()
        dialog = editor.finalise_dialog
        assert dialog is not None
        dialog.critical.setChecked(True)
        dialog.description.setPlainText("9 mm right mid-zone nodule, new since the prior study")
        save(qtbot, dialog, "radiologist-finalise-dialog")
        dialog.sign_button.click()
        qtbot.waitUntil(lambda: editor.detail.is_final)
        reports.add_addendum(
            claim.report_id, "Discussed with the referring doctor; CT chest booked for Friday."
        )
        editor.reload()
        qtbot.waitUntil(lambda: len(editor.detail.addenda) == 1)
        editor.tabs.setCurrentIndex(0)
        save(qtbot, editor, "radiologist-editor-final")

        with database.session() as db:  # flagged three hours ago: past the escalation time
            db.execute(text("UPDATE critical_finding SET flagged_at = now() - interval '3 hours'"))
        window.show_critical_results()
        window.critical_window.resize(*SIZE)
        qtbot.waitUntil(lambda: window.critical.model.rowCount() >= 1)
        qtbot.waitUntil(lambda: window.critical.model.row_at(0).escalated)
        assert window.critical_action.text() == "Critical results (1)"
        save(qtbot, window.critical_window, "radiologist-critical-results")
        window.critical.acknowledge_selected()
        assert window.critical.dialog is not None
        save(qtbot, window.critical.dialog, "radiologist-acknowledge-dialog")
        window.critical.dialog.reject()

        file = context.access_service(session).document_for(
            claim.report_id, ReportAccessAction.EXPORT, "screenshot test"
        )
        pdf = OUT / "radiologist-report.pdf"
        pdf.write_bytes(file.content)
        words = " ".join(
            "\n".join(
                p.extract_text() or "" for p in PdfReader(io.BytesIO(file.content)).pages
            ).split()
        )
        assert "No acute cardiopulmonary abnormality" in words and "CT chest booked" in words
        if shutil.which("pdftoppm"):
            subprocess.run(
                ["pdftoppm", "-png", "-r", "70", str(pdf), str(OUT / "radiologist-report-pdf")],
                check=True,
                timeout=60,
            )
    finally:
        wait_for_tasks_delivered(qtbot)
        session.close()
