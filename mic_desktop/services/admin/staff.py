"""Staff accounts: add, change role, reset password, disable (never the last manager)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.db_access import scram_verifier
from mic_desktop.models import Role, StaffUser
from mic_desktop.services import audit
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.accounts.passwords import check_password_strength
from mic_desktop.services.base import require_manager
from mic_desktop.services.errors import NotFoundError, ServiceError, ValidationError
from mic_desktop.services.live import LiveChannel, notify
from mic_desktop.services.records import check_version

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{1,63}$")


class LastManagerError(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            "This is the last active manager account: add another manager before "
            "disabling it or changing its role."
        )


@dataclass(frozen=True)
class StaffListing:
    """One line of the manager's staff list."""

    id: int
    username: str
    full_name: str
    role: Role
    professional_title: str | None
    is_active: bool
    must_change_password: bool
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    version: int

    @classmethod
    def from_row(cls, row: StaffUser) -> StaffListing:
        return cls(
            row.id,
            row.username,
            row.full_name,
            Role(row.role),
            row.professional_title,
            row.is_active,
            row.must_change_password,
            row.locked_until,
            row.last_login_at,
            row.version,
        )


class StaffService:
    """Staff accounts, for a manager (or ``actor=None``: the command line)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        actor: StaffAccount | None,
        workstation: str,
    ) -> None:
        require_manager(actor)
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
        check_password_strength(password)
        with self._sessions.begin() as session:
            if self._find(session, username) is not None:
                raise ValidationError(f"The username {username!r} is taken.", "username")
            user = StaffUser(
                username=username,
                full_name=full_name,
                role=role.value,
                must_change_password=must_change_password,
                professional_title=professional_title,
            )
            session.add(user)
            try:
                session.flush()  # the database makes the person's login here
            except DBAPIError as error:
                if getattr(error.orig, "sqlstate", None) != "42710":  # duplicate_object
                    raise
                raise ValidationError(
                    f"The database server already has a login named like {username!r}: "
                    "choose another username.",
                    "username",
                ) from None
            _set_login_password(session, user, password, must_change=must_change_password)
            self._audit(session, "staff_added", user, {"role": role.value})
            return StaffAccount.from_row(user)

    def set_password(self, username: str, password: str, *, must_change: bool = False) -> None:
        """Set a new password (a manager's reset passes ``must_change=True``)."""
        check_password_strength(password)
        with self._sessions.begin() as session:
            user = self._get(session, username)
            _set_login_password(session, user, password, must_change=must_change)
            self._audit(session, "password_reset", user, {"must_change": must_change})

    def reset_password(self, username: str, temporary_password: str) -> None:
        """A manager's reset: a temporary password that must be changed at the next login."""
        self.set_password(username, temporary_password, must_change=True)

    def update_details(
        self,
        username: str,
        *,
        full_name: str,
        professional_title: str | None,
        expected_version: int,
    ) -> StaffListing:
        """The name shown in windows and the title printed under a radiologist's signature."""
        full_name = full_name.strip()
        if not full_name:
            raise ValidationError("Enter the person's full name.", "full_name")
        if len(full_name) > 120:
            raise ValidationError(
                "The full name is too long (120 characters at most).", "full_name"
            )
        title = (professional_title or "").strip() or None
        if title is not None and len(title) > 120:
            raise ValidationError("The title is too long (120 characters at most).", "title")
        with self._sessions.begin() as session:
            user = self._get(session, username, lock=True)
            check_version(
                session,
                user.version,
                expected_version,
                f"The account {user.username}",
                "staff_user",
                user.id,
            )
            before = {"full_name": user.full_name, "professional_title": user.professional_title}
            user.full_name, user.professional_title = full_name, title
            session.flush()
            self._audit(session, "staff_details_changed", user, {"before": before})
            return StaffListing.from_row(user)

    def list_staff(self) -> list[StaffListing]:
        """Every account, active ones first, by name."""
        with self._sessions() as session:
            rows = session.scalars(
                select(StaffUser).order_by(StaffUser.is_active.desc(), StaffUser.full_name)
            ).all()
            return [StaffListing.from_row(row) for row in rows]

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

    def _get(self, session: Session, username: str, *, lock: bool = False) -> StaffUser:
        query = select(StaffUser).where(func.lower(StaffUser.username) == username.strip().lower())
        user = session.scalars(query.with_for_update() if lock else query).one_or_none()
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
        notify(session, LiveChannel.STAFF, user.id)


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError(
            f"Unknown role {role!r}: choose reception, radiologist or manager.", "role"
        ) from None


def _set_login_password(
    session: Session, user: StaffUser, password: str, *, must_change: bool
) -> None:
    """Give the person's database login ``password`` (as a SCRAM verifier made here)."""
    login = session.scalar(text("SELECT mic_login_role(:u)"), {"u": user.username})
    verifier = scram_verifier(session.connection(), password, str(login))
    session.execute(
        text("SELECT mic_set_login_password(:id, :v, :m)"),
        {"id": user.id, "v": verifier, "m": must_change},
    )
    session.refresh(user)
