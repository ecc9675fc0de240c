"""Logging in and out, account lock-out, unlocking an idle-locked screen.

Every login, failure and logout is written to the audit log with the workstation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import Role, StaffUser
from mic_desktop.services import audit
from mic_desktop.services.accounts.passwords import hash_password, needs_rehash, verify_password
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.errors import (
    AccountDisabledError,
    AccountLockedError,
    AuthenticationError,
    ValidationError,
)

MAX_FAILED_LOGINS = 5
LOCK_PERIOD = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class StaffAccount:
    """The logged-in person, detached from any database session."""

    id: int
    username: str
    full_name: str
    role: Role
    must_change_password: bool = False
    is_active: bool = True

    @classmethod
    def from_row(cls, row: StaffUser) -> StaffAccount:
        return cls(
            row.id,
            row.username,
            row.full_name,
            Role(row.role),
            row.must_change_password,
            row.is_active,
        )


class AuthService:
    def __init__(
        self, session_factory: sessionmaker[Session], workstation: str, clock: Clock = utc_now
    ) -> None:
        self._sessions = session_factory
        self._workstation = workstation
        self._clock = clock

    def _find(self, session: Session, username: str) -> StaffUser | None:
        return session.scalars(
            select(StaffUser)
            .where(func.lower(StaffUser.username) == username.strip().lower())
            .with_for_update()
        ).one_or_none()

    def login(self, username: str, password: str) -> StaffAccount:
        """Check the password; raise an :class:`AuthenticationError` subclass when refused."""
        now = self._clock()
        refusal: AuthenticationError | None = None
        with self._sessions() as session:
            user = self._find(session, username)
            if user is None:
                self._audit(session, "login_failed", None, username, {"reason": "unknown user"})
                refusal = AuthenticationError()
            elif user.locked_until is not None and user.locked_until > now:
                self._audit(session, "login_refused_locked", user, username)
                refusal = AccountLockedError(_locked_message(user.locked_until, now))
            elif not verify_password(user.password_hash, password):
                failures = user.failed_logins + 1
                values: dict[str, object] = {"failed_logins": failures}
                if failures >= MAX_FAILED_LOGINS:
                    values = {"failed_logins": 0, "locked_until": now + LOCK_PERIOD}
                    refusal = AccountLockedError(_locked_message(now + LOCK_PERIOD, now))
                    self._audit(session, "account_locked", user, username, {"failures": failures})
                else:
                    refusal = AuthenticationError()
                session.execute(update(StaffUser).where(StaffUser.id == user.id).values(**values))
                self._audit(session, "login_failed", user, username, {"failures": failures})
            elif not user.is_active:
                self._audit(session, "login_refused_disabled", user, username)
                refusal = AccountDisabledError(
                    "This account is disabled. Ask the practice manager to enable it."
                )
            else:
                values = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
                if needs_rehash(user.password_hash):
                    values["password_hash"] = hash_password(password)
                session.execute(update(StaffUser).where(StaffUser.id == user.id).values(**values))
                self._audit(session, "login", user, username)
                account = StaffAccount.from_row(user)
            session.commit()
        if refusal is not None:
            raise refusal
        return account

    def logout(self, account: StaffAccount, *, by: StaffAccount | None = None) -> None:
        """Record a logout; ``by`` is another person who logged out a locked session."""
        details = {"by": by.username} if by is not None and by.id != account.id else {}
        with self._sessions.begin() as session:
            audit.record(
                session,
                "logout",
                staff_id=account.id,
                username=account.username,
                entity="staff_user",
                entity_id=account.id,
                details=details,
                workstation=self._workstation,
            )

    def unlock(self, account: StaffAccount, password: str) -> bool:
        """True when ``password`` is the locked-screen owner's; failures are audited."""
        with self._sessions.begin() as session:
            user = session.get(StaffUser, account.id)
            ok = (
                user is not None
                and user.is_active
                and verify_password(user.password_hash, password)
            )
            self._audit(session, "unlock" if ok else "unlock_failed", user, account.username)
        return ok

    def verify_credentials(self, username: str, password: str, role: Role) -> StaffAccount:
        """Check another person's password and role without logging them in (authorisations)."""
        with self._sessions.begin() as session:
            user = self._find(session, username)
            ok = (
                user is not None
                and user.is_active
                and user.role == role.value
                and verify_password(user.password_hash, password)
            )
            action = "authorisation_given" if ok else "authorisation_failed"
            self._audit(session, action, user, username, {"role": role.value})
            account = StaffAccount.from_row(user) if ok and user is not None else None
        if account is None:
            raise AuthenticationError(f"Wrong username or password for a {role.label.lower()}.")
        return account

    def change_password(self, account: StaffAccount, current: str, new: str) -> StaffAccount:
        if current == new:
            raise ValidationError("Choose a password different from the current one.", "new")
        new_hash = hash_password(new)
        with self._sessions.begin() as session:
            user = session.get(StaffUser, account.id)
            if user is None or not verify_password(user.password_hash, current):
                raise AuthenticationError("The current password is wrong.")
            user.password_hash = new_hash
            user.must_change_password = False
            self._audit(session, "password_changed", user, user.username)
            session.flush()
            return StaffAccount.from_row(user)

    def _audit(
        self,
        session: Session,
        action: str,
        user: StaffUser | None,
        username: str,
        details: dict[str, object] | None = None,
    ) -> None:
        audit.record(
            session,
            action,
            staff_id=user.id if user else None,
            username=username.strip()[:64],
            entity="staff_user",
            entity_id=user.id if user else None,
            details=details,
            workstation=self._workstation,
        )


def _locked_message(until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, round((until - now).total_seconds() / 60))
    return (
        "Too many failed attempts: this account is locked for "
        f"{minutes} minute{'s' if minutes != 1 else ''}. Try again later or ask a manager."
    )
