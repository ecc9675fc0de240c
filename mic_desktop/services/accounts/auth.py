"""Logging in and out, account lock-out, unlocking an idle-locked screen, authorisations.

PostgreSQL checks every password (each person is a login role, see
:mod:`mic_desktop.services.accounts.logins`); the database counts failures, locks
accounts and writes every login, failure and logout to the audit log with the
workstation. A failed login's typed name is never stored unless it is an account.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import URL, text
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.db_access import scram_verifier
from mic_desktop.models import Role, StaffUser
from mic_desktop.services import audit
from mic_desktop.services.accounts import logins
from mic_desktop.services.accounts.passwords import check_password_strength
from mic_desktop.services.clock import Clock, utc_now
from mic_desktop.services.errors import (
    AccountLockedError,
    AuthenticationError,
    ValidationError,
)

log = logging.getLogger(__name__)

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
    """Logins checked by PostgreSQL; failures counted and audited by the database.

    ``session_factory`` is the workstation's connection before login (the pre-login
    role) or a person's own session; either may record failures, and its server is
    the one people log in to.
    """

    def __init__(
        self, session_factory: sessionmaker[Session], workstation: str, clock: Clock = utc_now
    ) -> None:
        self._sessions = session_factory
        self._workstation = workstation
        self._clock = clock
        self._urls: dict[int, URL] = {}

    def login(self, username: str, password: str) -> StaffAccount:
        """Log in as ``username``; raise an :class:`AuthenticationError` subclass when refused.

        Unknown names, wrong passwords and locked or disabled accounts cost the same
        three round trips, and none of them says which it was.
        """
        username = username.strip()
        with self._sessions.begin() as session:
            session.execute(text("SELECT mic_login_check(:u)"), {"u": username})
            role = logins.login_role(session, username)
        url = logins.person_url(logins.bind_url(self._sessions), role, password)
        try:
            with logins.connected_as(url) as person:
                staff_id = person.scalar(
                    text("SELECT mic_login_succeeded(:w, 'login')"), {"w": self._workstation}
                )
                account = StaffAccount.from_row(person.get_one(StaffUser, staff_id))
                person.commit()
        except logins.LoginRefused:
            raise self._failed(username, "login") from None
        self._urls[account.id] = url
        return account

    def take_login_url(self, account: StaffAccount) -> URL:
        """Where ``account``'s own session connects (their login and password); the
        service forgets it: the session keeps it from here on."""
        return self._urls.pop(account.id)

    def logout(self, account: StaffAccount, *, by: StaffAccount | None = None) -> None:
        """Record a logout; ``by`` is another person who logged out a locked session."""
        details = {"by": by.username} if by is not None and by.id != account.id else {}
        url = self._urls.pop(account.id, None)
        if url is None:
            with self._sessions.begin() as session:
                self._record_logout(session, account, details)
            return
        try:
            with logins.connected_as(url) as person:
                self._record_logout(person, account, details)
                person.commit()
        except logins.LoginRefused:  # the password changed elsewhere meanwhile
            log.info("logout of %s not recorded: their password changed", account.username)

    def _record_logout(self, session: Session, account: StaffAccount, details: dict) -> None:
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
        """True when ``password`` is the locked-screen owner's; failures count and are audited."""
        try:
            self._confirm(account.username, password, "unlock")
        except AuthenticationError:
            return False
        return True

    def verify_credentials(self, username: str, password: str, role: Role) -> StaffAccount:
        """Check another person's password and role without logging them in (authorisations).

        The authorising person's own login records the authorisation, so a locked or
        disabled account authorises nothing.
        """
        refusal = AuthenticationError(f"Wrong username or password for a {role.label.lower()}.")
        try:
            account = self._confirm(username, password, "authorisation", role)
        except AccountLockedError:
            raise
        except AuthenticationError:
            raise refusal from None
        return account

    def _confirm(
        self, username: str, password: str, path: str, role: Role | None = None
    ) -> StaffAccount:
        username = username.strip()
        with self._sessions.begin() as session:
            session.execute(text("SELECT mic_login_check(:u)"), {"u": username})
            login = logins.login_role(session, username)
        url = logins.person_url(logins.bind_url(self._sessions), login, password)
        try:
            with logins.connected_as(url) as person:
                staff_id = person.scalar(text("SELECT mic_current_staff_id()"))
                account = StaffAccount.from_row(person.get_one(StaffUser, staff_id))
                if role is not None and account.role is not role:
                    audit.record(
                        person,
                        f"{path}_failed",
                        staff_id=account.id,
                        username=account.username,
                        entity="staff_user",
                        entity_id=account.id,
                        details={"reason": f"not a {role.value}"},
                        workstation=self._workstation,
                    )
                    person.commit()
                    raise AuthenticationError()
                person.execute(
                    text("SELECT mic_login_succeeded(:w, :p)"), {"w": self._workstation, "p": path}
                )
                person.commit()
        except logins.LoginRefused:
            raise self._failed(username, path) from None
        return account

    def change_password(self, account: StaffAccount, current: str, new: str) -> StaffAccount:
        """Change one's own password: the server checks ``current``, then keeps only a verifier."""
        if current == new:
            raise ValidationError("Choose a password different from the current one.", "new")
        check_password_strength(new)
        with self._sessions() as session:
            login = logins.login_role(session, account.username)
        url = logins.person_url(logins.bind_url(self._sessions), login, current)
        try:
            with logins.connected_as(url) as person:
                verifier = scram_verifier(person.connection(), new, login)
                person.execute(text("SELECT mic_change_own_password(:v)"), {"v": verifier})
                user = person.get_one(StaffUser, account.id)
                audit.record(
                    person,
                    "password_changed",
                    staff_id=user.id,
                    username=user.username,
                    entity="staff_user",
                    entity_id=user.id,
                    workstation=self._workstation,
                )
                person.flush()
                person.refresh(user)
                changed = StaffAccount.from_row(user)
                person.commit()
        except logins.LoginRefused:
            raise AuthenticationError("The current password is wrong.") from None
        if account.id in self._urls:
            self._urls[account.id] = logins.person_url(url, login, new)
        return changed

    def _failed(self, username: str, path: str) -> AuthenticationError:
        """Count and audit a refused password; the error to raise."""
        with self._sessions.begin() as session:
            outcome = str(
                session.scalar(
                    text("SELECT mic_login_failed(:u, :w, :p)"),
                    {"u": username, "w": self._workstation, "p": path},
                )
            )
        if outcome.startswith("locked"):
            minutes = int(outcome.partition(":")[2] or LOCK_PERIOD.total_seconds() // 60)
            return AccountLockedError(_locked_message(minutes))
        return AuthenticationError()


def _locked_message(minutes: int) -> str:
    minutes = max(1, minutes)
    return (
        "Too many failed attempts: this account is locked for "
        f"{minutes} minute{'s' if minutes != 1 else ''}. Try again later or ask a manager."
    )
