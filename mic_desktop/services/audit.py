"""Writing the append-only audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from mic_desktop.models import AuditLog


def record(
    session: Session,
    action: str,
    *,
    staff_id: int | None = None,
    username: str | None = None,
    entity: str | None = None,
    entity_id: object = None,
    details: dict[str, Any] | None = None,
    workstation: str | None = None,
) -> AuditLog:
    """Add an audit row to ``session``; it commits with the change it describes."""
    row = AuditLog(
        action=action,
        staff_id=staff_id,
        username=username,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        details=details or {},
        workstation=workstation,
    )
    session.add(row)
    return row
