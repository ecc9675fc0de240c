"""What the manager's services share: the manager check, the actor, auditing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import Role
from mic_desktop.services import audit
from mic_desktop.services.auth import Clock, StaffAccount, utc_now
from mic_desktop.services.errors import PermissionDeniedError

Row = TypeVar("Row")


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


class ManagerService:
    """Base of the administration services: a manager's session factory, audit, clock."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        actor: StaffAccount | None,
        workstation: str,
        clock: Clock = utc_now,
    ) -> None:
        require_manager(actor)
        self._sessions = session_factory
        self._actor = actor
        self._workstation = workstation
        self._clock: Callable[[], dt.datetime] = clock

    def _audit(
        self,
        session: Session,
        action: str,
        entity: str,
        entity_id: object,
        details: dict[str, Any] | None = None,
    ) -> None:
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

    @property
    def _actor_id(self) -> int | None:
        return self._actor.id if self._actor else None
