"""The logged-in person's session: their account, their Database and the clinic settings.

Made at login and closed at logout: the engine and session factory belong to it,
never to a module global (see DESIGN.md, "Secrets and access"). Windows build the
services they need from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mic_desktop.db import Connection, Database
from mic_desktop.services.accounts.auth import AuthService, StaffAccount
from mic_desktop.services.analytics.overview import OverviewService
from mic_desktop.services.clinic import ClinicInfo, load_clinic_info
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.reporting.worklist import WorklistService

if TYPE_CHECKING:
    from mic_desktop.ui.common.changes import Changes
    from mic_desktop.ui.common.live import LiveUpdates


@dataclass
class UserSession:
    account: StaffAccount
    database: Database
    clinic: ClinicInfo
    workstation: str
    clock: Clock = utc_now  # what "now" and "today" are for the services
    closed: bool = field(default=False, init=False)
    _live: LiveUpdates | None = field(default=None, init=False, repr=False)
    _changes: Changes | None = field(default=None, init=False, repr=False)
    _stop_watching: Callable[[], None] | None = field(default=None, init=False, repr=False)

    @classmethod
    def open(
        cls,
        account: StaffAccount,
        connection: Connection,
        workstation: str,
        clock: Clock = utc_now,
    ) -> UserSession:
        """Connect for ``account`` and read the clinic settings (call it off the GUI thread)."""
        database = Database(connection)
        try:
            clinic = load_clinic_info(database.session_factory)
        except Exception:
            database.dispose()
            raise
        return cls(account, database, clinic, workstation, clock)

    @property
    def connection(self) -> Connection:
        return self.database.connection

    @property
    def is_demo(self) -> bool:
        return self.database.connection.is_demo

    def auth_service(self) -> AuthService:
        return AuthService(self.database.session_factory, self.workstation, self.clock)

    def overview_service(self) -> OverviewService:
        return OverviewService(self.database.session_factory, self.clinic.zone, self.clock)

    def worklist_service(self) -> WorklistService:
        return WorklistService(
            self.database.session_factory, self.account, self.workstation, self.clock
        )

    @property
    def live(self) -> LiveUpdates:
        """Changes from other desks (started on first use; use it on the GUI thread)."""
        if self._live is None:
            from mic_desktop.ui.common.live import LiveUpdates

            self._live = LiveUpdates(self.database.connection.url)
            self._live.start()
        return self._live

    @property
    def changes(self) -> Changes:
        """The one change signal views subscribe to: this PC's commits and the other desks'.

        Made on first use (on the GUI thread); it starts the live updates too.
        """
        if self._changes is None:
            from mic_desktop.services.live import watch_commits
            from mic_desktop.ui.common.changes import Changes

            changes = Changes()
            self._stop_watching = watch_commits(self.database.session_factory, changes.committed)
            live = self.live
            live.changed.connect(changes.from_other_desks)
            live.reset.connect(changes.reset)
            self._changes = changes
        return self._changes

    def close(self) -> None:
        """Stop live updates and dispose the person's engine (idempotent)."""
        if not self.closed:
            self.closed = True
            if self._stop_watching is not None:
                self._stop_watching()
                self._stop_watching = None
            if self._changes is not None:
                self._changes.deleteLater()
                self._changes = None
            if self._live is not None:
                self._live.stop()
                self._live.deleteLater()
                self._live = None
            self.database.dispose()
