"""The radiologist's workstation driven like a user: worklist, claim, report editor, PDFs."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from mic_desktop.db import Database
from mic_desktop.models import ReportStatus
from mic_desktop.services.reporting.worklist import WorklistScope, WorklistService
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.radiologist import context
from mic_desktop.ui.radiologist.critical_results import CriticalResultsView
from tests.ui.helpers import wait_for_tasks_delivered
from tests.ui.radiologist_desk import (
    ADDENDUM,
    FINDINGS,
    IMPRESSION,
    PREVIEW_WAIT,
    Desk,
    claim_and_open,
    make_encrypted_pdf,
    make_pdf,
    open_sessions,
    open_window,
    pdf_text,
    select_row,
)


@pytest.fixture
def sessions(database: Database, staff) -> Iterator[dict[str, UserSession]]:  # type: ignore[no-untyped-def]
    yield from open_sessions(database, staff)


def test_claim_write_attach_finalise_and_add_an_addendum(
    qtbot: QtBot,
    database: Database,
    sessions: dict[str, UserSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desk = Desk(database)
    window = open_window(qtbot, sessions["radiologist"])
    home = window.home
    assert home.model.rowCount() == 1
    assert home.model.index(0, 0).data() == "Urgent"
    assert home.model.index(0, 9).data() == "Unassigned"
    assert home.scope.itemText(1) == "Unassigned (1)"

    editor = claim_and_open(qtbot, window, desk.appointment)
    detail = editor.detail
    assert detail is not None and detail.radiologist_name == "Test Radiologist"
    assert home.model.index(0, 9).data() == "Me"
    # The prior report is one click away, newest first, read only.
    assert editor.priors.count() == 1
    editor.priors.setCurrentRow(0)
    qtbot.waitUntil(lambda: editor.prior is not None)
    assert "Normal abdominal ultrasound." in editor.prior_view.toPlainText()

    qtbot.keyClicks(editor.findings, FINDINGS)
    qtbot.keyClicks(editor.impression, IMPRESSION)
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: editor.info.text() == "Draft saved.")
    assert editor.detail.status is ReportStatus.IN_PROGRESS
    assert editor.detail.findings == FINDINGS

    # A renamed text file and an encrypted PDF are refused beside the PDF line; nothing stored.
    fake = tmp_path / "report.pdf"
    fake.write_text("this is not a PDF")
    encrypted = make_encrypted_pdf(tmp_path / "locked.pdf")
    for bad, words in ((fake, "not a PDF"), (encrypted, "password")):
        monkeypatch.setattr(context, "choose_pdf_file", lambda _parent, _user, f=bad: f)
        qtbot.mouseClick(editor.attach_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(editor.pdf_error.isVisible)
        assert words in editor.pdf_error.text(), editor.pdf_error.text()
        assert editor.detail.documents == ()

    good = make_pdf(tmp_path / "dictated.pdf")
    monkeypatch.setattr(context, "choose_pdf_file", lambda _parent, _user: good)
    qtbot.mouseClick(editor.attach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.detail.current_document is not None)
    assert not editor.pdf_error.isVisible()
    assert editor.detail.current_document.sha256 == hashlib.sha256(good.read_bytes()).hexdigest()
    assert "dictated.pdf" in editor.pdf_label.text()
    # Take it off again: the PDF is then generated from the text.
    qtbot.mouseClick(editor.detach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.detail.current_document is None)

    # Finalise through the confirmation dialog, flagging a critical finding.
    qtbot.mouseClick(editor.finalise_button, Qt.MouseButton.LeftButton)
    dialog = editor.finalise_dialog
    assert dialog is not None and dialog.isVisible()
    # The sign button waits for the preview of the delivered pages.
    qtbot.waitUntil(dialog.sign_button.isEnabled, timeout=PREVIEW_WAIT)
    assert dialog.sign_button.text() == "Sign and deliver the typed report (1 page)"
    qtbot.mouseClick(dialog.critical, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert dialog.description_error.isVisible()  # flagged without a description
    qtbot.keyClicks(dialog.description, "Large right pleural effusion")
    # The preview is made again with the critical result in it.
    qtbot.waitUntil(dialog.sign_button.isEnabled, timeout=PREVIEW_WAIT)
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.detail.is_final, timeout=PREVIEW_WAIT)
    assert editor.findings.isReadOnly() and editor.impression.isReadOnly()
    assert "signed Test Radiologist" in editor.status_label.text()
    assert not editor.save_button.isEnabled() and not editor.attach_button.isEnabled()
    assert editor.critical_label.isVisible()
    assert editor.detail.critical_finding.description == "Large right pleural effusion"
    qtbot.waitUntil(lambda: home.model.rowCount() == 0)  # reported: off the worklist

    # An addendum, signed and dated; both the report and the addendum show.
    assert editor.addendum_button.isVisible()
    qtbot.mouseClick(editor.addendum_button, Qt.MouseButton.LeftButton)
    addendum = editor.addendum_dialog
    assert addendum is not None
    qtbot.mouseClick(addendum.save_button, Qt.MouseButton.LeftButton)
    assert addendum.text_error.isVisible()
    qtbot.keyClicks(addendum.text, ADDENDUM)
    qtbot.mouseClick(addendum.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(editor.detail.addenda) == 1)
    assert ADDENDUM in editor.addenda.toPlainText()
    assert editor.findings.toPlainText() == FINDINGS

    # Open the generated PDF: findings and addendum read back; the view is logged.
    opened: list[Path] = []
    monkeypatch.setattr(context, "open_in_system_viewer", lambda path: opened.append(path) or True)
    qtbot.mouseClick(editor.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(opened))
    text = " ".join(pdf_text(opened[0].read_bytes()).split())
    assert FINDINGS in text and ADDENDUM in text and "Right lower lobe pneumonia" in text

    saved = tmp_path / "copy.pdf"
    monkeypatch.setattr(context, "choose_save_path", lambda _parent, _name: saved)
    qtbot.mouseClick(editor.copy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(saved.exists)
    assert FINDINGS in " ".join(pdf_text(saved.read_bytes()).split())
    qtbot.mouseClick(editor.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(opened) == 2)

    editor.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: editor.history.rowCount() >= 3)
    wait_for_tasks_delivered(qtbot)
    whats = [editor.history.item(r, 2).text() for r in range(editor.history.rowCount())]
    assert any(w.startswith("Printed") for w in whats)
    assert any(w.startswith("Saved a copy — saved a copy as copy.pdf") for w in whats)
    assert any(w.startswith("Viewed — opened in the system PDF viewer") for w in whats)
    assert editor.history.item(0, 3).text() == "pc-1"


def test_a_dropped_pdf_is_attached_and_a_wrong_one_refused(
    qtbot: QtBot, database: Database, sessions: dict[str, UserSession], tmp_path: Path
) -> None:
    desk = Desk(database)
    window = open_window(qtbot, sessions["radiologist"])
    editor = claim_and_open(qtbot, window, desk.appointment)

    def drop(path: Path) -> None:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        event = QDropEvent(
            QPointF(50, 50),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        editor.dropEvent(event)

    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    drop(empty)
    qtbot.waitUntil(editor.pdf_error.isVisible)
    assert "empty" in editor.pdf_error.text()
    assert editor.detail.documents == ()

    drop(make_pdf(tmp_path / "dropped.pdf"))
    qtbot.waitUntil(lambda: editor.detail.current_document is not None)
    assert editor.detail.current_document.filename == "dropped.pdf"
    assert not editor.pdf_error.isVisible()


def test_a_claim_lost_to_a_colleague_says_who_has_it(
    qtbot: QtBot, database: Database, sessions: dict[str, UserSession]
) -> None:
    desk = Desk(database)
    window = open_window(qtbot, sessions["radiologist"])
    select_row(qtbot, window, desk.appointment)
    sessions["second"].worklist_service().claim(desk.appointment)  # the other PC was faster
    qtbot.mouseClick(window.home.claim_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.home.notice.isVisible)
    assert "already claimed by Dr Second Reader" in window.home.notice.text()
    assert window.editors == {}


def test_a_claim_on_another_desk_leaves_unassigned_within_two_seconds(
    qtbot: QtBot, database: Database, sessions: dict[str, UserSession]
) -> None:
    desk = Desk(database)
    session = sessions["radiologist"]
    window = open_window(qtbot, session)
    listener = session.live.listener
    assert listener is not None
    qtbot.waitUntil(listener.listening.is_set, timeout=10_000)
    window.home.scope.setCurrentIndex(window.home.scope.findData(WorklistScope.UNASSIGNED))
    qtbot.waitUntil(lambda: window.home.model.rowCount() == 1)
    wait_for_tasks_delivered(qtbot)

    other = WorklistService(
        database.session_factory, sessions["second"].account, "pc-2"
    )  # another desk, its own service
    other.claim(desk.appointment)
    qtbot.waitUntil(lambda: window.home.model.rowCount() == 0, timeout=2_000)
    assert window.home.message.headline.text() == "No studies are waiting for a report"


def test_release_gives_the_study_back(
    qtbot: QtBot, database: Database, sessions: dict[str, UserSession]
) -> None:
    desk = Desk(database)
    window = open_window(qtbot, sessions["radiologist"])
    editor = claim_and_open(qtbot, window, desk.appointment)
    editor.close()
    select_row(qtbot, window, desk.appointment)
    qtbot.waitUntil(window.home.release_button.isEnabled)
    qtbot.mouseClick(window.home.release_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.home.model.rowCount() == 1 and not window.home.model.row_at(0).is_claimed
    )


def test_a_second_radiologist_reviews_a_final_report(
    qtbot: QtBot, database: Database, sessions: dict[str, UserSession]
) -> None:
    desk = Desk(database)
    mine = sessions["radiologist"]
    claim = mine.worklist_service().claim(desk.appointment)
    reports = context.report_service(mine)
    detail = reports.save_draft(
        claim.report_id, findings=FINDINGS, impression=IMPRESSION, expected_version=claim.version
    )
    reports.finalise(
        claim.report_id, findings=FINDINGS, impression=IMPRESSION, expected_version=detail.version
    )

    window = open_window(qtbot, sessions["second"])
    editor = window.open_report(claim.report_id)
    qtbot.waitUntil(lambda: editor.detail is not None)
    assert editor.review_button.isVisible() and editor.findings.isReadOnly()
    qtbot.mouseClick(editor.review_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.detail.status is ReportStatus.REVIEWED)
    assert "reviewed by Dr Second Reader" in editor.status_label.text()
    assert not editor.review_button.isVisible()
    # The second reader is not the report's radiologist: the access history is not theirs.
    editor.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: "Only the report's radiologist" in editor.history_message.text())


def test_critical_results_are_listed_until_someone_records_who_was_told(
    qtbot: QtBot, database: Database, sessions: dict[str, UserSession]
) -> None:
    desk = Desk(database)
    mine = sessions["radiologist"]
    claim = mine.worklist_service().claim(desk.appointment)
    context.report_service(mine).finalise(
        claim.report_id,
        findings=FINDINGS,
        impression=IMPRESSION,
        expected_version=claim.version,
        critical_finding="Tension pneumothorax",
    )
    view = CriticalResultsView(sessions["manager"])  # the manager's window shows it too
    qtbot.addWidget(view)
    view.resize(1366, 600)
    view.show()
    view.refresh()
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    assert view.model.index(0, 6).data() == "Tension pneumothorax"
    assert view.model.index(0, 3).data() == "Chipo Ncube"
    wait_for_tasks_delivered(qtbot)

    qtbot.mouseClick(view.acknowledge_button, Qt.MouseButton.LeftButton)
    dialog = view.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.told.clear()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.told_error.isVisible()  # who was told is required
    qtbot.keyClicks(dialog.told, "Dr Referring, ward 4")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.model.rowCount() == 0)
    assert view.message.headline.text() == "No critical result is waiting"
    told = context.report_service(mine).open(claim.report_id).critical_finding
    assert told is not None and told.communicated_to == "Dr Referring, ward 4"
    assert told.communicated_at is not None
    # Entered in the clinic's time zone: "now" there, not hours off.
    assert abs(told.communicated_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=3)


def test_filters_and_search_narrow_the_worklist(
    qtbot: QtBot, database: Database, sessions: dict[str, UserSession]
) -> None:
    desk = Desk(database)
    other = desk.data.patient("Tendai", "Moyo")
    done = dt.datetime.now(dt.UTC) - dt.timedelta(hours=70)
    desk.data.appointment(other, done, status="completed", completed_at=done, scan=1)
    window = open_window(qtbot, sessions["radiologist"])
    home = window.home
    assert home.model.rowCount() == 2
    assert "1 urgent" in home.subtitle.text() and "1 over 48 h" in home.subtitle.text()
    overdue = next(r for r in range(2) if home.model.row_at(r).is_overdue)
    assert home.model.index(overdue, 0).data(Qt.ItemDataRole.DecorationRole) is not None

    home.urgency.setCurrentIndex(home.urgency.findText("Urgent"))
    qtbot.waitUntil(lambda: home.model.rowCount() == 1)
    assert home.model.row_at(0).patient_name == "Chipo Ncube"
    home.urgency.setCurrentIndex(0)
    qtbot.waitUntil(lambda: home.model.rowCount() == 2)

    home.modality.setCurrentIndex(home.modality.findText("Ultrasound"))
    qtbot.waitUntil(lambda: home.model.rowCount() == 1)
    assert home.model.row_at(0).patient_name == "Tendai Moyo"
    home.modality.setCurrentIndex(0)
    qtbot.waitUntil(lambda: home.model.rowCount() == 2)

    qtbot.keyClicks(home.search, "tendai")
    qtbot.waitUntil(lambda: home.model.rowCount() == 1)
    assert home.model.row_at(0).patient_name == "Tendai Moyo"
    home.search.clear()
    qtbot.waitUntil(lambda: home.model.rowCount() == 2)

    home.scope.setCurrentIndex(home.scope.findData(WorklistScope.MINE))
    qtbot.waitUntil(lambda: home.stack.currentWidget() is home.message)
    wait_for_tasks_delivered(qtbot)


def test_typed_findings_are_saved_when_the_window_closes_and_after_a_pause(
    qtbot: QtBot, database: Database, sessions: dict[str, UserSession]
) -> None:
    desk = Desk(database)
    window = open_window(qtbot, sessions["radiologist"])
    editor = claim_and_open(qtbot, window, desk.appointment)
    report_id = editor.detail.id
    reports = context.report_service(sessions["radiologist"])

    editor._autosave.setInterval(50)
    qtbot.keyClicks(editor.findings, "Typed, then a pause.")
    qtbot.waitUntil(lambda: reports.open(report_id).findings == "Typed, then a pause.")

    editor._autosave.setInterval(60_000)  # only the close can save this time
    qtbot.keyClicks(editor.findings, " Then logged out.")
    window.close()
    wait_for_tasks_delivered(qtbot)
    assert reports.open(report_id).findings == "Typed, then a pause. Then logged out."


def test_text_typed_while_a_save_is_on_its_way_is_saved_at_logout(
    qtbot: QtBot, database: Database, sessions: dict[str, UserSession]
) -> None:
    """Logging out while a draft save has not come back yet still keeps what came after."""
    desk = Desk(database)
    window = open_window(qtbot, sessions["radiologist"])
    editor = claim_and_open(qtbot, window, desk.appointment)
    report_id = editor.detail.id
    reports = context.report_service(sessions["radiologist"])
    editor.findings.insertPlainText("Saved by hand.")
    editor.save_draft()
    # No event is processed from here on, so that save's answer has not reached the window.
    editor.findings.insertPlainText(" Typed after it.")
    assert editor._busy and editor._dirty
    window.close()
    wait_for_tasks_delivered(qtbot)
    assert reports.open(report_id).findings == "Saved by hand. Typed after it."


def test_text_typed_while_a_draft_saves_is_kept(
    qtbot: QtBot, database: Database, sessions: dict[str, UserSession]
) -> None:
    desk = Desk(database)
    window = open_window(qtbot, sessions["radiologist"])
    editor = claim_and_open(qtbot, window, desk.appointment)
    qtbot.keyClicks(editor.findings, "First part.")
    editor.save_draft()
    qtbot.keyClicks(editor.findings, " Second part.")  # before the save has come back
    qtbot.waitUntil(lambda: editor.info.text() == "Draft saved.")
    assert editor.findings.toPlainText() == "First part. Second part."
    assert editor._dirty
