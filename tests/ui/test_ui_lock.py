"""The idle lock: it covers the window, keeps what was typed, and only its owner unlocks it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from mic_desktop.db import Database
from mic_desktop.models import AuditLog
from mic_desktop.ui.reception.window import ReceptionWindow
from tests.conftest import TEST_PASSWORD
from tests.ui.helpers import wait_for_tasks_delivered
from tests.ui.test_ui_login import logged_in


def enter_password(qtbot: QtBot, window: ReceptionWindow, password: str) -> None:
    qtbot.keyClicks(window.lock_screen.password, password)
    qtbot.keyClick(window.lock_screen.password, Qt.Key.Key_Return)


def test_idle_lock_keeps_typed_text_and_unlocks_with_the_owners_password(
    qtbot: QtBot, make_shell, database: Database, staff
) -> None:
    shell = make_shell(database, idle_timeout_ms=700)
    window = logged_in(qtbot, shell, "reception1", TEST_PASSWORD)
    assert isinstance(window, ReceptionWindow)
    content = window.centralWidget()
    qtbot.keyClicks(window.home.search.edit, "Moyo")

    qtbot.waitUntil(lambda: window.is_locked, timeout=5_000)
    assert window.lock_screen.geometry() == window.rect()
    assert not content.isEnabled() and not window.logout_action.isEnabled()
    assert window.centralWidget() is content and content.isVisible()  # covered, not replaced

    enter_password(qtbot, window, "someone-elses")
    qtbot.waitUntil(lambda: window.lock_screen.error.text() != "", timeout=10_000)
    assert window.lock_screen.error.text() == "That is not Test's password."
    assert window.is_locked

    enter_password(qtbot, window, TEST_PASSWORD)
    qtbot.waitUntil(lambda: not window.is_locked, timeout=10_000)
    assert window.home.search.edit.text() == "Moyo"
    assert content.isEnabled() and window.logout_action.isEnabled()
    wait_for_tasks_delivered(qtbot)
    with database.session() as session:
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-2:] == ["unlock_failed", "unlock"]


def test_lock_screen_action_and_log_out_by_someone_else(
    qtbot: QtBot, make_shell, database: Database, staff
) -> None:
    shell = make_shell(database)  # the clinic's 5 minutes: only the menu action locks here
    window = logged_in(qtbot, shell, "radiologist1", TEST_PASSWORD)
    assert window.idle.timeout_ms == 5 * 60_000
    wait_for_tasks_delivered(qtbot)

    window.lock_action.trigger()
    assert window.is_locked

    with qtbot.waitSignal(shell.logged_out):
        qtbot.mouseClick(window.lock_screen.logout_button, Qt.MouseButton.LeftButton)
    assert shell.login_window.isVisible() and shell.role_window is None
    wait_for_tasks_delivered(qtbot)
    with database.session() as session:
        last = session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(1)).one()
    assert (last.action, last.username) == ("logout", "radiologist1")


def test_a_half_filled_dialog_is_hidden_while_locked_and_comes_back(
    qtbot: QtBot, make_shell, database: Database, staff
) -> None:
    shell = make_shell(database)
    window = logged_in(qtbot, shell, "manager1", TEST_PASSWORD)
    wait_for_tasks_delivered(qtbot)
    window.change_password_action.trigger()
    dialog = window.password_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.new.edit, "half typed")

    window.lock()
    assert not dialog.isVisible() and window.is_locked

    qtbot.keyClicks(window.lock_screen.password, TEST_PASSWORD)
    qtbot.keyClick(window.lock_screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.is_locked, timeout=10_000)
    assert dialog.isVisible() and dialog.new.text() == "half typed"
    dialog.reject()
    wait_for_tasks_delivered(qtbot)
