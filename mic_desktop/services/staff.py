"""Staff accounts: add, change role, reset password, disable (never the last manager)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import Role, StaffUser
from mic_desktop.services import audit
from mic_desktop.services.auth import StaffAccount
from mic_desktop.services.errors import NotFoundError, ServiceError, ValidationError
from mic_desktop.services.passwords import hash_password

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{1,63}$")


class LastManagerError(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            "This is the last active manager account: add another manager before "
            "disabling it or changing its role."
        )


class StaffService:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        actor: StaffAccount | None,
        workstation: str,
    ) -> None:
        self._sessions = session_factory
        self._actor = actor
        self._workstation = workstation

    def add(
        self,
        username: str,
        full_name: str,
        role: Role | str,
        password: str,
        *,
        must_change_password: bool = True,
        professional_title: str | None = None,
    ) -> StaffAccount:
        username = username.strip()
        if not _USERNAME.match(username):
            raise ValidationError(
                "A username starts with a letter and has 2-64 letters, digits, '.', '_' or '-'.",
                "username",
            )
        role = _role(role)
        full_name = full_name.strip() or username
        password_hash = hash_password(password)
        with self._sessions.begin() as session:
            if self._find(session, username) is not None:
                raise ValidationError(f"The username {username!r} is taken.", "username")
            user = StaffUser(
                username=username,
                full_name=full_name,
                role=role.value,
                password_hash=password_hash,
                must_change_password=must_change_password,
                professional_title=professional_title,
            )
            session.add(user)
            session.flush()
            self._audit(session, "staff_added", user, {"role": role.value})
            return StaffAccount.from_row(user)

    def set_password(self, username: str, password: str, *, must_change: bool = False) -> None:
        """Set a new password (a manager's reset passes ``must_change=True``)."""
        password_hash = hash_password(password)
        with self._sessions.begin() as session:
            user = self._get(session, username)
            user.password_hash = password_hash
            user.must_change_password = must_change
            user.failed_logins = 0
            user.locked_until = None
            self._audit(session, "password_reset", user, {"must_change": must_change})

    def disable(self, username: str) -> None:
        with self._sessions.begin() as session:
            user = self._get(session, username)
            if user.role == Role.MANAGER.value and user.is_active:
                self._refuse_last_manager(session, user)
            user.is_active = False
            self._audit(session, "staff_disabled", user)

    def enable(self, username: str) -> None:
        with self._sessions.begin() as session:
            user = self._get(session, username)
            user.is_active = True
            user.failed_logins = 0
            user.locked_until = None
            self._audit(session, "staff_enabled", user)

    def change_role(self, username: str, role: Role | str) -> None:
        role = _role(role)
        with self._sessions.begin() as session:
            user = self._get(session, username)
            if user.role == Role.MANAGER.value and role is not Role.MANAGER and user.is_active:
                self._refuse_last_manager(session, user)
            old = user.role
            user.role = role.value
            self._audit(session, "staff_role_changed", user, {"from": old, "to": role.value})

    def list_accounts(self) -> list[StaffAccount]:
        with self._sessions() as session:
            rows = session.scalars(select(StaffUser).order_by(StaffUser.full_name)).all()
            return [StaffAccount.from_row(row) for row in rows]

    def _refuse_last_manager(self, session: Session, user: StaffUser) -> None:
        # Lock every active manager row so two desks cannot each disable "the other" one.
        managers = session.scalars(
            select(StaffUser.id)
            .where(StaffUser.role == Role.MANAGER.value, StaffUser.is_active)
            .with_for_update()
        ).all()
        if set(managers) <= {user.id}:
            raise LastManagerError()

    @staticmethod
    def _find(session: Session, username: str) -> StaffUser | None:
        return session.scalars(
            select(StaffUser).where(func.lower(StaffUser.username) == username.strip().lower())
        ).one_or_none()

    def _get(self, session: Session, username: str) -> StaffUser:
        user = self._find(session, username)
        if user is None:
            raise NotFoundError(f"No staff account is called {username!r}.")
        return user

    def _audit(
        self, session: Session, action: str, user: StaffUser, details: dict | None = None
    ) -> None:
        audit.record(
            session,
            action,
            staff_id=self._actor.id if self._actor else None,
            username=self._actor.username if self._actor else "(command line)",
            entity="staff_user",
            entity_id=user.id,
            details={"username": user.username, **(details or {})},
            workstation=self._workstation,
        )


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError(
            f"Unknown role {role!r}: choose reception, radiologist or manager.", "role"
        ) from None
