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
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import text

from mic_desktop.db import Database
from mic_desktop.models import ReportAccessAction, Role
from mic_desktop.services.accounts.auth import AuthService
from mic_desktop.services.demo.loader import load_demo
from mic_desktop.services.demo.spec import DEMO_ACCOUNTS, DemoSpec
from mic_desktop.services.reporting.worklist import WorklistFilter
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.radiologist import context
from mic_desktop.ui.radiologist.window import RadiologistWindow
from tests.fixed_time import DEMO_TODAY, demo_clock
from tests.ui.helpers import SCREENSHOTS as OUT
from tests.ui.helpers import wait_for_tasks_delivered
from tests.ui.radiologist_desk import PREVIEW_WAIT

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


def outside_report_pdf() -> bytes:
    """A two-page report PDF as another system prints it, naming no patient."""
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4)
    for page in (1, 2):
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(72, 770, "Teleradiology Services — Report")
        pdf.setFont("Helvetica", 11)
        lines = [
            "Examination: Ultrasound abdomen",
            "Findings: The liver is normal in size with diffusely increased echogenicity.",
            "Multiple mobile echogenic foci with shadowing in the gallbladder, largest 12 mm.",
            "No gallbladder wall thickening. Common bile duct 4 mm.",
            "Impression: Hepatic steatosis. Cholelithiasis without cholecystitis.",
        ]
        for number, line in enumerate(lines if page == 1 else lines[:1]):
            pdf.drawString(72, 730 - 18 * number, line)
        pdf.drawString(72, 60, f"Dictated report, page {page} of 2")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def attached_report_screens(
    qtbot: QtBot, window: RadiologistWindow, session: UserSession, items: list
) -> None:  # type: ignore[type-arg]
    """Typed findings and an attached PDF: the editor's warning, the Finalise preview, the PDF."""
    item = items[0]
    claim = session.worklist_service().claim(item.appointment_id)
    reports = context.report_service(session)
    draft = reports.save_draft(
        claim.report_id,
        findings="Fatty liver, gallstones.",
        impression="",
        expected_version=claim.version,
    )
    reports.attach_pdf(
        claim.report_id, outside_report_pdf(), "teleradiology-report.pdf",
        expected_version=draft.version,
    )  # fmt: skip
    editor = window.open_report(claim.report_id)
    qtbot.addWidget(editor)
    editor.resize(*SIZE)
    qtbot.waitUntil(lambda: editor.detail is not None and editor.detail.documents != ())
    save(qtbot, editor, "radiologist-editor-attached")

    editor.finalise()
    dialog = editor.finalise_dialog
    assert dialog is not None
    dialog.deliver_appendix.setChecked(True)
    qtbot.waitUntil(dialog.sign_button.isEnabled, timeout=PREVIEW_WAIT)
    assert dialog.identity_box.isVisible()
    dialog.identity_confirm.setChecked(True)
    dialog.identity_reason.setText("Teleradiology report for this exam, faxed without labels")
    save(qtbot, dialog, "radiologist-finalise-preview")
    dialog.sign_button.click()
    qtbot.waitUntil(lambda: editor.detail.is_final, timeout=PREVIEW_WAIT)
    save(qtbot, editor, "radiologist-editor-appendix-final")
    file = context.access_service(session).document_for(
        claim.report_id, ReportAccessAction.EXPORT, "screenshot test"
    )
    pdf = OUT / "radiologist-report-appendix.pdf"
    pdf.write_bytes(file.content)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", str(pdf), str(OUT / "radiologist-report-appendix")],
            check=True,
            timeout=60,
        )
    editor.close()


def reopen_reports(database: Database) -> None:
    """Turn the newest final reports back into waiting studies (a real morning's worklist).

    Signed reports never change in the product (a trigger refuses it for every login);
    the test, as the schema's owner, lifts that rule for this one statement.
    """
    with database.session() as session:
        session.execute(text("ALTER TABLE report DISABLE TRIGGER report_signed"))
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
        session.execute(text("ALTER TABLE report ENABLE TRIGGER report_signed"))
        session.execute(
            text(
                "UPDATE appointment SET urgency = 'urgent' WHERE id IN (SELECT a.id FROM"
                " appointment a JOIN report r ON r.appointment_id = a.id"
                " WHERE r.status = 'pending' ORDER BY a.id LIMIT 2)"
            )
        )


def test_radiologist_screens_with_the_demo_clinic(qtbot: QtBot, database: Database) -> None:
    OUT.mkdir(exist_ok=True)
    load_demo(database.session_factory, DemoSpec(patients=60, months=2, seed=7, today=DEMO_TODAY))
    reopen_reports(database)
    demo = next(a for a in DEMO_ACCOUNTS if a.role is Role.RADIOLOGIST)
    clock = demo_clock()
    auth = AuthService(database.session_factory, "READING-1", clock)
    account = auth.login(demo.username, demo.password)
    session = UserSession.open(account, database.connection, "READING-1", clock)
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
        qtbot.waitUntil(dialog.sign_button.isEnabled, timeout=PREVIEW_WAIT)
        save(qtbot, dialog, "radiologist-finalise-dialog")
        dialog.sign_button.click()
        qtbot.waitUntil(lambda: editor.detail.is_final, timeout=PREVIEW_WAIT)
        reports.add_addendum(
            claim.report_id, "Discussed with the referring doctor; CT chest booked for Friday."
        )
        editor.reload()
        qtbot.waitUntil(lambda: len(editor.detail.addenda) == 1)
        editor.tabs.setCurrentIndex(0)
        save(qtbot, editor, "radiologist-editor-final")

        with database.session() as db:  # flagged three hours ago: past the escalation time
            db.execute(
                text("UPDATE critical_finding SET flagged_at = :at WHERE acknowledged_at IS NULL"),
                {"at": clock() - dt.timedelta(hours=3)},
            )
            open_results = db.scalar(
                text("SELECT count(*) FROM critical_finding WHERE acknowledged_at IS NULL")
            )
        assert open_results >= 1  # this one, and any the demo clinic left open
        window.show_critical_results()
        window.critical_window.resize(*SIZE)
        qtbot.waitUntil(lambda: window.critical.model.rowCount() == open_results)
        qtbot.waitUntil(lambda: window.critical.model.row_at(0).escalated)
        assert window.critical_action.text() == f"Critical results ({open_results})"
        save(qtbot, window.critical_window, "radiologist-critical-results")
        window.critical.acknowledge_selected()
        assert window.critical.dialog is not None
        told_at = window.critical.dialog.when.dateTime().toPython()
        assert told_at.date() == DEMO_TODAY  # "now" by the session's clock, in the clinic
        save(qtbot, window.critical.dialog, "radiologist-acknowledge-dialog")
        window.critical.dialog.reject()

        attached_report_screens(qtbot, window, session, items[1:])

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
