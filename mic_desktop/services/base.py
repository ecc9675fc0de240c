"""What every clinic service holds: the session factory, who acts, where, and the clock."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.services import audit
from mic_desktop.services.auth import Clock, StaffAccount, utc_now


class ClinicService:
    """Base of the services: each public method is one short transaction of its own.

    ``actor`` is the logged-in person (``None`` only for the command line, run by an
    administrator); ``workstation`` is written to the audit and access logs.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        actor: StaffAccount | None,
        workstation: str,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = session_factory
        self._actor = actor
        self._workstation = workstation
        self._clock = clock

    def _audit_change(
        self,
        session: Session,
        action: str,
        entity: str,
        entity_id: object,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Audit a change in the same transaction as the change."""
        audit.record(
            session,
            action,
            staff_id=self._actor.id if self._actor else None,
            username=self._actor.username if self._actor else "(command line)",
            entity=entity,
            entity_id=entity_id,
            details=details,
            workstation=self._workstation,
        )
