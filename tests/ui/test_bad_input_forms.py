"""Bad input at the front desk: unstorable text and over-long text get a message next to the
field, a pasted page in the search box says "search text too long", a bad referral letter
is refused next to its field, and the system viewer only gets names the product chose."""

from __future__ import annotations

from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPlainTextEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from mic_desktop.db import Database
from mic_desktop.models import Appointment, Patient
from mic_desktop.services.attachments import UnknownFileTypeError
from mic_desktop.services.text_checks import ADDRESS_MAX, NOTES_MAX, SEARCH_MAX
from mic_desktop.ui.common.table import ROW_ROLE
from mic_desktop.ui.common.text_limits import LengthCounter
from mic_desktop.ui.manager.window import ManagerWindow
from mic_desktop.ui.radiologist import context as radiologist_context
from mic_desktop.ui.reception.booking_dialog import BookingDialog
from mic_desktop.ui.reception.patient_dialog import PatientDialog
from mic_desktop.ui.reception.window import ReceptionWindow
from tests import bad_input_files as files
from tests.reporting_helpers import valid_pdf
from tests.ui.helpers import SCREENSHOTS, wait_for_tasks_delivered
from tests.ui.test_manager_admin import open_page, window  # noqa: F401 (a fixture)
from tests.ui.test_reception_workplace import clock, demo, reception  # noqa: F401 (fixtures)


def _settle(qtbot: QtBot) -> None:
    wait_for_tasks_delivered(qtbot)
    QApplication.processEvents()
    wait_for_tasks_delivered(qtbot)


def _patients(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Patient)) or 0


def test_new_patient_form_shows_a_nul_next_to_its_field(
    qtbot: QtBot,
    reception: ReceptionWindow,  # noqa: F811
    demo: Database,  # noqa: F811
) -> None:
    reception.resize(1366, 768)
    before = _patients(demo)
    reception.new_patient_action.trigger()
    dialog = reception.home.dialog
    assert isinstance(dialog, PatientDialog)
    dialog.first_name.setText("Ta\x00riro")  # as pasted from a broken export
    qtbot.keyClicks(dialog.last_name, "Zvobgo")
    qtbot.keyClicks(dialog.date_of_birth.edit, "15061985")
    dialog.address.insert("12 Samora Machel Avenue, Harare " * 30)  # a pasted page
    assert len(dialog.address.text()) == ADDRESS_MAX == dialog.address.maxLength()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    _settle(qtbot)
    error = dialog.errors["first_name"]
    assert error.isVisible()
    assert error.text().startswith("The first name contains a NUL character")
    assert not dialog.general_error.isVisible()
    assert _patients(demo) == before
    dialog.grab().save(str(SCREENSHOTS / "new_patient_nul_field_message.png"))
    reception.grab().save(str(SCREENSHOTS / "new_patient_nul_window_1366x768.png"))

    dialog.first_name.setText("Tariro")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    _settle(qtbot)
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
    assert _patients(demo) == before + 1


def test_a_pasted_page_in_the_search_box_says_search_text_too_long(
    qtbot: QtBot,
    reception: ReceptionWindow,  # noqa: F811
) -> None:
    search = reception.home.search
    search.edit.setText("Moyo Tendai, seen on Monday for a chest X-ray. " * 30)
    search.search_now()
    _settle(qtbot)
    assert search.hint.text().startswith("Search text too long")
    assert f"at most {SEARCH_MAX}" in search.hint.text()
    assert "database" not in search.hint.text()
    assert search.model.rowCount() == 0
    reception.grab().save(str(SCREENSHOTS / "search_text_too_long.png"))
    search.edit.setText("Mo\x00yo")  # reaches the service, which names it
    search.search_now()
    qtbot.waitUntil(lambda: not search.busy)
    _settle(qtbot)
    assert search.hint.text().startswith("The search text contains a NUL character")
    reception.grab().save(str(SCREENSHOTS / "search_nul.png"))


def _open_booking(qtbot: QtBot, reception: ReceptionWindow) -> BookingDialog:  # noqa: F811
    home = reception.home
    search = home.search
    search.edit.setText("mo")
    search.search_now()
    qtbot.waitUntil(lambda: search.model.rowCount() > 0)
    home.show_patient(search.model.data(search.model.index(0, 0), ROW_ROLE))
    qtbot.waitUntil(lambda: home.patient_panel.panel is not None)
    reception.new_booking_action.trigger()
    dialog = home.dialog
    assert isinstance(dialog, BookingDialog)
    qtbot.waitUntil(lambda: dialog.scan.count() > 1)
    dialog.scan.setCurrentIndex(1)
    qtbot.waitUntil(lambda: dialog.slots.count() > 0 and dialog.quote is not None)
    dialog.slots.setCurrentRow(0)
    return dialog


def test_booking_notes_count_and_a_bad_letter_is_refused_next_to_its_field(
    qtbot: QtBot,
    reception: ReceptionWindow,  # noqa: F811
    demo: Database,  # noqa: F811
    tmp_path: Path,
) -> None:
    reception.resize(1366, 768)
    dialog = _open_booking(qtbot, reception)
    with demo.session() as session:
        booked_before = session.scalar(select(func.count()).select_from(Appointment))

    letter = tmp_path / "referral.pdf"
    letter.write_bytes(files.pdf_with_html_and_eof())
    dialog.attach_letter_file(letter)
    qtbot.waitUntil(lambda: dialog.errors["referral_letter"].isVisible())
    assert "starts like a PDF but cannot be read" in dialog.errors["referral_letter"].text()
    assert dialog.letter_label.text() == "No letter attached"

    dialog.notes.setPlainText("n" * (NOTES_MAX + 5))
    assert dialog.notes_counter.text() == f"{NOTES_MAX + 5} / {NOTES_MAX} characters: " + (
        "shorten it by 5."
    )
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.errors["clinical_notes"].isVisible())
    assert "at most 2000 are allowed" in dialog.errors["clinical_notes"].text()
    dialog.grab().save(str(SCREENSHOTS / "booking_notes_too_long.png"))
    with demo.session() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == booked_before

    good = tmp_path / "scan.jpeg"
    good.write_bytes(files.jpeg_bytes())
    dialog.attach_letter_file(good)
    qtbot.waitUntil(lambda: "scan.jpeg" in dialog.letter_label.text())
    dialog.notes.setPlainText("Flank pain, query stone")
    assert dialog.notes_counter.text() == f"23 / {NOTES_MAX} characters"
    dialog.use_aid.setChecked(False)  # the demo patient's plan wants a pre-authorisation
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    panel = reception.home.appointment_panel
    qtbot.waitUntil(lambda: panel.appointment is not None)
    assert [a.filename for a in panel.appointment.attachments] == ["scan.jpg"]


def test_length_counter_turns_red_past_the_limit(qtbot: QtBot) -> None:
    edit = QPlainTextEdit()
    qtbot.addWidget(edit)
    counter = LengthCounter(edit, 10)
    assert counter.text() == "0 / 10 characters" and not counter.over
    edit.setPlainText("x" * 12)
    assert counter.over and counter.text() == "12 / 10 characters: shorten it by 2."
    assert "b42318" in counter.styleSheet()


def test_the_viewer_file_is_named_by_its_content(tmp_path: Path) -> None:
    path = radiologist_context.write_temp_file(valid_pdf("Letter"), "letter.html")
    assert path.name == "letter.pdf" and path.read_bytes().startswith(b"%PDF-")
    other = radiologist_context.write_temp_file(files.tiff_bytes(), "..\\..\\run.bat")
    assert other.name == "run.tif" and other.parent != path.parent  # a folder of its own
    with pytest.raises(UnknownFileTypeError):
        radiologist_context.write_temp_file(b"MZ\x90\x00", "report.pdf")


def test_the_clinic_address_states_its_limit_and_refuses_more(
    qtbot: QtBot,
    window: ManagerWindow,  # noqa: F811
) -> None:
    page = open_page(qtbot, window, "settings")
    qtbot.waitUntil(lambda: page.info is not None)
    page.address.setPlainText("Unit 4, Medical Centre\x00 Harare")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(page.form.error_text("address")))
    assert page.form.error_text("address") == "The address contains a NUL character; type it again."
    window.grab().save(str(SCREENSHOTS / "manager_settings_address.png"))
    page.address.setPlainText("a" * (ADDRESS_MAX + 1))
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "500 characters at most" in page.form.error_text("address"))
