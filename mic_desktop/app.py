"""The QApplication bootstrap: settings -> database -> login -> role window.

:func:`run` is what ``mic-desktop`` calls to start the GUI. The login window shows
first, before the database stack is even imported; the :class:`Bootstrap` then
walks the start-up steps of :mod:`mic_desktop.startup`, each off the GUI thread
(the database libraries load there), shows them on the login window, and asks the
person its questions between them: the clinic server's password, whether to upgrade
the shared clinic database. Then the :class:`Shell` takes over the login window.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from mic_desktop import APP_NAME, __version__
from mic_desktop.config import (
    DatabaseKind,
    DatabaseTarget,
    SettingsError,
    needs_first_run,
    workstation_name,
)
from mic_desktop.schema import (
    SchemaError,
    SchemaState,
    SchemaStatus,
    WorkstationOutdatedError,
)
from mic_desktop.ui.common.login import DemoAccountLike, LoginWindow
from mic_desktop.ui.common.look import apply_look, window_title
from mic_desktop.ui.common.pdf_files import remove_stale_pdf_folders
from mic_desktop.ui.common.tasks import ProgressRelay, run_task, wait_for_tasks

if TYPE_CHECKING:
    from mic_desktop.db import Database
    from mic_desktop.services.clinic import ClinicInfo
    from mic_desktop.startup import PasswordNeed, Progress
    from mic_desktop.ui.common.startup_dialogs import ServerPasswordDialog
    from mic_desktop.ui.shell import Shell

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_OUTDATED = 2  # the database is newer than this workstation


class SchemaAction(Enum):
    PROCEED = "proceed"
    UPGRADE = "upgrade"  # this PC's own database: migrate without asking
    CONFIRM_UPGRADE = "confirm upgrade"  # the shared clinic server: ask first
    REFUSE = "refuse"


def schema_action(status: SchemaStatus, kind: DatabaseKind) -> SchemaAction:
    """What start-up does with a database in ``status``."""
    if status.state in (SchemaState.AHEAD, SchemaState.FOREIGN):
        return SchemaAction.REFUSE
    if status.needs_upgrade:
        return SchemaAction.CONFIRM_UPGRADE if kind is DatabaseKind.SERVER else SchemaAction.UPGRADE
    return SchemaAction.PROCEED


def refusal_error(status: SchemaStatus) -> SchemaError:
    if status.state is SchemaState.AHEAD:
        return WorkstationOutdatedError(status.database_revision or "?")
    return SchemaError(
        "This database holds tables but is not a MIC Desktop database. "
        "Choose the clinic's MIC Desktop database or an empty one."
    )


def exit_code_for(error: BaseException) -> int:
    return EXIT_OUTDATED if isinstance(error, WorkstationOutdatedError) else EXIT_FAILED


def server_name(target: DatabaseTarget) -> str:
    from mic_desktop.startup import server_label

    return server_label(target)


def describe_startup_error(error: BaseException, target: DatabaseTarget) -> str:
    """Why the program cannot start, said for the person at the desk."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from mic_desktop.db import DatabaseUnavailableError
    from mic_desktop.ui.common.errors import (
        INSUFFICIENT_PRIVILEGE_SQLSTATE,
        describe_error,
        first_line,
        is_password_refused,
        sqlstate,
    )

    if isinstance(error, SchemaError | DatabaseUnavailableError | SettingsError):
        return str(error)
    server = server_name(target)
    if is_password_refused(error):
        user = make_url(target.url).username if target.url else ""
        return f"The clinic server {server} refused the password of the database user {user}."
    if isinstance(error, DBAPIError) and sqlstate(error) == INSUFFICIENT_PRIVILEGE_SQLSTATE:
        return (
            f"This workstation's database user may not change the schema on {server} "
            f"({first_line(error)}). Upgrade it as the schema owner with "
            "“mic-desktop db upgrade”, then start MIC Desktop again."
        )
    if isinstance(error, DBAPIError) and target.kind is DatabaseKind.SERVER:
        return (
            f"MIC Desktop cannot reach the clinic database on {server}.\n\n{first_line(error)}\n\n"
            "Check that this PC is on the clinic network and the server is running, "
            "then start MIC Desktop again."
        )
    return describe_error(error)


@dataclass(frozen=True)
class Prepared:
    """What the login window needs, read off the GUI thread."""

    clinic: ClinicInfo
    has_staff: bool
    demo_accounts: tuple[DemoAccountLike, ...]


def prepare(database: Database, progress: Progress | None) -> Prepared:
    """Load the demo clinic on its first start, then read what the login window shows."""
    from mic_desktop.services.clinic import load_clinic_info
    from mic_desktop.startup import ensure_demo_data, has_staff

    demo_accounts: tuple[DemoAccountLike, ...] = ()
    if database.connection.is_demo:
        ensure_demo_data(database, progress)
        from mic_desktop.services.demo.spec import DEMO_ACCOUNTS

        demo_accounts = tuple(DEMO_ACCOUNTS)
    return Prepared(load_clinic_info(database.session_factory), has_staff(database), demo_accounts)


def open_and_check(target: DatabaseTarget, password: str | None) -> tuple[Database, SchemaStatus]:
    """Reach the database (the database stack loads here, off the GUI thread)."""
    from mic_desktop.schema import schema_status
    from mic_desktop.startup import open_database

    database = open_database(target, password)
    try:
        return database, schema_status(database.engine)
    except Exception:
        database.dispose()
        raise


class Bootstrap(QObject):
    """The start-up steps, each in a worker, with the person's decisions in between."""

    finished = Signal(int)  # start-up failed or was cancelled: the program ends with this code
    ready = Signal(object)  # the Shell, once the login window is shown

    def __init__(
        self,
        target: DatabaseTarget,
        *,
        workstation: str,
        idle_timeout_ms: int | None = None,
        maximise: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.target = target
        self.workstation = workstation
        self._idle_timeout_ms = idle_timeout_ms
        self._maximise = maximise
        self.login_window = LoginWindow(
            workstation=workstation, demo=target.kind is DatabaseKind.DEMO
        )
        self._progress = ProgressRelay(self)
        self._progress.progress.connect(self.login_window.set_progress)
        self.database: Database | None = None
        self.shell: Shell | None = None
        self.password_dialog: ServerPasswordDialog | None = None
        self.message_box: QMessageBox | None = None
        self.exit_code: int | None = None
        self._need: PasswordNeed | None = None
        self._begun = False

    # -- the steps -------------------------------------------------------------------

    def start(self) -> None:
        """Show the login window, then reach the database once it is on screen."""
        # The database stack loads in a worker; started before the first paint it would
        # hold the interpreter while the window tries to draw.
        self.login_window.first_painted.connect(self._begin, Qt.ConnectionType.QueuedConnection)
        self.login_window.show()
        self.login_window.activateWindow()
        QTimer.singleShot(2_000, self._begin)  # a screen that never paints (minimised)

    def _begin(self) -> None:
        """Connect the way libpq would on its own: a password is asked for only when the
        server wants one (the URL, ``PGPASSWORD``, ``.pgpass``, trust, peer or a client
        certificate may all do without), or when the keyring's password is refused."""
        if self._begun or self.exit_code is not None:
            return
        self._begun = True
        self._connect(None)

    def _ask_password(self, need: PasswordNeed, error: str) -> None:
        from mic_desktop.ui.common.startup_dialogs import ServerPasswordDialog

        dialog = ServerPasswordDialog(need, error=error, parent=self.login_window)
        dialog.accepted.connect(lambda: self._connect(dialog.password.text(), dialog))
        dialog.rejected.connect(lambda: self._finish(EXIT_FAILED))
        self.password_dialog = dialog
        dialog.open()

    def _connect(self, password: str | None, dialog: ServerPasswordDialog | None = None) -> None:
        self.password_dialog = None
        if self.target.is_embedded:
            self.login_window.set_status("Starting the clinic database…")
        else:
            self.login_window.set_status(f"Connecting to {server_name(self.target)}…")
        remember = dialog is not None and dialog.remember_requested
        target = self.target
        run_task(
            lambda: open_and_check(target, password),
            lambda opened: self._connected(opened, password if remember else None),
            self._connect_failed,
        )

    def _connect_failed(self, error: BaseException) -> None:
        from mic_desktop.startup import password_need, stored_password
        from mic_desktop.ui.common.errors import is_password_refused

        if not is_password_refused(error) or self.target.kind is not DatabaseKind.SERVER:
            self._fail(error)
        elif self._need is not None:
            self._ask_password(self._need, "The server refused this password. Try again.")
        else:
            need = password_need(self.target, ignore_stored=True)
            if need is None:  # the URL's own password was refused
                self._fail(error)
                return
            self._need = need
            if stored_password(self.target) is not None:  # offer to replace the saved one
                self._ask_password(need, "The server refused the saved password. Enter it again.")
            else:
                self._ask_password(need, "")

    def _connected(
        self, opened: tuple[Database, SchemaStatus], password_to_remember: str | None
    ) -> None:
        database, status = opened
        self.database = database
        if password_to_remember is not None and self._need is not None:
            from mic_desktop.startup import remember_password

            need, password = self._need, password_to_remember
            run_task(lambda: remember_password(need, password))
        action = schema_action(status, self.target.kind)
        if action is SchemaAction.REFUSE:
            self._fail(refusal_error(status))
        elif action is SchemaAction.UPGRADE:
            self._upgrade()
        elif action is SchemaAction.CONFIRM_UPGRADE:
            self.confirm(
                "Upgrade the clinic database?",
                self._upgrade_question(status),
                "Upgrade the clinic database",
                self._upgrade,
            )
        else:
            self._prepare()

    def _upgrade_question(self, status: SchemaStatus) -> str:
        server = server_name(self.target)
        if status.state is SchemaState.EMPTY:
            return (
                f"The database {server} is empty. MIC Desktop can create its tables in it "
                "now; every workstation that uses this server then works with them.\n\n"
                "Create the MIC Desktop tables?"
            )
        return (
            f"The clinic database on {server} has an older structure (revision "
            f"{status.database_revision}) than this version of MIC Desktop "
            f"({status.head_revision}).\n\n"
            "Upgrading changes the shared clinic database for every workstation: PCs "
            "with an older MIC Desktop must be updated before they can use it again. "
            "Make sure a recent backup exists.\n\nUpgrade the clinic database now?"
        )

    def _upgrade(self) -> None:
        self.login_window.set_status("Updating the clinic database…")
        database = self.database
        assert database is not None

        def upgrade() -> None:
            from mic_desktop.startup import upgrade_schema

            upgrade_schema(database)

        run_task(upgrade, lambda _none: self._prepare(), self._fail)

    def _prepare(self) -> None:
        database = self.database
        assert database is not None
        if database.connection.is_demo:
            self.login_window.set_status("Preparing the demo clinic…")
        else:
            self.login_window.set_status("Opening…")
        progress = self._progress.callback()
        run_task(lambda: prepare(database, progress), self._prepared, self._fail)

    def _prepared(self, prepared: Prepared) -> None:
        from mic_desktop.ui.shell import Shell

        assert self.database is not None
        self.shell = Shell(
            self.database,
            prepared.clinic,
            workstation=self.workstation,
            demo_accounts=prepared.demo_accounts,
            has_staff=prepared.has_staff,
            idle_timeout_ms=self._idle_timeout_ms,
            maximise=self._maximise,
            run_notifications=True,
            login_window=self.login_window,
        )
        self.shell.start()
        self.ready.emit(self.shell)

    # -- asking and telling ----------------------------------------------------------

    def _fail(self, error: BaseException) -> None:
        from sqlalchemy.exc import DBAPIError

        from mic_desktop.db import DatabaseUnavailableError

        if not isinstance(error, SchemaError | DatabaseUnavailableError | DBAPIError):
            log.error("Start-up failed", exc_info=error)
        self.show_error(describe_startup_error(error, self.target), exit_code_for(error))

    def show_error(self, text: str, exit_code: int) -> None:
        """Tell the person why the program cannot start; it ends when they close the message."""
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            window_title("Cannot start", demo=self.target.kind is DatabaseKind.DEMO),
            text,
            QMessageBox.StandardButton.Close,
            self.login_window,
        )
        box.finished.connect(lambda _result: self._finish(exit_code))
        self.message_box = box
        box.open()

    def confirm(self, title: str, text: str, yes: str, on_yes: Callable[[], None]) -> None:
        """Ask a yes/quit question; quitting ends start-up."""
        box = QMessageBox(
            QMessageBox.Icon.Question, window_title(title), text, parent=self.login_window
        )
        yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(yes_button)

        def answered(_result: int) -> None:
            self.message_box = None
            if box.clickedButton() is yes_button:
                on_yes()
            else:
                self._finish(EXIT_FAILED)

        box.finished.connect(answered)
        self.message_box = box
        box.open()

    def _finish(self, code: int) -> None:
        self.message_box = None
        self.password_dialog = None
        self.exit_code = code
        self.login_window.close()
        self.finished.emit(code)

    def shutdown(self) -> None:
        """After the event loop: wait for work in flight, then let go of the databases."""
        if self.shell is not None:
            self.shell.close()
        # Longer than the SMS provider's timeout: a message in flight is recorded, not lost.
        wait_for_tasks(20_000)
        if self.database is not None:
            self.database.dispose()
            self.database = None


def run(target: DatabaseTarget, *, argv: Sequence[str] | None = None) -> int:
    """Start the GUI against ``target``; returns the exit status."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)
    apply_look(app)
    remove_stale_pdf_folders()  # copies a crashed run left for the viewer hold patient data
    if needs_first_run(target):  # no settings yet: ask where this PC's data lives
        from mic_desktop.ui.common.first_run import choose_connection

        chosen = choose_connection()
        if chosen is None:
            return EXIT_FAILED
        target = chosen
    bootstrap = Bootstrap(target, workstation=workstation_name())
    bootstrap.finished.connect(app.exit)
    bootstrap.start()
    _quit_on_termination_signals(app)
    code = app.exec()
    bootstrap.shutdown()
    return bootstrap.exit_code if bootstrap.exit_code is not None else code


def _quit_on_termination_signals(app: QApplication) -> None:
    """Ctrl+C or SIGTERM quit like File > Quit, so the embedded server is stopped at exit.

    Python runs signal handlers only between bytecodes, so a timer wakes it up while
    Qt's event loop waits.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: app.quit())
    waker = QTimer(app)
    waker.timeout.connect(lambda: None)
    waker.start(500)


__all__ = ["Bootstrap", "SchemaAction", "run", "schema_action"]
