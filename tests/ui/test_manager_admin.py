"""The manager's administration pages: staff, clinic settings, audit log, backup."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt, QTime
from pytestqt.qtbot import QtBot

from mic_desktop.db import Database
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.admin.clinic_settings import ClinicSettingsService
from mic_desktop.services.admin.staff import StaffService
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.manager import files
from mic_desktop.ui.manager.window import ManagerWindow
from tests.conftest import TEST_PASSWORD
from tests.fixed_time import CLINIC_NOW, clinic_clock
from tests.ui.helpers import ClinicData, clinic_time, wait_for_tasks_delivered

LIVE_MS = 2_000


@pytest.fixture
def window(qtbot: QtBot, database: Database, staff) -> Iterator[ManagerWindow]:  # type: ignore[no-untyped-def]
    manager: StaffAccount = staff["manager"]
    session = UserSession.open(manager, database.connection, "test-pc", clinic_clock())
    window = ManagerWindow(session)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    wait_for_tasks_delivered(qtbot)
    yield window
    session.close()


def open_page(qtbot: QtBot, window: ManagerWindow, key: str):  # type: ignore[no-untyped-def]
    page = window.home.show_page(key)
    wait_for_tasks_delivered(qtbot)
    return page


def staff_names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.full_name for row in page.model.rows()]


# -- staff ---------------------------------------------------------------------------------


def test_add_a_staff_member_with_errors_beside_the_fields(
    qtbot: QtBot, window: ManagerWindow, database: Database
) -> None:
    page = open_page(qtbot, window, "staff")
    assert staff_names(page) == ["Test Manager", "Test Radiologist", "Test Reception"]
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.username, "9bad")
    qtbot.keyClicks(dialog.full_name, "Tariro Moyo")
    qtbot.keyClicks(dialog.password, "temporary-pass-1")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.form.error_text("username")))
    assert "starts with a letter" in dialog.form.error_text("username")
    assert dialog.isVisible()

    dialog.username.clear()
    qtbot.keyClicks(dialog.username, "tmoyo")
    dialog.role.setCurrentIndex(dialog.role.findText("Radiologist"))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is None)
    qtbot.waitUntil(lambda: "Tariro Moyo" in staff_names(page))
    assert page.notice.text().startswith("Tariro Moyo was added")
    added = next(r for r in page.model.rows() if r.username == "tmoyo")
    assert added.role.value == "radiologist" and added.must_change_password


def test_the_last_manager_cannot_be_disabled_others_can(
    qtbot: QtBot, window: ManagerWindow
) -> None:
    page = open_page(qtbot, window, "staff")
    page.select_username("manager1")
    assert page.disable_button.text() == "Disable"
    qtbot.mouseClick(page.disable_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.notice.is_error)
    assert "last active manager" in page.notice.text()

    page.select_username("reception1")
    qtbot.mouseClick(page.disable_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.notice.is_error and "disabled" in page.notice.text())
    qtbot.waitUntil(
        lambda: not next(r for r in page.model.rows() if r.username == "reception1").is_active
    )
    assert page.selected().username == "reception1"
    assert page.disable_button.text() == "Enable"
    qtbot.mouseClick(page.disable_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: next(r for r in page.model.rows() if r.username == "reception1").is_active
    )


def test_change_role_and_reset_password(qtbot: QtBot, window: ManagerWindow, auth) -> None:  # type: ignore[no-untyped-def]
    page = open_page(qtbot, window, "staff")
    page.select_username("reception1")
    qtbot.mouseClick(page.role_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.role.setCurrentIndex(dialog.role.findText("Manager"))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "is now manager" in page.notice.text())
    qtbot.waitUntil(
        lambda: (
            next(r for r in page.model.rows() if r.username == "reception1").role.value == "manager"
        )
    )
    page.select_username("reception1")
    qtbot.mouseClick(page.reset_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    qtbot.keyClicks(dialog.password, "short")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.form.error_text("password")))
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, "given-by-manager")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "password was reset" in page.notice.text())
    assert auth.login("reception1", "given-by-manager").must_change_password


def test_a_staff_change_on_another_desk_shows_live(
    qtbot: QtBot, window: ManagerWindow, database: Database
) -> None:
    page = open_page(qtbot, window, "staff")
    window.session.live  # noqa: B018  (started with the window; listening before the change)
    qtbot.waitUntil(lambda: window.session.live.listener is not None)
    other = StaffService(database.session_factory, actor=None, workstation="desk-2")
    other.disable("radiologist1")
    qtbot.waitUntil(
        lambda: not next(r for r in page.model.rows() if r.username == "radiologist1").is_active,
        timeout=LIVE_MS,
    )


# -- clinic settings -------------------------------------------------------------------------


def test_clinic_settings_save_validation_and_stale_save(
    qtbot: QtBot, window: ManagerWindow, database: Database, staff
) -> None:  # type: ignore[no-untyped-def]
    page = open_page(qtbot, window, "settings")
    qtbot.waitUntil(lambda: page.info is not None)
    page.name.selectAll()
    qtbot.keyClicks(page.name, "Harare Imaging")
    page.currency.selectAll()
    qtbot.keyClicks(page.currency, "US")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(page.form.error_text("currency")))
    assert "three-letter code" in page.form.error_text("currency")
    page.currency.selectAll()
    qtbot.keyClicks(page.currency, "ZAR")
    page.reminders.selectAll()
    qtbot.keyClicks(page.reminders, "24, 2")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.notice.text() == "The settings were saved.")
    service = ClinicSettingsService(
        database.session_factory, actor=staff["manager"], workstation="desk-2"
    )
    saved = service.load()
    assert saved.form.name == "Harare Imaging" and saved.form.currency == "ZAR"
    assert saved.form.reminder_offsets_hours == (24, 2)
    assert page.form.error_text("currency") == ""

    # Someone else saves while this form has edits: the save is refused, naming them.
    qtbot.keyClicks(page.name, " Centre")
    service.update(
        dataclasses.replace(saved.form, phone_region="ZA"), expected_version=saved.version
    )
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.notice.is_error)
    assert "changed by manager1" in page.notice.text()
    assert page.reload_button.isVisible()
    qtbot.mouseClick(page.reload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.phone_region.text() == "ZA")
    assert page.name.text() == "Harare Imaging" and not page.reload_button.isVisible()


def test_settings_changed_elsewhere_reload_the_form_live(
    qtbot: QtBot, window: ManagerWindow, database: Database, staff
) -> None:  # type: ignore[no-untyped-def]
    page = open_page(qtbot, window, "settings")
    qtbot.waitUntil(lambda: page.info is not None and window.session.live.listener is not None)
    service = ClinicSettingsService(
        database.session_factory, actor=staff["manager"], workstation="desk-2"
    )
    info = service.load()
    service.update(
        dataclasses.replace(info.form, name="Renamed Clinic"), expected_version=info.version
    )
    qtbot.waitUntil(lambda: page.name.text() == "Renamed Clinic", timeout=LIVE_MS)


# -- message templates ----------------------------------------------------------------------


def test_template_preview_follows_the_typing_on_a_real_appointment(
    qtbot: QtBot, window: ManagerWindow, database: Database
) -> None:
    clinic = ClinicData(database)
    today = CLINIC_NOW.date()  # the window's clock
    clinic.appointment(clinic.patient("Ann", "Moyo"), clinic_time(today, 9, 30))
    page = open_page(qtbot, window, "templates")
    assert page.day.date() == QDate(today)  # the clinic's today by the window's clock
    qtbot.waitUntil(lambda: page.list.count() > 0 and page.appointment.currentData() is not None)
    assert "Ann Moyo" in page.appointment.currentText()
    sms_row = next(
        row
        for row in range(page.list.count())
        if page.list.item(row).data(Qt.ItemDataRole.UserRole).channel.value == "sms"
    )
    page.list.setCurrentRow(sms_row)
    assert not page.subject.isEnabled()
    page.body.selectAll()
    qtbot.keyClicks(page.body, "Hello {first_name}, see you at {time}.")
    qtbot.waitUntil(lambda: page.preview_text.text() == "Hello Ann, see you at 09:30.")
    assert page.preview_count.text() == "28 characters · sent as 1 SMS part"
    assert page.dirty

    qtbot.keyClicks(page.body, " {nickname}")
    qtbot.waitUntil(lambda: bool(page.form.error_text("body")))
    assert "{nickname}" in page.form.error_text("body")
    assert page.preview_text.text() == "Correct the text to see the preview."
    for _ in " {nickname}":
        qtbot.keyClick(page.body, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: page.form.error_text("body") == "")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.notice.text().endswith("was saved."))
    assert not page.dirty and page.template.body == "Hello {first_name}, see you at {time}."


# -- audit log ----------------------------------------------------------------------------


def test_audit_log_filters_pages_and_exports(
    qtbot: QtBot,
    window: ManagerWindow,
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = StaffService(database.session_factory, actor=None, workstation="desk-2")
    other.disable("radiologist1")
    page = open_page(qtbot, window, "audit")
    qtbot.waitUntil(lambda: page.result is not None and page.action.count() > 1)
    assert page.result.total >= 4  # three accounts added and one disabled
    page.action.setCurrentIndex(page.action.findData("staff_disabled"))
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.result is not None and page.result.total == 1)
    entry = page.model.rows()[0]
    assert entry.action == "staff_disabled" and entry.workstation == "desk-2"
    assert page.page_label.text().startswith("Entries 1–1 of 1")
    assert not page.next_button.isEnabled()

    page.use_dates.setChecked(True)
    assert page.last_day.date() == QDate(CLINIC_NOW.date())  # the clinic's today by the clock
    page.first_day.setDate(page.last_day.date().addDays(1))
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    assert page.date_error.isVisible() and "before the first" in page.date_error.text()
    page.use_dates.setChecked(False)

    monkeypatch.setattr(files, "choose_save_path", lambda *a: tmp_path / "audit.csv")
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.notice.text().startswith("Saved"))
    lines = (tmp_path / "audit.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("When,Person,Username,Action")
    assert len(lines) == 2 and "staff_disabled" in lines[1]


def test_audit_log_reads_as_sentences_with_details_and_exports_pdf(
    qtbot: QtBot,
    window: ManagerWindow,
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = StaffService(database.session_factory, actor=None, workstation="desk-2")
    other.change_role("radiologist1", "reception")
    page = open_page(qtbot, window, "audit")
    qtbot.waitUntil(lambda: page.result is not None and page.action.count() > 1)
    page.action.setCurrentIndex(page.action.findData("staff_role_changed"))
    qtbot.mouseClick(page.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.result is not None and page.result.total == 1)
    entry = page.model.rows()[0]
    assert entry.sentence.startswith("Changed the role of Test Radiologist from radiologist")
    what = page.model.index(0, 2)
    assert page.model.data(what) == entry.sentence  # the sentence, not the JSON
    assert page.selected_entry() == entry  # the first row is selected: its details show
    assert page.details.heading.text() == entry.sentence
    assert page.details.changes.rowCount() == len(entry.changes) >= 1
    assert '"username": "radiologist1"' in page.details.raw.toPlainText()

    monkeypatch.setattr(files, "choose_save_path", lambda *a: tmp_path / "audit.pdf")
    qtbot.mouseClick(page.pdf_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.notice.text().startswith("Saved"))
    text = " ".join((p.extract_text() or "") for p in PdfReader(str(tmp_path / "audit.pdf")).pages)
    assert "Changed the role of Test Radiologist" in " ".join(text.split())


# -- backup --------------------------------------------------------------------------------


def test_backup_writes_the_file_and_says_so_in_the_page(
    qtbot: QtBot, window: ManagerWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = open_page(qtbot, window, "backup")
    assert "mic-desktop restore FILE" in " ".join(
        label.text() for label in page.findChildren(type(page.step))
    )
    target = tmp_path / "clinic.dump"
    monkeypatch.setattr(files, "choose_save_path", lambda *a: target)
    qtbot.mouseClick(page.choose_button, Qt.MouseButton.LeftButton)
    assert page.path.text() == str(target) and page.start_button.isEnabled()
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert page.progress.isVisible() and not page.start_button.isEnabled()
    qtbot.waitUntil(lambda: page.result is not None or page.notice.is_error, timeout=60_000)
    assert page.notice.text().startswith("Backup verified"), page.notice.text()
    assert target.stat().st_size > 1000
    assert TEST_PASSWORD not in page.notice.text()


# -- scan types, prices, rooms ------------------------------------------------------------


def test_price_change_shows_in_the_history_and_bad_input_beside_the_field(
    qtbot: QtBot, window: ManagerWindow, database: Database
) -> None:
    ClinicData(database)
    page = open_page(qtbot, window, "scan_types")
    qtbot.waitUntil(lambda: len(page.model.rows()) == 2 and bool(page.modalities))
    assert page.selected() is not None and page.price_button.isEnabled()  # first row chosen
    page.select_where(lambda s: s.code == "CT-HEAD")
    qtbot.waitUntil(lambda: "kept the price" in page.history_hint.text())
    qtbot.mouseClick(page.price_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    qtbot.keyClicks(dialog.price, "12.345")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.form.error_text("price")))
    assert dialog.form.error_text("price") == "A price has at most two decimals."
    dialog.price.clear()
    qtbot.keyClicks(dialog.price, "275.50")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "USD 275.50 for new bookings" in page.notice.text())
    qtbot.waitUntil(lambda: len(page.history) == 1)
    assert page.history_model.index(0, 0).data() == "USD 275.50"
    assert page.history_model.index(0, 2).data() == "Test Manager"
    assert page.selected().price == Decimal("275.50")


def test_add_scan_type_refuses_a_taken_code_beside_the_field(
    qtbot: QtBot, window: ManagerWindow, database: Database
) -> None:
    ClinicData(database)
    page = open_page(qtbot, window, "scan_types")
    qtbot.waitUntil(lambda: len(page.model.rows()) == 2 and bool(page.modalities))
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    qtbot.keyClicks(dialog.code, "ct-head")
    qtbot.keyClicks(dialog.name, "CT head plain")
    qtbot.keyClicks(dialog.price, "180")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.form.error_text("code")))
    assert "taken" in dialog.form.error_text("code")
    dialog.code.clear()
    qtbot.keyClicks(dialog.code, "CT-HEAD-P")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.model.rows()) == 3)
    assert page.selected().code == "CT-HEAD-P"


def test_room_opening_hours(qtbot: QtBot, window: ManagerWindow, database: Database) -> None:
    ClinicData(database)
    page = open_page(qtbot, window, "rooms")
    qtbot.waitUntil(lambda: len(page.model.rows()) == 2)
    page.select_where(lambda r: r.name == "CT 1")
    qtbot.mouseClick(page.hours_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    monday, opens, closes = dialog.days[0]
    monday.setChecked(True)
    opens.setTime(QTime(9, 0))
    closes.setTime(QTime(8, 0))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.form.error_text("week")))
    assert dialog.form.error_text("week") == "On Monday the room closes before it opens."
    closes.setTime(QTime(17, 0))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "opening hours of CT 1 were saved" in page.notice.text())
    qtbot.waitUntil(lambda: page.selected() is not None and page.selected().opening_hours != ())
    room = page.selected()
    assert room.open_minutes_per_week == 8 * 60
    assert page.model.index(0, 4).data() == "Mon 09:00–17:00"


# -- medical aids ----------------------------------------------------------------------------


def test_medical_aid_scheme_plan_and_coverage_rule_with_validation(
    qtbot: QtBot, window: ManagerWindow, database: Database
) -> None:
    ClinicData(database)
    page = open_page(qtbot, window, "medical_aid")
    qtbot.waitUntil(lambda: len(page.scan_types) == 2)
    assert page.rules_hint.text().startswith("No medical aids yet")  # says what to do
    qtbot.mouseClick(page.add_scheme_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    qtbot.keyClicks(dialog.name, "CIMAS")
    qtbot.keyClicks(dialog.code, "cimas")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.schemes) == 1)
    page.select("scheme", page.schemes[0].id)
    qtbot.mouseClick(page.add_plan_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    qtbot.keyClicks(dialog.name, "Gold")
    dialog.default.clear()
    qtbot.keyClicks(dialog.default, "80")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(page.schemes and page.schemes[0].plans))
    page.select("plan", page.schemes[0].plans[0].id)
    assert "covered at 80 %" in page.rules_hint.text()

    qtbot.mouseClick(page.add_rule_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert dialog.scan_type.count() == 2
    qtbot.keyClicks(dialog.percent, "150")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.form.error_text("coverage_percent")))
    assert dialog.form.error_text("coverage_percent") == "A percentage is between 0 and 100."
    dialog.percent.clear()
    qtbot.keyClicks(dialog.percent, "90")
    qtbot.keyClicks(dialog.cap, "-5")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.form.error_text("cap_amount")))
    assert dialog.form.error_text("coverage_percent") == ""
    dialog.cap.clear()
    qtbot.keyClicks(dialog.cap, "200")
    dialog.preauth.setChecked(True)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.rules_model.rowCount() == 1)
    cells = [page.rules_model.index(0, c).data() for c in range(4)]
    assert cells[1:] == ["90 %", "USD 200.00", "needed"]
    assert "now has a rule for" in page.notice.text()


# -- radiologists' schedule -----------------------------------------------------------------


def test_radiologist_working_week_and_leave(qtbot: QtBot, window: ManagerWindow) -> None:
    page = open_page(qtbot, window, "radiologists")
    qtbot.waitUntil(lambda: len(page.model.rows()) == 1)
    page.select_where(lambda r: r.full_name == "Test Radiologist")
    qtbot.mouseClick(page.week_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    for weekday in range(5):
        dialog.days[weekday][0].setChecked(True)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "working week was saved" in page.notice.text())
    qtbot.waitUntil(lambda: page.selected() is not None and page.selected().availability != ())
    assert page.model.index(0, 2).data() == "Mon, Tue, Wed, Thu, Fri 08:00–17:00"

    qtbot.mouseClick(page.leave_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    today = dialog.first_day.date()
    assert today == QDate(CLINIC_NOW.date())  # the clinic's today by the window's clock
    dialog.first_day.setDate(today.addDays(10))
    dialog.last_day.setDate(today.addDays(8))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.form.error_text("ends_at")))
    dialog.last_day.setDate(today.addDays(14))
    qtbot.keyClicks(dialog.reason, "Conference")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "No booked appointment falls inside it" in page.notice.text())
    qtbot.waitUntil(lambda: page.leave_model.rowCount() == 1)
    assert page.leave_model.index(0, 2).data() == "Conference"
    page.leave_view.selectRow(0)
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "was removed" in page.notice.text())
    qtbot.waitUntil(lambda: page.leave_model.rowCount() == 0)


def test_edit_staff_details(qtbot: QtBot, window: ManagerWindow) -> None:
    page = open_page(qtbot, window, "staff")
    page.select_username("radiologist1")
    qtbot.mouseClick(page.details_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.full_name.clear()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.form.error_text("full_name")))
    qtbot.keyClicks(dialog.full_name, "Dr Farai Makoni")
    qtbot.keyClicks(dialog.title, "MBChB, MMed Radiology")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Dr Farai Makoni" in staff_names(page))
    row = next(r for r in page.model.rows() if r.username == "radiologist1")
    assert row.professional_title == "MBChB, MMed Radiology"


def test_clinic_logo_is_checked_saved_and_removed(
    qtbot: QtBot, window: ManagerWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    page = open_page(qtbot, window, "settings")
    qtbot.waitUntil(lambda: page.info is not None)
    not_png = tmp_path / "logo.png"
    not_png.write_bytes(b"GIF89a not a png")
    monkeypatch.setattr(files, "choose_open_path", lambda *a: not_png)
    qtbot.mouseClick(page.logo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(page.form.error_text("logo")))
    assert page.form.error_text("logo") == "The logo must be a PNG image."
    logo = tmp_path / "real.png"
    Image.new("RGB", (120, 48), "#2f6fa8").save(logo)
    monkeypatch.setattr(files, "choose_open_path", lambda *a: logo)
    qtbot.mouseClick(page.logo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.notice.text() == "The logo was saved.")
    assert page.info.logo_png == logo.read_bytes() and page.remove_logo_button.isEnabled()
    assert page.form.error_text("logo") == ""
    qtbot.mouseClick(page.remove_logo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.notice.text() == "The logo was removed.")
    assert page.info.logo_png is None and page.logo.text() == "No logo"


def test_audit_log_pages(qtbot: QtBot, window: ManagerWindow, database: Database) -> None:
    other = StaffService(database.session_factory, actor=None, workstation="desk-2")
    for _ in range(51):
        other.disable("reception1")
        other.enable("reception1")
    page = open_page(qtbot, window, "audit")
    qtbot.waitUntil(lambda: page.result is not None and page.result.total >= 105)
    total = page.result.total
    assert page.page_label.text() == f"Entries 1–100 of {total:,} · page 1 of 2"
    assert page.next_button.isEnabled() and not page.previous_button.isEnabled()
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.result.page == 1)
    assert len(page.model.rows()) == total - 100
    assert page.previous_button.isEnabled() and not page.next_button.isEnabled()
    assert page.model.rows()[-1].action == "staff_added"  # the oldest, last
