"""The append-only audit log.

UPDATE, DELETE and TRUNCATE are refused by a trigger for every role (the owner
included); on a clinic server the application role also lacks the privileges.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from mic_desktop.models.base import Base, created_at_column


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_entity", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = created_at_column()
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    username: Mapped[str | None] = mapped_column(String(64))  # as typed, even when unknown
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity: Mapped[str | None] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    workstation: Mapped[str | None] = mapped_column(String(64))
    # Stamped by the database (revision 0011): the PostgreSQL login that wrote the row,
    # which the client cannot choose, and its transaction (a change and its row records).
    db_user: Mapped[str | None] = mapped_column(Text, server_default=text("SESSION_USER"))
    txid: Mapped[int | None] = mapped_column(
        BigInteger, server_default=text("txid_current()"), index=True
    )
