"""The DICOM service on the one PC the manager chose, while someone is logged in there.

:class:`DicomServiceJob` reads the DICOM settings after login (off the GUI thread); on
the PC they name it starts the worklist/MPPS service on its own database pool, and
stops it at logout or quit. Never on the demo database. A port already taken (say,
by ``mic-desktop dicom serve``) is logged, not shown: the scanners are answered anyway.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject

from mic_desktop.db import Database

from .session import UserSession
from .tasks import run_task

log = logging.getLogger(__name__)


class DicomServiceJob(QObject):
    """Starts and stops this PC's DICOM service with the logged-in session."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._running: tuple[object, Database] | None = None  # (DicomServer, its Database)
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

        def start_service() -> None:
            from mic_desktop.services.dicom.server import DicomServer
            from mic_desktop.services.dicom.settings import load_dicom_settings

            database = session_database.sibling()  # follows the person's password changes
            settings = load_dicom_settings(database.session_factory)
            if (settings.workstation or "").lower() != workstation.lower():
                database.dispose()
                return
            server = DicomServer(
                database.session_factory,
                ae_title=settings.ae_title,
                port=settings.port,
                workstation=workstation,
            )
            with self._lock:
                if generation != self._generation:  # logged out while starting
                    database.dispose()
                    return
                try:
                    server.start()
                except OSError as error:
                    database.dispose()
                    log.error("DICOM service not started on port %s: %s", settings.port, error)
                    return
                self._running = (server, database)

        run_task(
            start_service,
            on_error=lambda error: log.error("DICOM service did not start", exc_info=error),
        )

    def stop(self) -> None:
        with self._lock:
            self._generation += 1
            running, self._running = self._running, None
        if running is None:
            return
        server, database = running

        def stop_service() -> None:
            try:
                server.stop()  # type: ignore[attr-defined]
            finally:
                database.dispose()

        run_task(stop_service)
