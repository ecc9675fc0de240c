"""The main window every role's window builds on.

Menus (File, View, Help), a toolbar with labelled actions and shortcuts, a status
bar naming the person, their role and the database, and the idle lock: after the
clinic's idle time the window is covered by a :class:`LockScreen` (the content
stays, disabled, underneath) until the same person's password unlocks it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QToolBar,
    QWidget,
)

from mic_desktop import APP_TITLE, __version__
from mic_desktop.models import Role

from .change_password import ChangePasswordDialog
from .errors import describe_error
from .idle import IdleWatcher
from .lock import LockScreen, first_name
from .look import icon, window_title
from .session import UserSession
from .tasks import run_task

MINUTE_MS = 60_000


class HomePage(QWidget):
    """A role window's start page; ``refresh()`` reloads what it shows (off the GUI thread)."""

    def refresh(self) -> None:
        raise NotImplementedError


class RoleWindow(QMainWindow):
    """Base of the reception, radiologist and manager windows."""

    role: Role
    logout_requested = Signal()  # the person (or someone at a locked screen) logs out
    closed = Signal()  # closed with the window's close button or File > Quit

    def __init__(
        self,
        session: UserSession,
        *,
        idle_timeout_ms: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.account = session.account
        self._auth = session.auth_service()
        self._ending = False
        self._shown_once = False
        self._focus_before_lock: QWidget | None = None
        self._enabled_before_lock: list[QAction] = []
        self._dialogs_before_lock: list[QDialog] = []
        self.password_dialog: ChangePasswordDialog | None = None
        self.setWindowTitle(
            window_title(self.account.role.label, self.account.full_name, demo=session.is_demo)
        )
        self.setMinimumSize(1000, 640)
        self.resize(1366, 768)

        self.home = self.build_home()
        self.setCentralWidget(self.home)
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()

        self.lock_screen = LockScreen(self.account, self)
        self.lock_screen.unlock_requested.connect(self._try_unlock)
        self.lock_screen.logout_requested.connect(self.request_logout)

        timeout = idle_timeout_ms or session.clinic.idle_lock_minutes * MINUTE_MS
        self.idle = IdleWatcher(timeout, self)
        self.idle.idle.connect(self.lock)

    # -- what subclasses provide -------------------------------------------------

    def build_home(self) -> HomePage:
        raise NotImplementedError

    def extra_toolbar_actions(self) -> list[QAction]:
        """Role actions shown on the toolbar before the session actions."""
        return []

    # -- actions, menus, toolbar, status bar ---------------------------------------

    def make_action(
        self,
        text: str,
        slot: Callable[[], object],
        *,
        shortcut: str | None = None,
        icon_name: str | None = None,
        tip: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        hint = tip or text.replace("&", "").rstrip("…")
        if shortcut is not None:
            hint = f"{hint} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(hint)
        action.setStatusTip(hint)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the toolbar is hidden
        return action

    def _build_actions(self) -> None:
        self.refresh_action = self.make_action(
            "&Refresh",
            self.refresh,
            shortcut="F5",
            icon_name="mdi6.refresh",
            tip="Load the latest from the clinic database",
        )
        self.lock_action = self.make_action(
            "&Lock screen",
            self.lock,
            shortcut="Ctrl+L",
            icon_name="mdi6.lock-outline",
            tip="Cover this window until you enter your password",
        )
        self.logout_action = self.make_action(
            "Log &out",
            self.request_logout,
            shortcut="Ctrl+Shift+L",
            icon_name="mdi6.logout",
            tip="End your session and return to the login window",
        )
        self.change_password_action = self.make_action(
            "&Change password…", self.change_password, icon_name="mdi6.key-variant"
        )
        self.quit_action = self.make_action(
            "&Quit", self.close, shortcut="Ctrl+Q", icon_name="mdi6.power"
        )
        self.full_screen_action = self.make_action(
            "&Full screen", self._toggle_full_screen, shortcut="F11", icon_name="mdi6.fullscreen"
        )
        self.full_screen_action.setCheckable(True)
        self.about_action = self.make_action(
            f"&About {APP_TITLE}", self.show_about, icon_name="mdi6.information-outline"
        )

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.change_password_action)
        file_menu.addSeparator()
        if self.account.role is Role.MANAGER:
            from .workstation_actions import add_workstation_settings

            add_workstation_settings(self, file_menu)
        file_menu.addAction(self.lock_action)
        file_menu.addAction(self.logout_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.refresh_action)
        view_menu.addSeparator()
        view_menu.addAction(self.full_screen_action)
        self.view_menu = view_menu
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main toolbar", self)
        toolbar.setObjectName("MainToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(20, 20))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in self.extra_toolbar_actions():
            toolbar.addAction(action)
        toolbar.addAction(self.refresh_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        toolbar.addWidget(spacer)
        toolbar.addAction(self.lock_action)
        toolbar.addAction(self.logout_action)
        self.addToolBar(toolbar)
        self.toolbar = toolbar
        self.view_menu.addAction(toolbar.toggleViewAction())

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.user_label = QLabel(f"{self.account.full_name} · {self.account.role.label}")
        self.user_label.setObjectName("StatusUser")
        self.database_label = QLabel(f"Database: {self.session.connection.label}")
        self.database_label.setObjectName("StatusDatabase")
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.database_label)
        if self.session.is_demo:
            demo = QLabel("DEMO")
            demo.setProperty("role", "demo-badge")
            demo.setToolTip("The demo database: made-up patients, nothing here is real.")
            bar.addPermanentWidget(demo)

    # -- behaviour ------------------------------------------------------------------

    def refresh(self) -> None:
        if not self.is_locked:
            self.home.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.home.refresh()
        if not self.is_locked:
            self.idle.start()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.lock_screen.setGeometry(self.rect())

    @property
    def is_locked(self) -> bool:
        return self.lock_screen.isVisible()

    def lock(self) -> None:
        """Cover the window; the content stays as it is, disabled, underneath."""
        if self.is_locked or self._ending:
            return
        self.idle.stop()
        focus = QApplication.focusWidget()
        self._focus_before_lock = focus if focus is not None and self.isAncestorOf(focus) else None
        self._enabled_before_lock = [
            action for action in self.findChildren(QAction) if action.isEnabled()
        ]
        for action in self._enabled_before_lock:
            action.setEnabled(False)
        for widget in (self.centralWidget(), self.menuBar(), self.toolbar):
            widget.setEnabled(False)
        # Open dialogs (a half-filled form) are hidden, not closed, and come back on unlock.
        self._dialogs_before_lock = [d for d in self.findChildren(QDialog) if d.isVisible()]
        for dialog in self._dialogs_before_lock:
            dialog.hide()
        self.lock_screen.activate()

    def _unlock(self) -> None:
        self.lock_screen.hide()
        for widget in (self.centralWidget(), self.menuBar(), self.toolbar):
            widget.setEnabled(True)
        for action in self._enabled_before_lock:
            action.setEnabled(True)
        self._enabled_before_lock = []
        for dialog in self._dialogs_before_lock:
            dialog.show()
        self._dialogs_before_lock = []
        if self._focus_before_lock is not None:
            self._focus_before_lock.setFocus(Qt.FocusReason.OtherFocusReason)
        self._focus_before_lock = None
        self.idle.start()
        self.home.refresh()  # the data may have moved on while the screen was locked

    def _try_unlock(self, password: str) -> None:
        account = self.account
        run_task(
            lambda: self._auth.unlock(account, password),
            self._unlock_checked,
            lambda error: self.lock_screen.show_error(describe_error(error)),
            receiver=self,
        )

    def _unlock_checked(self, ok: bool) -> None:
        if ok:
            self._unlock()
        else:
            self.lock_screen.show_error(f"That is not {first_name(self.account)}'s password.")

    def request_logout(self) -> None:
        if not self._ending:
            self.logout_requested.emit()

    def end_session(self) -> None:
        """Called by the shell before it closes this window for a logout."""
        self._ending = True
        self.idle.stop()

    def change_password(self) -> None:
        dialog = ChangePasswordDialog(
            self._auth,
            self.account,
            required=False,
            demo=self.session.is_demo,
            database=self.session.database,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.changed.connect(self._password_changed)
        dialog.finished.connect(self._password_dialog_closed)
        dialog.open()
        self.password_dialog = dialog

    def _password_dialog_closed(self, _result: int) -> None:
        self.password_dialog = None

    def _password_changed(self, _account: object) -> None:
        self.statusBar().showMessage("Your password was changed.", 10_000)

    def _toggle_full_screen(self, on: bool) -> None:
        if on:
            self.showFullScreen()
        else:
            self.showMaximized()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            window_title("About", demo=self.session.is_demo),
            f"<h3>{APP_TITLE} {__version__}</h3>"
            "<p>Reception, reporting and management for radiology clinics.</p>"
            f"<p>Clinic: {self.session.clinic.name}<br>"
            f"Database: {self.session.connection.label}<br>"
            f"Workstation: {self.session.workstation}</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        self.idle.stop()
        super().closeEvent(event)
        if not self._ending:
            self._ending = True
            self.closed.emit()
