"""The logged-in person's session: their account, their Database and the clinic settings.

Made at login and closed at logout: the engine and session factory belong to it,
never to a module global (see DESIGN.md, "Secrets and access"). Windows build the
services they need from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mic_desktop.db import Connection, Database
from mic_desktop.services.auth import AuthService, Clock, StaffAccount, utc_now
from mic_desktop.services.clinic import ClinicInfo, load_clinic_info
from mic_desktop.services.overview import OverviewService
from mic_desktop.services.worklist import WorklistService


@dataclass
class UserSession:
    account: StaffAccount
    database: Database
    clinic: ClinicInfo
    workstation: str
    clock: Clock = utc_now  # what "now" and "today" are for the services
    closed: bool = field(default=False, init=False)

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

    def close(self) -> None:
        """Dispose the person's engine (idempotent)."""
        if not self.closed:
            self.closed = True
            self.database.dispose()
