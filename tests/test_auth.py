"""Login, lock-out, disabled accounts, password changes and their audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from mic_desktop.db import Database
from mic_desktop.models import AuditLog, Role, StaffUser
from mic_desktop.services.accounts.auth import (
    MAX_FAILED_LOGINS,
    AuthService,
    StaffAccount,
)
from mic_desktop.services.admin.staff import LastManagerError, StaffService
from mic_desktop.services.errors import (
    AccountLockedError,
    AuthenticationError,
    ValidationError,
)
from tests.conftest import TEST_PASSWORD


def _audit_actions(database: Database, username: str) -> list[tuple[str, str | None]]:
    with database.session() as session:
        rows = session.execute(
            select(AuditLog.action, AuditLog.workstation)
            .where(AuditLog.username == username)
            .order_by(AuditLog.id)
        ).all()
    return [(row.action, row.workstation) for row in rows]


@pytest.mark.parametrize("role", list(Role))
def test_login_returns_the_account_with_its_role(
    database: Database, staff: dict[str, StaffAccount], role: Role
) -> None:
    auth = AuthService(database.session_factory, "desk-1")
    account = auth.login(f"{role.value}1".upper(), TEST_PASSWORD)  # usernames ignore case
    assert account.role is role
    assert account.id == staff[role.value].id
    assert _audit_actions(database, f"{role.value}1") == [("login", "desk-1")]


def test_wrong_password_and_unknown_user_give_the_same_message(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    auth = AuthService(database.session_factory, "desk-1")
    with pytest.raises(AuthenticationError) as wrong_password:
        auth.login("reception1", "not-the-password")
    with pytest.raises(AuthenticationError) as unknown_user:
        auth.login("nobody", TEST_PASSWORD)
    assert str(wrong_password.value) == str(unknown_user.value) == "Wrong username or password."
    assert _audit_actions(database, "reception1") == [("login_failed", "desk-1")]
    # A name that is no account is never stored: it may be a password typed in the wrong box.
    assert _audit_actions(database, "nobody") == []
    with database.session() as session:
        unknown = session.scalars(
            select(AuditLog).where(AuditLog.action == "login_failed", AuditLog.staff_id.is_(None))
        ).one()
    assert (unknown.username, unknown.workstation) == (None, "desk-1")
    assert unknown.details == {"reason": "unknown user", "path": "login"}


def test_five_failures_lock_the_account_for_fifteen_minutes(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    auth = AuthService(database.session_factory, "desk-1")
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthenticationError) as error:
            auth.login("reception1", "wrong-password")
        assert not isinstance(error.value, AccountLockedError)
    with pytest.raises(AccountLockedError, match="locked for 15 minutes"):
        auth.login("reception1", "wrong-password")
    _lock_ends_in(database, "reception1", dt.timedelta(seconds=50))  # the server's clock
    with pytest.raises(AccountLockedError, match="1 minute"):
        auth.login("reception1", TEST_PASSWORD)  # the right password does not open a lock
    _lock_ends_in(database, "reception1", -dt.timedelta(seconds=1))
    assert auth.login("reception1", TEST_PASSWORD).username == "reception1"
    actions = [action for action, _ in _audit_actions(database, "reception1")]
    assert actions.count("login_failed") == MAX_FAILED_LOGINS
    assert "account_locked" in actions
    assert actions[-2:] == ["login_refused_locked", "login"]
    with database.session() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.username == "reception1")).one()
        assert user.failed_logins == 0
        assert user.version == 1  # login bookkeeping never makes a manager's edit stale


def _lock_ends_in(database: Database, username: str, delta: dt.timedelta) -> None:
    """Move a lock's end (PostgreSQL times the lock-out, so the test moves the lock)."""
    with database.session() as session:
        session.execute(
            text("UPDATE staff_user SET locked_until = now() + :d WHERE username = :u"),
            {"d": delta, "u": username},
        )


def test_a_success_resets_the_failure_count(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    auth = AuthService(database.session_factory, "desk-1")
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthenticationError):
            auth.login("reception1", "wrong-password")
    auth.login("reception1", TEST_PASSWORD)
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthenticationError) as error:
            auth.login("reception1", "wrong-password")
        assert not isinstance(error.value, AccountLockedError)


def test_disabled_account_cannot_log_in(database: Database, staff: dict[str, StaffAccount]) -> None:
    StaffService(database.session_factory, actor=None, workstation="desk-1").disable("reception1")
    auth = AuthService(database.session_factory, "desk-1")
    with pytest.raises(AuthenticationError, match="Wrong username or password"):
        auth.login("reception1", TEST_PASSWORD)  # never says whether the password was right
    assert _audit_actions(database, "reception1")[-1] == ("login_refused_disabled", "desk-1")
    StaffService(database.session_factory, actor=None, workstation="desk-1").enable("reception1")
    assert auth.login("reception1", TEST_PASSWORD).is_active


def test_flagged_account_must_change_its_password(database: Database) -> None:
    service = StaffService(database.session_factory, actor=None, workstation="desk-1")
    service.add("newbie", "New Person", Role.RECEPTION, "first-password-1")
    auth = AuthService(database.session_factory, "desk-1")
    account = auth.login("newbie", "first-password-1")
    assert account.must_change_password
    with pytest.raises(AuthenticationError, match="current password"):
        auth.change_password(account, "not-it-at-all", "second-password-2")
    with pytest.raises(ValidationError, match="at least 8"):
        auth.change_password(account, "first-password-1", "short")
    changed = auth.change_password(account, "first-password-1", "second-password-2")
    assert not changed.must_change_password
    assert not auth.login("newbie", "second-password-2").must_change_password
    with pytest.raises(AuthenticationError):
        auth.login("newbie", "first-password-1")


def test_unlock_and_logout_are_audited(database: Database, staff: dict[str, StaffAccount]) -> None:
    auth = AuthService(database.session_factory, "desk-2")
    account = auth.login("radiologist1", TEST_PASSWORD)
    assert not auth.unlock(account, "wrong-password")
    assert auth.unlock(account, TEST_PASSWORD)
    auth.logout(account, by=staff["manager"])
    assert [a for a, _ in _audit_actions(database, "radiologist1")] == [
        "login",
        "unlock_failed",
        "unlock",
        "logout",
    ]


def test_manager_authorisation_checks_role_and_password(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    auth = AuthService(database.session_factory, "desk-1")
    assert auth.verify_credentials("manager1", TEST_PASSWORD, Role.MANAGER).role is Role.MANAGER
    with pytest.raises(AuthenticationError, match="manager"):
        auth.verify_credentials("reception1", TEST_PASSWORD, Role.MANAGER)
    with pytest.raises(AuthenticationError):
        auth.verify_credentials("manager1", "wrong-password", Role.MANAGER)
    assert _audit_actions(database, "manager1")[-1] == ("authorisation_failed", "desk-1")


def test_passwords_are_kept_by_the_server_as_scram_verifiers(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    with database.session() as session:
        columns = session.scalars(
            text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'staff_user'"
            )
        ).all()
        verifiers = session.scalars(
            text("SELECT a.rolpassword FROM pg_authid a JOIN staff_user s ON s.db_role = a.rolname")
        ).all()
    assert {c for c in columns if "password" in c} == {"must_change_password", "has_password"}
    assert len(verifiers) == 3 and all(v.startswith("SCRAM-SHA-256$4096:") for v in verifiers)
    assert all(TEST_PASSWORD not in v for v in verifiers)


def test_unlock_and_authorisation_count_failures_and_a_locked_account_authorises_nothing(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    auth = AuthService(database.session_factory, "desk-3")
    account = auth.login("reception1", TEST_PASSWORD)
    for _ in range(MAX_FAILED_LOGINS):
        assert not auth.unlock(account, "wrong-password")
    assert not auth.unlock(account, TEST_PASSWORD)  # locked now: the right one fails too
    actions = [action for action, _ in _audit_actions(database, "reception1")]
    assert actions.count("unlock_failed") == MAX_FAILED_LOGINS
    assert "account_locked" in actions
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthenticationError) as error:
            auth.verify_credentials("manager1", "wrong-password", Role.MANAGER)
        assert not isinstance(error.value, AccountLockedError)
    with pytest.raises(AccountLockedError):
        auth.verify_credentials("manager1", "wrong-password", Role.MANAGER)
    with pytest.raises(AccountLockedError):
        auth.verify_credentials("manager1", TEST_PASSWORD, Role.MANAGER)
    manager_actions = [action for action, _ in _audit_actions(database, "manager1")]
    assert manager_actions.count("authorisation_failed") == MAX_FAILED_LOGINS
    assert "authorisation_given" not in manager_actions
    with pytest.raises(AuthenticationError):
        auth.verify_credentials("nobody", "whatever-1", Role.MANAGER)
    assert _audit_actions(database, "nobody") == []


def test_last_active_manager_cannot_be_disabled_or_demoted(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    service = StaffService(database.session_factory, actor=staff["manager"], workstation="desk-1")
    with pytest.raises(LastManagerError):
        service.disable("manager1")
    with pytest.raises(LastManagerError):
        service.change_role("manager1", Role.RECEPTION)
    service.add("manager2", "Second Manager", Role.MANAGER, TEST_PASSWORD)
    service.disable("manager1")
    with pytest.raises(LastManagerError):
        service.disable("manager2")


def test_usernames_are_validated_and_unique(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    service = StaffService(database.session_factory, actor=None, workstation="desk-1")
    with pytest.raises(ValidationError, match="taken"):
        service.add("Reception1", "Someone", Role.RECEPTION, TEST_PASSWORD)
    with pytest.raises(ValidationError, match="username"):
        service.add("1 bad name", "Someone", Role.RECEPTION, TEST_PASSWORD)
    with pytest.raises(ValidationError, match="role"):
        service.add("okname", "Someone", "janitor", TEST_PASSWORD)


def test_a_username_whose_login_exists_on_the_server_is_refused(
    database: Database, staff: dict[str, StaffAccount]
) -> None:
    """A login the database did not make for this person is never taken over."""
    with database.session() as session:
        taken = session.scalar(text("SELECT mic_login_role('taken')"))
        session.execute(text(f'CREATE ROLE "{taken}" LOGIN'))
    service = StaffService(database.session_factory, actor=None, workstation="desk-1")
    with pytest.raises(ValidationError, match="already has a login") as error:
        service.add("taken", "Someone", Role.RECEPTION, TEST_PASSWORD)
    assert error.value.field == "username"
    with database.session() as session:
        assert session.scalar(text("SELECT count(*) FROM staff_user WHERE username = 'taken'")) == 0
