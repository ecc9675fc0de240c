"""What every clinic service holds: the session factory, who acts, where, and the clock.

:class:`ManagerService` is the base of the administration services: only a manager (or
the command line) may act through them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import Role
from mic_desktop.services import audit
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.errors import PermissionDeniedError
from mic_desktop.services.text_checks import refuse_unstorable_text  # noqa: F401 (a flush guard)

if TYPE_CHECKING:
    from mic_desktop.services.accounts.auth import StaffAccount

Row = TypeVar("Row")


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

    def now(self) -> dt.datetime:
        """The current instant by this service's clock (what its rules compare with)."""
        return self._clock()

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


def require_manager(actor: StaffAccount | None) -> None:
    """Refuse anyone but an active manager (``None`` is the command line, run by an admin)."""
    if actor is not None and actor.role is not Role.MANAGER:
        raise PermissionDeniedError("Only a practice manager may do this.")


def lock_row(session: Session, model: type[Row], record_id: int) -> Row | None:
    """The row by id, locked FOR UPDATE (only its own table, not its joined relations)."""
    key = model.id  # type: ignore[attr-defined]
    return session.scalars(
        select(model).where(key == record_id).with_for_update(of=model)
    ).one_or_none()


class ManagerService(ClinicService):
    """Base of the administration services: only a manager (or the command line) may act."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        actor: StaffAccount | None,
        workstation: str,
        clock: Clock = utc_now,
    ) -> None:
        require_manager(actor)
        super().__init__(session_factory, actor, workstation, clock)

    _audit = ClinicService._audit_change

    @property
    def _actor_id(self) -> int | None:
        return self._actor.id if self._actor else None
