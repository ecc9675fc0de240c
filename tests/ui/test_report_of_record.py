"""The report that leaves is the report the radiologist saw: choice, preview, identity, keyboard."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QDialog, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from mic_desktop.config import Settings
from mic_desktop.db import Database
from mic_desktop.models import (
    AuditLog,
    Patient,
    ReportAccessAction,
    ReportDelivery,
    ReportStatus,
)
from mic_desktop.services.documents.page_images import render_pages
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.radiologist import context
from mic_desktop.ui.radiologist.editor import ReportEditor
from mic_desktop.ui.radiologist.finalise_dialog import FinaliseDialog
from mic_desktop.ui.radiologist.window import RadiologistWindow
from tests.ui.helpers import SCREENSHOTS, wait_for_tasks_delivered
from tests.ui.radiologist_desk import (
    FINDINGS,
    IMPRESSION,
    PREVIEW_WAIT,
    Desk,
    claim_and_open,
    make_pdf,
    open_sessions,
    open_window,
)

TYPED = "Fatty liver, gallstones."
# One "now" for the whole test, so the preview and the file handed out later are signed
# and printed at the same minute.
NOW = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)


@pytest.fixture
def sessions(database: Database, staff) -> Iterator[dict[str, UserSession]]:  # type: ignore[no-untyped-def]
    yield from open_sessions(database, staff, lambda: NOW)


def page_texts(data: bytes) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages]


def pixels(images) -> list[str]:  # type: ignore[no-untyped-def]
    return [hashlib.sha256(image.rgb).hexdigest() for image in images]


def typed_with_a_pdf(
    qtbot: QtBot,
    window: RadiologistWindow,
    desk: Desk,
    pdf: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> ReportEditor:
    editor = claim_and_open(qtbot, window, desk.appointment)
    qtbot.keyClicks(editor.findings, TYPED)
    monkeypatch.setattr(context, "choose_pdf_file", lambda _parent, _user: pdf)
    qtbot.mouseClick(editor.attach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.detail.current_document is not None)
    wait_for_tasks_delivered(qtbot)
    return editor


def tick(qtbot: QtBot, button: QAbstractButton) -> None:
    """Click a radio button or check box on its indicator, as a person does."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))


def open_finalise(qtbot: QtBot, editor: ReportEditor) -> FinaliseDialog:
    qtbot.mouseClick(editor.finalise_button, Qt.MouseButton.LeftButton)
    dialog = editor.finalise_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_typed_text_and_a_pdf_need_a_choice_and_the_preview_is_what_leaves(
    qtbot: QtBot,
    database: Database,
    sessions: dict[str, UserSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = Desk(database)
    session = sessions["radiologist"]
    window = open_window(qtbot, session)
    unnamed = make_pdf(tmp_path / "chest.pdf", "Normal chest radiograph")  # names nobody
    editor = typed_with_a_pdf(qtbot, window, desk, unnamed, monkeypatch)

    # The editor says there are two documents and that only one can be the report.
    assert editor.delivery_banner.isVisible()
    assert "only one can be the report" in editor.delivery_banner.text()
    assert "chest.pdf" in editor.delivery_banner.text()
    assert "does not name this patient" in editor.pdf_label.text()
    assert "SHA-256" not in editor.pdf_label.text()  # technical details: in the tooltip
    sha = editor.detail.current_document.sha256
    assert f"SHA-256: {sha}" in editor.pdf_label.toolTip()

    dialog = open_finalise(qtbot, editor)
    assert dialog.needs_choice and dialog.delivery() is None
    assert not dialog.sign_button.isEnabled()
    qtbot.waitUntil(lambda: "Choose on the left" in dialog.pages.message.text())

    tick(qtbot, dialog.deliver_pdf)
    qtbot.waitUntil(dialog.sign_button.isEnabled, timeout=PREVIEW_WAIT)
    assert dialog.sign_button.text() == "Sign and deliver the attached PDF (1 page)"
    assert len(dialog.pages.pages) == 1 and dialog.keep_note.isChecked()
    # The PDF names neither the MRN nor "Ncube": signing needs the confirmation.
    assert dialog.identity_box.isVisible()
    assert "does not name Chipo Ncube" in dialog.identity_message.text()
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert dialog.identity_error.isVisible() and dialog.isVisible()
    tick(qtbot, dialog.identity_confirm)
    qtbot.keyClicks(dialog.identity_reason, "My dictation, printed without the label")
    preview, shown = dialog.preview, list(dialog.page_images)
    assert preview is not None
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.detail.is_final, timeout=PREVIEW_WAIT)
    wait_for_tasks_delivered(qtbot)

    delivered = context.access_service(session).document_for(
        editor.detail.id, ReportAccessAction.PRINT, "test"
    )
    assert delivered.delivery is ReportDelivery.ATTACHED_PDF
    assert delivered.content == preview.pdf.content == unnamed.read_bytes()
    assert pixels(render_pages(delivered.content, shown[0].width)) == pixels(shown)
    # The typed text is no longer shown as the report: it is a labelled private note.
    assert not editor.findings.isVisible()
    assert editor.private_note.isVisible() and TYPED in editor.private_note.toPlainText()
    assert "not part of the delivered report" in editor.private_note_title.text()
    assert "Delivered report:</b> the attached PDF" in editor.delivery_banner.text()
    editor.resize(1366, 768)
    assert editor.grab().save(str(SCREENSHOTS / "radiologist-editor-private-note.png"))
    with database.session() as session_:
        reason = session_.scalar(
            select(AuditLog.details["reason"].astext).where(
                AuditLog.action == "report_pdf_identity_confirmed"
            )
        )
    assert reason == "My dictation, printed without the label"


def test_the_typed_report_with_the_pdf_as_appendix_is_numbered_as_one_document(
    qtbot: QtBot,
    database: Database,
    sessions: dict[str, UserSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = Desk(database)
    session = sessions["radiologist"]
    window = open_window(qtbot, session)
    named = make_pdf(tmp_path / "outside.pdf", "Outside CT report for Chipo Ncube")
    editor = typed_with_a_pdf(qtbot, window, desk, named, monkeypatch)
    assert "does not name" not in editor.pdf_label.text()

    dialog = open_finalise(qtbot, editor)
    tick(qtbot, dialog.deliver_appendix)
    qtbot.waitUntil(dialog.sign_button.isEnabled, timeout=PREVIEW_WAIT)
    assert not dialog.identity_box.isVisible()
    assert dialog.sign_button.text() == "Sign and deliver the report + PDF appendix (2 pages)"
    preview = dialog.preview
    assert preview is not None
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.detail.is_final, timeout=PREVIEW_WAIT)
    wait_for_tasks_delivered(qtbot)

    delivered = context.access_service(session).document_for(
        editor.detail.id, ReportAccessAction.VIEW, "test"
    )
    assert page_texts(delivered.content) == page_texts(preview.pdf.content)
    first, appendix = page_texts(delivered.content)
    assert TYPED in first and "Page 1 of 2" in first
    assert "Outside CT report for Chipo Ncube" in appendix and "Page 2 of 2" in appendix
    assert editor.findings.isVisible() and editor.findings.toPlainText() == TYPED
    assert "as its appendix" in editor.delivery_banner.text()


def test_a_pdf_naming_another_patients_mrn_is_refused_beside_the_pdf_line(
    qtbot: QtBot,
    database: Database,
    sessions: dict[str, UserSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = Desk(database)
    other = desk.data.patient("Farai", "Banda")
    with database.session() as session_:
        other_mrn = session_.get(Patient, other).mrn  # type: ignore[union-attr]
    window = open_window(qtbot, sessions["radiologist"])
    editor = claim_and_open(qtbot, window, desk.appointment)
    wrong = make_pdf(tmp_path / "wrong.pdf", f"Chest X-ray. MRN {other_mrn}")
    monkeypatch.setattr(context, "choose_pdf_file", lambda _parent, _user: wrong)
    qtbot.mouseClick(editor.attach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(editor.pdf_error.isVisible)
    assert f"names MRN {other_mrn}, another patient's record" in editor.pdf_error.text()
    assert editor.detail.documents == ()


def test_ctrl_enter_signs_and_adds_the_addendum(
    qtbot: QtBot, database: Database, sessions: dict[str, UserSession], tmp_path: Path
) -> None:
    desk = Desk(database)
    mine = sessions["radiologist"]
    claim = mine.worklist_service().claim(desk.appointment)
    context.report_service(mine).finalise(
        claim.report_id, findings=FINDINGS, impression=IMPRESSION, expected_version=claim.version
    )
    window = open_window(qtbot, mine)
    editor = window.open_report(claim.report_id)
    qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: editor.detail is not None)
    qtbot.mouseClick(editor.addendum_button, Qt.MouseButton.LeftButton)
    dialog = editor.addendum_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.text, "Correction: left, not right.")
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(editor.detail.addenda) == 1)
    assert editor.detail.addenda[0].text == "Correction: left, not right."
    assert editor.addendum_dialog is None

    # A replacement PDF that names nobody: the addendum waits for the confirmation.
    editor.add_addendum(make_pdf(tmp_path / "outside.pdf", "Outside CT: no change"))
    dialog = editor.addendum_dialog
    assert dialog is not None
    assert "appendix of the typed report" in dialog.pdf_label.text()
    qtbot.keyClicks(dialog.text, "Outside CT report attached.")
    qtbot.keyClick(dialog.text, Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(dialog.identity_box.isVisible)
    assert "does not name Chipo Ncube" in dialog.identity_message.text()
    assert len(editor.detail.addenda) == 1
    tick(qtbot, dialog.identity_confirm)
    qtbot.keyClicks(dialog.identity_reason, "Faxed by the hospital for this exam")
    qtbot.wait(50)  # the dialog grows to its new lines
    assert dialog.grab().save(str(SCREENSHOTS / "radiologist-addendum-identity.png"))
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(editor.detail.addenda) == 2)
    document = editor.detail.current_document
    assert document is not None
    assert document.identity_confirmation_reason == "Faxed by the hospital for this exam"
    assert editor.detail.delivery is ReportDelivery.REPORT_WITH_APPENDIX


def test_closing_with_unsaved_text_asks_save_discard_or_cancel(
    qtbot: QtBot,
    database: Database,
    sessions: dict[str, UserSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(QMessageBox, "open", QDialog.open)  # this test answers the question
    desk = Desk(database)
    window = open_window(qtbot, sessions["radiologist"])
    editor = claim_and_open(qtbot, window, desk.appointment)
    report_id = editor.detail.id
    reports = context.report_service(sessions["radiologist"])

    def ask(editor: ReportEditor, answer: QMessageBox.StandardButton) -> None:
        editor._autosave.setInterval(600_000)  # only the answer may save
        qtbot.keyClick(editor, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: editor.close_question is not None)
        box = editor.close_question
        assert box is not None and box.isVisible()
        assert "not saved" in box.text()
        assert box.grab().save(str(SCREENSHOTS / "radiologist-unsaved-question.png"))
        qtbot.keyClick(editor, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
        assert editor.close_question is box  # a second Ctrl+W does not discard anything
        box.button(answer).click()

    qtbot.keyClicks(editor.findings, "Typed, never saved.")
    ask(editor, QMessageBox.StandardButton.Cancel)
    assert editor.isVisible() and editor._dirty
    ask(editor, QMessageBox.StandardButton.Discard)
    qtbot.waitUntil(lambda: report_id not in window.editors)
    assert reports.open(report_id).findings == ""

    editor = window.open_report(report_id)
    qtbot.waitUntil(lambda: editor.detail is not None)
    wait_for_tasks_delivered(qtbot)
    qtbot.keyClicks(editor.findings, "Typed, then saved on close.")
    ask(editor, QMessageBox.StandardButton.Save)
    qtbot.waitUntil(lambda: report_id not in window.editors)
    detail = reports.open(report_id)
    assert detail.findings == "Typed, then saved on close."
    assert detail.status is ReportStatus.IN_PROGRESS


def test_esc_closes_the_critical_results_window(
    qtbot: QtBot, database: Database, sessions: dict[str, UserSession]
) -> None:
    Desk(database)
    window = open_window(qtbot, sessions["radiologist"])
    window.show_critical_results()
    qtbot.waitExposed(window.critical_window)
    wait_for_tasks_delivered(qtbot)
    qtbot.keyClick(window.critical.view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.critical_window.isVisible())


def test_the_pdf_chooser_opens_in_the_folder_last_used_by_that_person(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "Reports" / "Today"
    folder.mkdir(parents=True)
    chosen = folder / "report.pdf"
    asked: list[str] = []

    def answer(_parent, _title, start, _filter):  # type: ignore[no-untyped-def]
        asked.append(start)
        return str(chosen), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(answer))
    assert context.choose_pdf_file(None, "rmutasa") == chosen
    assert context.choose_pdf_file(None, "rmutasa") == chosen
    assert context.choose_pdf_file(None, "pncube") == chosen
    assert asked == [str(Path.home()), str(folder), str(Path.home())]
    settings = Settings.load()
    assert settings.last_pdf_folder("rmutasa") == folder
    assert settings.last_pdf_folder("pncube") == folder
    # A remembered folder that is gone (a USB stick taken out) falls back to home.
    settings.remember_pdf_folder("rmutasa", tmp_path / "unplugged")
    settings.save()
    context.choose_pdf_file(None, "rmutasa")
    assert asked[-1] == str(Path.home())


def test_pdfium_loads_only_when_a_preview_is_made() -> None:
    code = (
        "import sys; import mic_desktop.ui.radiologist.window; "
        "assert 'pypdfium2' not in sys.modules, 'pdfium loaded with the window'; "
        "from mic_desktop.services.documents.page_images import render_pages; "
        "from tests.reporting_helpers import valid_pdf; "
        "assert len(render_pages(valid_pdf(pages=2), 100)) == 2; "
        "assert 'pypdfium2' in sys.modules"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
