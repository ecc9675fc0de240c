"""Declarative base, naming convention and shared column types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from sqlalchemy import DateTime, MetaData, Numeric, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Annotated[Decimal, mapped_column(Numeric(12, 2))]
UtcDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UtcDateTime,
        str: String(),
    }


def created_at_column() -> Mapped[dt.datetime]:
    return mapped_column(UtcDateTime, server_default=func.now(), nullable=False)


def enum_check(values: type) -> str:
    """SQL list for a CHECK constraint over a StrEnum's values."""
    return ", ".join(f"'{member.value}'" for member in values)  # type: ignore[attr-defined]
