"""What the manager's services share: the manager check, the actor, auditing."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import Role
from mic_desktop.services.auth import Clock, StaffAccount, utc_now
from mic_desktop.services.base import ClinicService
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
