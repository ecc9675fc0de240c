"""Staff accounts and their roles."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from mic_desktop.models.base import Base, created_at_column, enum_check


class Role(StrEnum):
    RECEPTION = "reception"
    RADIOLOGIST = "radiologist"
    MANAGER = "manager"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class LoginSettings(Base):
    """How the people's PostgreSQL logins are named: ``prefix`` + lower-case username."""

    __tablename__ = "login_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("prefix ~ '^[a-z][a-z0-9_]*$'", name="prefix"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    prefix: Mapped[str] = mapped_column(String(40))


class StaffUser(Base):
    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint(f"role IN ({enum_check(Role)})", name="role"),
        Index("uq_staff_user_username_lower", text("lower(username)"), unique=True),
        Index("uq_staff_user_db_role", "db_role", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    # The person's PostgreSQL login, made and kept in step by a trigger (revision 0011);
    # the server keeps the password.
    db_role: Mapped[str | None] = mapped_column(String(63))
    has_password: Mapped[bool] = mapped_column(default=False)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    # Registration number or qualifications printed under a radiologist's signature.
    professional_title: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = created_at_column()
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def role_enum(self) -> Role:
        return Role(self.role)
