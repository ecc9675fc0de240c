"""The record of each backup: when, which PC, the file's size and SHA-256, and whether
restoring it into a scratch database gave back what was copied."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from mic_desktop.models.base import Base, enum_check


class BackupKind(StrEnum):
    MANUAL = "manual"  # "Back up now" or ``mic-desktop backup FILE``
    SCHEDULED = "scheduled"  # the daily job


class BackupState(StrEnum):
    RUNNING = "running"
    VERIFIED = "verified"  # restored into a scratch database and found identical
    FAILED = "failed"  # not written, or written but not restorable or not identical


class BackupRecord(Base):
    __tablename__ = "backup_record"
    __table_args__ = (
        CheckConstraint(f"kind IN ({enum_check(BackupKind)})", name="kind"),
        CheckConstraint(f"status IN ({enum_check(BackupState)})", name="status"),
        CheckConstraint("kind = 'scheduled' OR scheduled_day IS NULL", name="scheduled_day"),
        # One daily backup per clinic day that is running or done; failed ones may be retried.
        Index(
            "ux_backup_record_scheduled_day",
            "scheduled_day",
            unique=True,
            postgresql_where=text("scheduled_day IS NOT NULL AND status <> 'failed'"),
        ),
        Index("ix_backup_record_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=BackupState.RUNNING.value)
    scheduled_day: Mapped[dt.date | None]  # the clinic day a daily backup was made for
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    workstation: Mapped[str] = mapped_column(String(100))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    file_path: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    server_version: Mapped[str | None] = mapped_column(String(80))
    tools: Mapped[str | None] = mapped_column(Text)  # which pg_dump, where
    dump_seconds: Mapped[float | None] = mapped_column(Float)
    verify_seconds: Mapped[float | None] = mapped_column(Float)
    verified_on: Mapped[str | None] = mapped_column(Text)  # the scratch server
    verified_at: Mapped[dt.datetime | None]
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # Row counts and checksums read in the dump's own snapshot: what a restore must give back.
    contents: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    removed_at: Mapped[dt.datetime | None]  # the daily job deleted the file (keep last N)
