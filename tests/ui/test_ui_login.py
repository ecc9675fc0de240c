"""The login window and the shell: routing by role, refusals, lock-out, password change, demo."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from mic_desktop.db import Database
from mic_desktop.models import AuditLog, Role
from mic_desktop.services.accounts.auth import MAX_FAILED_LOGINS, AuthService
from mic_desktop.services.admin.staff import StaffService
from mic_desktop.ui.common.window import RoleWindow
from mic_desktop.ui.manager.window import ManagerWindow
from mic_desktop.ui.radiologist.window import RadiologistWindow
from mic_desktop.ui.reception.window import ReceptionWindow
from mic_desktop.ui.shell import Shell
from tests.conftest import TEST_PASSWORD
from tests.ui.helpers import set_staff, wait_for_tasks_delivered


def log_in(qtbot: QtBot, shell: Shell, username: str, password: str) -> None:
    """Type like a person: username, password, Enter."""
    window = shell.login_window
    window.username.clear()
    window.password.clear()
    qtbot.keyClicks(window.username, username)
    qtbot.keyClicks(window.password, password)
    qtbot.keyClick(window.password, Qt.Key.Key_Return)


def refused(qtbot: QtBot, shell: Shell, username: str, password: str) -> str:
    """Log in, wait for the answer, return the message under the fields."""
    log_in(qtbot, shell, username, password)
    qtbot.waitUntil(lambda: shell.login_window.login_button.isEnabled(), timeout=10_000)
    assert shell.role_window is None
    assert shell.login_window.isVisible()
    return shell.login_window.error.text()


def logged_in(qtbot: QtBot, shell: Shell, username: str, password: str) -> RoleWindow:
    with qtbot.waitSignal(shell.role_window_opened, timeout=10_000) as opened:
        log_in(qtbot, shell, username, password)
    window = opened.args[0]
    assert isinstance(window, RoleWindow)
    qtbot.waitExposed(window)
    return window


@pytest.mark.parametrize(
    ("role", "window_class"),
    [
        (Role.RECEPTION, ReceptionWindow),
        (Role.RADIOLOGIST, RadiologistWindow),
        (Role.MANAGER, ManagerWindow),
    ],
)
def test_login_opens_the_window_of_the_persons_role(
    qtbot: QtBot, make_shell, database: Database, staff, role: Role, window_class: type
) -> None:
    shell = make_shell(database)

    window = logged_in(qtbot, shell, f"{role.value}1", TEST_PASSWORD)

    assert type(window) is window_class
    assert window.isVisible() and not shell.login_window.isVisible()
    full_name = f"Test {role.value.capitalize()}"
    assert window.windowTitle() == f"MIC Desktop — {role.label} — {full_name}"
    assert window.user_label.text() == f"{full_name} · {role.label}"
    assert window.database_label.text() == f"Database: {database.connection.label}"
    assert shell.user_session is not None
    assert shell.user_session.database is not database  # the person's own engine
    wait_for_tasks_delivered(qtbot)


def test_wrong_password_shows_the_error_and_stays(
    qtbot: QtBot, make_shell, database: Database, staff
) -> None:
    shell = make_shell(database)

    assert refused(qtbot, shell, "reception1", "not-the-password") == "Wrong username or password."
    assert shell.login_window.password.text() == ""
    assert shell.login_window.username.text() == "reception1"
    # An unknown username gets the very same words.
    assert refused(qtbot, shell, "nobody", TEST_PASSWORD) == "Wrong username or password."


def test_empty_fields_are_pointed_out_without_a_database_call(
    qtbot: QtBot, make_shell, database: Database
) -> None:
    shell = make_shell(database)
    qtbot.mouseClick(shell.login_window.login_button, Qt.MouseButton.LeftButton)
    assert shell.login_window.error.text() == "Enter your username."
    qtbot.keyClicks(shell.login_window.username, "reception1")
    qtbot.keyClick(shell.login_window.username, Qt.Key.Key_Return)  # Enter moves on
    assert shell.login_window.focusWidget() is shell.login_window.password


def test_five_failures_lock_the_account_until_the_lock_period_ends(
    qtbot: QtBot, make_shell, database: Database, staff
) -> None:
    shell = make_shell(database)
    for _attempt in range(MAX_FAILED_LOGINS - 1):
        assert refused(qtbot, shell, "reception1", "guess") == "Wrong username or password."

    message = refused(qtbot, shell, "reception1", "guess")
    assert message.startswith("Too many failed attempts: this account is locked for 15 minutes")
    # Still locked: even the right password is refused.
    assert "locked" in refused(qtbot, shell, "reception1", TEST_PASSWORD)

    set_staff(
        database, "reception1", locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    )
    window = logged_in(qtbot, shell, "reception1", TEST_PASSWORD)
    assert isinstance(window, ReceptionWindow)
    wait_for_tasks_delivered(qtbot)


def test_disabled_account_is_refused(qtbot: QtBot, make_shell, database: Database, staff) -> None:
    StaffService(database.session_factory, actor=None, workstation="test-pc").disable(
        "radiologist1"
    )
    shell = make_shell(database)
    # A disabled account is refused like a wrong password: the refusal never tells
    # whether the password typed was right.
    assert refused(qtbot, shell, "radiologist1", TEST_PASSWORD) == "Wrong username or password."


def test_must_change_password_leads_to_the_role_window_after_the_change(
    qtbot: QtBot, make_shell, database: Database, staff, auth: AuthService
) -> None:
    StaffService(database.session_factory, actor=None, workstation="test-pc").set_password(
        "manager1", "given-by-manager", must_change=True
    )
    shell = make_shell(database)
    log_in(qtbot, shell, "manager1", "given-by-manager")
    qtbot.waitUntil(lambda: shell.password_dialog is not None, timeout=10_000)
    dialog = shell.password_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert shell.role_window is None

    # Validation messages sit next to their fields.
    qtbot.keyClicks(dialog.current.edit, "given-by-manager")
    qtbot.keyClicks(dialog.new.edit, "short")
    qtbot.keyClicks(dialog.repeat.edit, "shorter")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.new.error.text() == "The password must have at least 8 characters."
    assert dialog.repeat.error.text() == "The two new passwords are not the same."
    assert dialog.current.error.isHidden()

    # A wrong current password comes back from the service, under its field.
    for field, text in ((dialog.current, "not-it-at-all"), (dialog.new, "my own secret 7")):
        field.edit.clear()
        qtbot.keyClicks(field.edit, text)
    dialog.repeat.edit.clear()
    qtbot.keyClicks(dialog.repeat.edit, "my own secret 7")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.current.error.isVisible(), timeout=10_000)
    assert dialog.current.error.text() == "The current password is wrong."

    qtbot.keyClicks(dialog.current.edit, "given-by-manager")
    with qtbot.waitSignal(shell.role_window_opened, timeout=10_000) as opened:
        qtbot.keyClick(dialog.current.edit, Qt.Key.Key_Return)  # Enter confirms
    assert isinstance(opened.args[0], ManagerWindow)
    assert auth.login("manager1", "my own secret 7").must_change_password is False
    wait_for_tasks_delivered(qtbot)


def test_leaving_the_forced_password_change_returns_to_login(
    qtbot: QtBot, make_shell, database: Database, staff
) -> None:
    StaffService(database.session_factory, actor=None, workstation="test-pc").set_password(
        "reception1", "given-by-manager", must_change=True
    )
    shell = make_shell(database)
    log_in(qtbot, shell, "reception1", "given-by-manager")
    qtbot.waitUntil(lambda: shell.password_dialog is not None, timeout=10_000)
    shell.password_dialog.cancel_button.click()
    qtbot.waitUntil(lambda: shell.login_window.login_button.isEnabled())
    assert shell.role_window is None and shell.login_window.username.text() == ""
    wait_for_tasks_delivered(qtbot)
    with database.session() as session:
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-2:] == ["login", "logout"]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    full_name: str


DEMO_ACCOUNTS = tuple(
    DemoAccount(f"{role.value}1", TEST_PASSWORD, role, f"Test {role.value.capitalize()}")
    for role in Role
)


def test_demo_accounts_are_listed_and_every_title_says_demo(
    qtbot: QtBot, make_shell, demo_database: Database, staff
) -> None:
    shell = make_shell(demo_database, demo_accounts=DEMO_ACCOUNTS)
    login = shell.login_window
    assert "DEMO" in login.windowTitle()
    assert login.demo_panel is not None and login.demo_panel.isVisible()
    assert [b.property("username") for b in login.demo_buttons] == [
        "reception1",
        "radiologist1",
        "manager1",
    ]
    assert "Password: correct-horse-42" in login.demo_buttons[1].text()

    qtbot.mouseClick(login.demo_buttons[1], Qt.MouseButton.LeftButton)
    assert (login.username.text(), login.password.text()) == ("radiologist1", TEST_PASSWORD)
    with qtbot.waitSignal(shell.role_window_opened, timeout=10_000) as opened:
        qtbot.mouseClick(login.login_button, Qt.MouseButton.LeftButton)
    window = opened.args[0]
    assert isinstance(window, RadiologistWindow)
    assert window.windowTitle() == "MIC Desktop — Radiologist — Test Radiologist — DEMO"
    window.change_password()
    dialog = window.password_dialog
    assert dialog is not None and dialog.windowTitle().endswith("— DEMO")
    dialog.reject()
    assert window.password_dialog is None
    wait_for_tasks_delivered(qtbot)


def test_demo_accounts_are_not_listed_for_a_clinic_database(
    qtbot: QtBot, make_shell, database: Database, staff
) -> None:
    shell = make_shell(database, demo_accounts=DEMO_ACCOUNTS)
    assert shell.login_window.demo_panel is None
    assert "DEMO" not in shell.login_window.windowTitle()
    window = logged_in(qtbot, shell, "manager1", TEST_PASSWORD)
    assert "DEMO" not in window.windowTitle()
    wait_for_tasks_delivered(qtbot)


def test_logout_returns_to_the_login_window(
    qtbot: QtBot, make_shell, database: Database, staff
) -> None:
    shell = make_shell(database)
    window = logged_in(qtbot, shell, "manager1", TEST_PASSWORD)
    session = shell.user_session
    assert session is not None
    wait_for_tasks_delivered(qtbot)

    with qtbot.waitSignal(shell.logged_out):
        window.logout_action.trigger()

    assert shell.login_window.isVisible() and not window.isVisible()
    assert shell.role_window is None and session.closed
    assert shell.login_window.username.text() == ""
    # The next person logs in at the same desk.
    assert isinstance(logged_in(qtbot, shell, "reception1", TEST_PASSWORD), ReceptionWindow)
    wait_for_tasks_delivered(qtbot)
    with database.session() as session_:
        actions = session_.scalars(
            select(AuditLog.action).where(~AuditLog.action.startswith("row.")).order_by(AuditLog.id)
        ).all()
    assert actions == ["staff_added"] * 3 + ["login", "logout", "login"]
