"""From the login window to the person's role window and back.

The shell owns the login window (with an :class:`AuthService` on the bootstrap
database) and, while someone is logged in, their :class:`UserSession` and role
window. Logging out disposes the person's Database and shows the login window.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, Signal

from mic_desktop.db import Database
from mic_desktop.models import Role
from mic_desktop.services.accounts.auth import AuthService, StaffAccount
from mic_desktop.services.clinic import ClinicInfo
from mic_desktop.services.clock import Clock, utc_now

from .common.change_password import ChangePasswordDialog
from .common.dicom_service import DicomServiceJob
from .common.errors import describe_error
from .common.login import DemoAccountLike, LoginWindow
from .common.notification_jobs import NotificationJobs, check_clock
from .common.session import UserSession
from .common.tasks import run_task
from .common.window import RoleWindow

ROLE_WINDOWS: dict[Role, tuple[str, str]] = {
    Role.RECEPTION: ("mic_desktop.ui.reception.window", "ReceptionWindow"),
    Role.RADIOLOGIST: ("mic_desktop.ui.radiologist.window", "RadiologistWindow"),
    Role.MANAGER: ("mic_desktop.ui.manager.window", "ManagerWindow"),
}
"""Each role's window class, imported at its first login (charts, PDFs and icons with it)."""


def role_window_class(role: Role) -> type[RoleWindow]:
    """The window class of ``role``; importing it is safe off the GUI thread."""
    module, name = ROLE_WINDOWS[role]
    window: type[RoleWindow] = getattr(importlib.import_module(module), name)
    freeze_loaded_objects()
    return window


def freeze_loaded_objects() -> None:
    """Leave what is loaded by now (modules, their tables and caches) out of full collections.

    A full garbage collection walks every tracked object holding the GIL: with the
    chart, PDF and database libraries loaded that stalls the GUI thread for a few
    hundred milliseconds now and then. What exists here lives as long as the program
    (the collection first frees what an earlier session left); later objects are
    collected as usual.
    """
    gc.collect()
    gc.freeze()


class Shell(QObject):
    """Routes a login to the window of the person's role; logout comes back here."""

    role_window_opened = Signal(object)  # RoleWindow
    logged_out = Signal()

    def __init__(
        self,
        database: Database,
        clinic: ClinicInfo | None,
        *,
        workstation: str,
        demo_accounts: Sequence[DemoAccountLike] = (),
        has_staff: bool = True,
        idle_timeout_ms: int | None = None,
        maximise: bool = True,
        clock: Clock = utc_now,
        run_notifications: bool = False,
        login_window: LoginWindow | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        # The reminder/outbox jobs run while someone is logged in (never on the demo).
        self.notifications = NotificationJobs(self) if run_notifications else None
        # So does the scanners' DICOM service, on the one PC the manager chose for it.
        self.dicom = DicomServiceJob(self) if run_notifications else None
        self._database = database
        self._clock = clock
        self._workstation = workstation
        self._idle_timeout_ms = idle_timeout_ms
        self._maximise = maximise
        self.auth = AuthService(database.session_factory, workstation, clock)
        if login_window is None:  # start-up usually shows it before the database answers
            login_window = LoginWindow(workstation=workstation, demo=database.connection.is_demo)
        self.login_window = login_window
        login_window.attach(
            self.auth,
            database.connection,
            clinic,
            demo_accounts=demo_accounts,
            has_staff=has_staff,
        )
        self.login_window.logged_in.connect(self._logged_in)
        self.role_window: RoleWindow | None = None
        self.user_session: UserSession | None = None
        self.password_dialog: ChangePasswordDialog | None = None

    @property
    def is_demo(self) -> bool:
        return self._database.connection.is_demo

    def start(self) -> None:
        self.login_window.show()
        self.login_window.activateWindow()

    def _logged_in(self, account: StaffAccount) -> None:
        if not account.must_change_password:
            self._open_session(account)
            return
        dialog = ChangePasswordDialog(
            self.auth, account, required=True, demo=self.is_demo, parent=self.login_window
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.changed.connect(self._open_session)
        dialog.rejected.connect(lambda: self._abandon(account))
        self.password_dialog = dialog
        dialog.open()

    def _abandon(self, account: StaffAccount) -> None:
        """The person closed the forced password change: their session ends here."""
        self._record_logout(account)
        self.password_dialog = None
        self.login_window.reset()

    def _open_session(self, account: StaffAccount) -> None:
        self.password_dialog = None
        self.login_window.set_busy("Opening your window…")
        connection, workstation, clock = self._database.connection, self._workstation, self._clock

        def open_session() -> tuple[UserSession, type[RoleWindow]]:
            window_class = role_window_class(account.role)  # the heavy imports, off the GUI
            return UserSession.open(account, connection, workstation, clock), window_class

        run_task(
            open_session,
            self._session_opened,
            self._session_failed,
            receiver=self,
        )

    def _session_failed(self, error: BaseException) -> None:
        self.login_window.show_error(describe_error(error))

    def _session_opened(self, opened: tuple[UserSession, type[RoleWindow]]) -> None:
        session, window_class = opened
        window = window_class(session, idle_timeout_ms=self._idle_timeout_ms)
        window.logout_requested.connect(self.logout)
        window.closed.connect(self._window_closed)
        self.user_session, self.role_window = session, window
        if self._maximise:
            window.showMaximized()
        else:
            window.show()
        window.activateWindow()
        self.login_window.hide()
        self.login_window.reset()
        check_clock(session, window)
        if self.notifications is not None and not session.is_demo:
            self.notifications.start(session)
        if self.dicom is not None:
            self.dicom.start(session)
        self.role_window_opened.emit(window)

    def logout(self) -> None:
        """End the session and show the login window (it opens before the role window closes)."""
        window = self.role_window
        if window is None:
            return
        self.login_window.reset()
        self.login_window.show()
        self.login_window.activateWindow()
        window.end_session()
        window.close()
        self._end_session(window)
        self.logged_out.emit()

    def _window_closed(self) -> None:
        """The role window was closed (Quit): record the logout; the program then ends."""
        if self.role_window is not None:
            self._end_session(self.role_window)

    def _end_session(self, window: RoleWindow) -> None:
        session = self.user_session
        self.role_window = self.user_session = None
        window.deleteLater()
        if self.notifications is not None:
            self.notifications.stop()
        if self.dicom is not None:
            self.dicom.stop()
        if session is not None:
            self._record_logout(session.account)
            session.close()

    def _record_logout(self, account: StaffAccount) -> None:
        auth = self.auth
        run_task(lambda: auth.logout(account))

    def close(self) -> None:
        """At program end: close the windows and dispose the person's Database."""
        if self.role_window is not None:
            window = self.role_window
            window.end_session()
            window.close()
            self._end_session(window)
        self.login_window.close()
