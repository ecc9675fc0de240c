"""Fixtures for the UI tests: offscreen Qt, no unexpected dialogs, no stray worker threads.

A QMessageBox or QFileDialog nobody answers blocks a test forever; here any such
dialog the test did not ask for fails the test at once. Worker tasks are waited
for before the test's database is dropped and again at the very end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
import shiboken6
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database
from mic_desktop.services.accounts.auth import AuthService, StaffAccount
from mic_desktop.services.clinic import load_clinic_info
from mic_desktop.services.demo.spec import DEMO_ACCOUNTS
from mic_desktop.ui.common.look import apply_look
from mic_desktop.ui.common.session import UserSession
from mic_desktop.ui.common.tasks import wait_for_tasks
from mic_desktop.ui.shell import Shell
from tests.conftest import TEST_PASSWORD

_MESSAGE_BOX_STATICS = ("critical", "warning", "information", "question", "about", "aboutQt")
_FILE_DIALOG_STATICS = (
    "getOpenFileName",
    "getOpenFileNames",
    "getSaveFileName",
    "getExistingDirectory",
    "getOpenFileUrl",
    "getOpenFileUrls",
    "getSaveFileUrl",
    "getExistingDirectoryUrl",
)


@pytest.fixture(scope="session", autouse=True)
def _look(qapp: QApplication) -> None:
    """The real stylesheet, so layout problems it causes show up in tests too."""
    apply_look(qapp)


@pytest.fixture(autouse=True)
def no_unexpected_dialogs(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    """Fail the test on any message box or file dialog; wait for worker tasks at the end."""
    opened: list[str] = []

    def refuse(what: str) -> Callable[..., object]:
        def fail(*args: object, **kwargs: object) -> object:
            texts = [a for a in args if isinstance(a, str)]
            opened.append(f"{what}: {texts}")
            pytest.fail(f"unexpected {what} {texts}", pytrace=False)

        return fail

    for name in _MESSAGE_BOX_STATICS:
        monkeypatch.setattr(QMessageBox, name, staticmethod(refuse(f"QMessageBox.{name}")))
    for name in ("exec", "open", "show"):
        monkeypatch.setattr(QMessageBox, name, refuse(f"QMessageBox.{name}"))
    for name in _FILE_DIALOG_STATICS:
        monkeypatch.setattr(QFileDialog, name, staticmethod(refuse(f"QFileDialog.{name}")))
    for name in ("exec", "open", "show"):
        monkeypatch.setattr(QFileDialog, name, refuse(f"QFileDialog.{name}"))
    yield opened
    assert wait_for_tasks(10_000), "worker tasks still running after the test"
    qapp.processEvents()
    assert not opened, f"unexpected dialogs: {opened}"


@pytest.fixture(autouse=True)
def sessions_run_as_their_person(monkeypatch: pytest.MonkeyPatch) -> None:
    """A role window a test opens directly runs as the person's own database login, as
    after a real login: the grants and triggers of their job apply to every UI test.

    Tests open sessions with the accounts of the ``staff`` fixture (``TEST_PASSWORD``)
    or the demo accounts; a session the shell opened after a login already is one.
    """
    original = UserSession.open.__func__  # type: ignore[attr-defined]
    passwords = {account.username: account.password for account in DEMO_ACCOUNTS}
    login = AuthService.login

    def remembering_login(self: AuthService, username: str, password: str) -> StaffAccount:
        account = login(self, username, password)
        passwords[account.username] = password  # a test that logs in with its own password
        return account

    monkeypatch.setattr(AuthService, "login", remembering_login)

    def open_as_person(
        cls: type[UserSession], account: StaffAccount, connection: Connection, *args: object
    ) -> UserSession:
        url = connection.url
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as conn:
            login = conn.scalar(text("SELECT mic_login_role(:u)"), {"u": account.username})
        engine.dispose()
        if url.username != login:
            password = passwords.get(account.username, TEST_PASSWORD)
            connection = Connection(url.set(username=login, password=password), connection.kind)
        return original(cls, account, connection, *args)  # type: ignore[no-any-return]

    monkeypatch.setattr(UserSession, "open", classmethod(open_as_person))


@pytest.fixture
def database(database: Database) -> Iterator[Database]:
    """The root fixture's database; worker tasks finish before it is dropped."""
    yield database
    assert wait_for_tasks(10_000), "worker tasks still running after the test"


@pytest.fixture
def demo_database(database: Database) -> Iterator[Database]:
    """The same test database, presented as the demo connection."""
    demo = Database(Connection(database.connection.url, DatabaseKind.DEMO))
    yield demo
    wait_for_tasks(10_000)
    demo.dispose()


@pytest.fixture
def auth(database: Database) -> AuthService:
    return AuthService(database.session_factory, "test-pc")


ShellFactory = Callable[..., Shell]


@pytest.fixture
def make_shell(qtbot: QtBot) -> Iterator[ShellFactory]:
    """Build a :class:`Shell` on a database and show its login window; closed at the end."""
    shells: list[Shell] = []
    windows: list[QWidget] = []

    def build(database: Database, **options: object) -> Shell:
        options.setdefault("workstation", "test-pc")
        options.setdefault("maximise", False)
        clinic = options.pop("clinic", None) or load_clinic_info(database.session_factory)
        shell = Shell(database, clinic, **options)  # type: ignore[arg-type]
        qtbot.addWidget(shell.login_window)
        # A role window is deleted at logout; pytest-qt's own clean-up would close it again.
        shell.role_window_opened.connect(windows.append)
        shells.append(shell)
        shell.start()
        qtbot.waitExposed(shell.login_window)
        return shell

    yield build
    for shell in shells:
        shell.close()
    for window in windows:
        if shiboken6.isValid(window):
            window.close()
            window.deleteLater()
    wait_for_tasks(10_000)
