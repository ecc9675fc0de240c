"""What the desktop app runs beside the windows while someone is logged in.

:class:`NotificationJobs` starts this PC's :class:`~mic_desktop.worker.NotificationWorker`
(reminders and the outbox; every front-desk PC runs them, PostgreSQL makes sure each
message goes out once) on its own engine, and stops it at logout or quit. Both happen
off the GUI thread: starting reads the keyring, stopping may wait up to 15 s for a
message being sent. Never on the demo database, whose made-up patients have
real-looking phone numbers.

:func:`check_clock` compares this PC's clock with the database server's after login
and shows a warning in the role window's status bar when they differ by more than a
minute (appointment times and reminders depend on it).
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

from mic_desktop import diagnostics
from mic_desktop.db import Database

from .colours import ERROR_TEXT
from .session import UserSession
from .tasks import run_task
from .window import RoleWindow

log = logging.getLogger(__name__)


class NotificationJobs(QObject):
    """Starts and stops the notification worker of the logged-in session."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._running: tuple[object, Database] | None = None  # (worker, its Database)
        self._generation = 0

    @property
    def running(self) -> bool:
        with self._lock:
            return self._running is not None

    def start(self, session: UserSession) -> None:
        if session.is_demo:
            return
        self._generation += 1
        generation, session_database, workstation = (
            self._generation,
            session.database,
            session.workstation,
        )

        def start_worker() -> None:
            from mic_desktop.worker import NotificationWorker

            database = session_database.sibling()  # its own pool: sending never starves windows
            worker = NotificationWorker.from_settings(database.session_factory, workstation)
            with self._lock:
                if generation != self._generation:  # logged out while starting
                    database.dispose()
                    return
                self._running = (worker, database)
            worker.start()
            log.info("Notification jobs running on this PC")

        run_task(
            start_worker,
            on_error=lambda error: log.error("Notification jobs did not start", exc_info=error),
        )

    def stop(self) -> None:
        """Stop the jobs off the GUI thread (a message being sent finishes first)."""
        with self._lock:
            self._generation += 1
            running, self._running = self._running, None
        if running is None:
            return
        worker, database = running

        def stop_worker() -> None:
            try:
                worker.stop()  # type: ignore[attr-defined]
            finally:
                database.dispose()

        run_task(stop_worker)


def check_clock(session: UserSession, window: RoleWindow) -> None:
    """Warn in the status bar when this PC's clock is off by more than a minute."""
    engine = session.database.engine

    def measure() -> str | None:
        return diagnostics.clock_warning(diagnostics.clock_offset(engine))

    def show(warning: str | None) -> None:
        if warning is None:
            return
        label = QLabel(f"⚠ {warning}")
        label.setObjectName("ClockWarning")
        label.setStyleSheet(f"color:{ERROR_TEXT};font-weight:600")
        label.setToolTip(warning)
        window.statusBar().insertPermanentWidget(0, label, 1)
        window.clock_warning = label  # type: ignore[attr-defined]

    run_task(
        measure, show, lambda error: log.warning("Clock check failed: %s", error), receiver=window
    )
