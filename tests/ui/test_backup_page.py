"""The manager's Backup page (back up now, the daily backup, the list) and the backup status
light on the home page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from mic_desktop.db import Database
from mic_desktop.models import BackupRecord, ClinicSettings
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.admin.backup_records import BackupService
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.manager import files
from mic_desktop.ui.manager.window import ManagerWindow
from tests.ui.helpers import wait_for_tasks_delivered

BACKUP_MS = 60_000


@pytest.fixture
def window(qtbot: QtBot, database: Database, staff) -> Iterator[ManagerWindow]:  # type: ignore[no-untyped-def]
    manager: StaffAccount = staff["manager"]
    session = UserSession.open(manager, database.connection, "manager-pc")
    window = ManagerWindow(session)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    wait_for_tasks_delivered(qtbot)
    yield window
    session.close()


def _open(qtbot: QtBot, window: ManagerWindow, key: str):  # type: ignore[no-untyped-def]
    page = window.home.show_page(key)
    wait_for_tasks_delivered(qtbot)
    return page


def _clipped(root) -> list[str]:  # type: ignore[no-untyped-def]
    """Visible one-line labels whose text is wider than the label and has no tooltip."""
    found = []
    for label in root.findChildren(QLabel):
        if not label.isVisible() or label.wordWrap() or not label.text():
            continue
        if label.textFormat() == Qt.TextFormat.RichText or "<" in label.text():
            continue
        wide = label.fontMetrics().horizontalAdvance(label.text()) > label.contentsRect().width()
        if wide and label.text() not in label.toolTip():
            found.append(label.text())
    return found


def test_back_up_now_is_verified_listed_and_lights_the_page_green(
    qtbot: QtBot, window: ManagerWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _open(qtbot, window, "backup")
    assert page.light.red and page.light.headline.text() == "No verified backup yet"
    assert page.list_stack.currentWidget() is page.empty
    target = tmp_path / "clinic.dump"
    monkeypatch.setattr(files, "choose_save_path", lambda *a: target)
    qtbot.mouseClick(page.choose_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    assert page.progress.isVisible() and not page.start_button.isEnabled()
    qtbot.waitUntil(lambda: page.result is not None or page.notice.is_error, timeout=BACKUP_MS)
    wait_for_tasks_delivered(qtbot)
    assert page.notice.text().startswith("Backup verified"), page.notice.text()
    # The manager's own login may not create databases: the check restores into a
    # scratch embedded server on this PC instead, and says why.
    assert "scratch embedded PostgreSQL" in page.notice.text()
    assert "refuses CREATE DATABASE to this login" in page.notice.text()
    assert not page.light.red
    assert page.light.headline.text().startswith("Last verified backup: ")
    assert "manual, on manager-pc" in page.light.detail.text()
    [row] = page.model.rows()
    assert (row.status.value, row.workstation, row.file_path) == (
        "verified", "manager-pc", str(target),
    )  # fmt: skip
    assert row.started_by == "Test Manager"
    assert page.list_stack.currentWidget() is page.view
    assert _clipped(window) == []


def test_the_daily_backup_is_set_with_errors_beside_the_field(
    qtbot: QtBot, window: ManagerWindow, database: Database, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    page = _open(qtbot, window, "backup")
    card = page.schedule
    assert card.state.text() == "No daily backup is set." and not card.off_button.isEnabled()
    qtbot.keyClicks(card.folder, "backups")
    card.time.setTime(QTime(21, 30))
    card.keep.setValue(7)
    assert card.save_button.isEnabled()
    qtbot.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(card.form.error_text("folder")))
    assert "whole folder path" in card.form.error_text("folder")

    monkeypatch.setattr(files, "choose_folder", lambda *a: tmp_path)
    qtbot.mouseClick(card.choose_button, Qt.MouseButton.LeftButton)
    assert card.folder.text() == str(tmp_path)
    qtbot.mouseClick(card.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.state.text().startswith("Every day at 21:30"))
    assert card.state.text() == f"Every day at 21:30 into {tmp_path}, keeping the last 7."
    assert card.form.error_text("folder") == "" and not card.save_button.isEnabled()
    assert card.off_button.isEnabled()
    with database.session_factory() as session:
        row = session.execute(
            select(
                ClinicSettings.backup_folder, ClinicSettings.backup_time, ClinicSettings.backup_keep
            )
        ).one()
    assert tuple(row) == (str(tmp_path), dt.time(21, 30), 7)

    qtbot.mouseClick(card.off_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.state.text() == "No daily backup is set.")
    assert card.folder.text() == ""


def test_the_home_page_light_turns_red_on_a_failed_backup_and_leads_to_the_page(
    qtbot: QtBot, window: ManagerWindow, database: Database, tmp_path: Path
) -> None:
    home = window.home.pages["month"]
    light = home.backup_light
    assert light.isVisible() and light.red
    assert light.headline.text() == "No verified backup yet"

    BackupService(
        database.session_factory, database.connection.url, actor=None, workstation="server"
    ).back_up(tmp_path / "nightly.dump")
    home.live_changed()  # what a backup finishing on another PC sends
    qtbot.waitUntil(lambda: not light.red, timeout=10_000)
    assert light.headline.text().startswith("Last verified backup: ")

    with database.session() as session:
        verified = session.scalars(select(BackupRecord)).one()
        session.add(
            BackupRecord(
                kind="scheduled", status="failed", scheduled_day=dt.date(2026, 12, 3),
                started_at=verified.started_at + dt.timedelta(hours=1),
                finished_at=verified.started_at + dt.timedelta(hours=1),
                workstation="reception-2", file_path=str(tmp_path / "x.dump"),
                failure_reason="written, but the check failed: the rows of patient differ",
            )
        )  # fmt: skip
    home.live_changed()
    qtbot.waitUntil(lambda: light.red, timeout=10_000)
    assert light.headline.text().startswith("The last backup failed (")
    assert "on reception-2" in light.headline.text()
    assert light.detail.text().startswith(
        "Written, but the check failed: the rows of patient differ. Last verified backup: "
    )
    assert _clipped(home) == []
    assert light.button is not None
    qtbot.mouseClick(light.button, Qt.MouseButton.LeftButton)
    assert window.home.current_key == "backup"
