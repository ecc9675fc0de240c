"""The mic-desktop command: schema and staff administration against a real server."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import URL, create_engine, text
from sqlalchemy.exc import DBAPIError

from mic_desktop.cli import main
from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database
from mic_desktop.schema import head_revision, upgrade
from mic_desktop.services.accounts.auth import AuthService
from mic_desktop.services.errors import AuthenticationError


def _url(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def _run(argv: list[str], stdin: str = "", monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    assert monkeypatch is not None
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(argv)


def test_db_upgrade_current_and_app_role(
    empty_db_url: URL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _url(empty_db_url)
    assert _run(["db", "current", "--database-url", url], monkeypatch=monkeypatch) == 3
    assert "(empty database)" in capsys.readouterr().out

    role = f"app_{empty_db_url.database[-8:]}"
    worker = f"worker_{empty_db_url.database[-8:]}"
    owner = create_engine(empty_db_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"CREATE ROLE {worker} LOGIN"))
    try:
        code = _run(
            [
                "db",
                "upgrade",
                "--database-url",
                url,
                "--app-role",
                role,
                "--worker-role",
                worker,
            ],
            monkeypatch=monkeypatch,
        )
        assert code == 0
        out = capsys.readouterr().out
        assert f"to {head_revision()}" in out
        assert f"Role {role} is the pre-login role" in out and f"Role {worker} is a worker" in out
        assert _run(["--database-url", url, "db", "current"], monkeypatch=monkeypatch) == 0
        assert "state:     current" in capsys.readouterr().out
        with owner.connect() as conn:
            readable = set(
                conn.scalars(
                    text(
                        "SELECT c.relname FROM pg_class c JOIN pg_namespace n"
                        " ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
                        " AND c.relkind = 'r' AND has_table_privilege(:r, c.oid, 'SELECT')"
                    ),
                    {"r": role},
                )
            )
            writes_audit = conn.scalar(
                text("SELECT has_table_privilege(:r, 'audit_log', 'INSERT')"), {"r": worker}
            )
            memberships = set(
                conn.scalars(
                    text(
                        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g"
                        " ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member"
                        " WHERE u.rolname IN (:a, :w)"
                    ),
                    {"a": role, "w": worker},
                )
            )
        assert readable == {"alembic_version", "clinic_settings", "login_settings"}
        assert writes_audit
        assert memberships == {"mic_login", "mic_worker"}
    finally:
        with owner.connect() as conn:
            for name in (role, worker):
                conn.execute(text(f"DROP OWNED BY {name}"))
                conn.execute(text(f"DROP ROLE {name}"))
        owner.dispose()


def test_user_add_passwd_disable(
    db_url: URL,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = _url(db_url)
    add = [
        "user",
        "add",
        "--username",
        "rudo",
        "--role",
        "radiologist",
        "--full-name",
        "Dr Rudo Chikwanha",
        "--password-stdin",
        "--database-url",
        url,
    ]
    assert _run(add, "first-password-1\n", monkeypatch) == 0
    assert "Added radiologist account rudo" in capsys.readouterr().out
    auth = AuthService(database.session_factory, "test-pc")
    assert auth.login("rudo", "first-password-1").full_name == "Dr Rudo Chikwanha"

    assert _run(add, "another-password\n", monkeypatch) == 1
    assert "taken" in capsys.readouterr().err

    passwd = [
        "user",
        "passwd",
        "rudo",
        "--password-stdin",
        "--must-change-password",
        "--database-url",
        url,
    ]
    assert _run(passwd, "second-password-2\n", monkeypatch) == 0
    account = auth.login("rudo", "second-password-2")
    assert account.must_change_password

    assert _run(["user", "disable", "rudo", "--database-url", url], monkeypatch=monkeypatch) == 0
    with pytest.raises(AuthenticationError):
        auth.login("rudo", "second-password-2")
    assert _run(["user", "list", "--database-url", url], monkeypatch=monkeypatch) == 0
    assert "(disabled)" in capsys.readouterr().out
    assert _run(["user", "enable", "rudo", "--database-url", url], monkeypatch=monkeypatch) == 0
    assert auth.login("rudo", "second-password-2").is_active


def test_short_password_and_missing_terminal_are_clear_errors(
    db_url: URL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [
        "user",
        "add",
        "--username",
        "tino",
        "--role",
        "reception",
        "--database-url",
        _url(db_url),
    ]
    assert _run([*base, "--password-stdin"], "short\n", monkeypatch) == 1
    assert "at least 8 characters" in capsys.readouterr().err
    assert _run(base, "", monkeypatch) == 1
    assert "--password-stdin" in capsys.readouterr().err


def test_unreachable_server_is_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://nobody@127.0.0.1:1/mic"
    assert _run(["db", "current", "--database-url", url], monkeypatch=monkeypatch) == 1
    assert "Cannot connect to the database" in capsys.readouterr().err


def test_a_password_in_the_settings_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mic_desktop.config import settings_path

    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_text('[database]\nurl = "postgresql://app:secret@server/mic"\n')
    assert _run(["db", "current"], monkeypatch=monkeypatch) == 1
    assert "keyring" in capsys.readouterr().err


def test_the_user_command_offers_exactly_the_roles_of_the_model() -> None:
    from mic_desktop.cli.user import ROLES
    from mic_desktop.models import Role

    assert tuple(role.value for role in Role) == ROLES


def test_a_landed_clinic_moves_to_personal_logins(
    empty_db_url: URL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database of the shared-role version (0010) with an account and an application role."""
    url = _url(empty_db_url)
    owner = create_engine(empty_db_url, isolation_level="AUTOCOMMIT")
    upgrade(owner, "0010")
    app = f"app_{empty_db_url.database[-8:]}"
    with owner.connect() as conn:
        conn.execute(
            text(
                "INSERT INTO staff_user (username, full_name, role, password_hash,"
                " must_change_password, is_active, failed_logins, version)"
                " VALUES ('thandi', 'Thandi Ncube', 'manager', '$argon2id$v=19$old', false,"
                " true, 0, 1)"
            )
        )
        conn.execute(text(f"CREATE ROLE {app} LOGIN PASSWORD 'shared-secret-1'"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {app}"))
    try:
        upgrade_command = ["db", "upgrade", "--database-url", url, "--app-role", app]
        assert _run(upgrade_command, monkeypatch=monkeypatch) == 0
        out = capsys.readouterr().out
        assert f"from 0010 to {head_revision()}" in out
        assert "People now log in with their own database login" in out
        assert "accounts without a password: thandi" in out
        shared = create_engine(empty_db_url.set(username=app, password="shared-secret-1"))
        with pytest.raises(DBAPIError, match="permission denied"), shared.connect() as conn:
            conn.execute(text("SELECT * FROM staff_user"))
        shared.dispose()

        passwd = ["user", "passwd", "thandi", "--password-stdin", "--must-change-password"]
        assert _run([*passwd, "--database-url", url], "temporary-pass-1\n", monkeypatch) == 0
        database = Database(Connection(empty_db_url, DatabaseKind.SERVER))
        account = AuthService(database.session_factory, "office").login(
            "thandi", "temporary-pass-1"
        )
        database.dispose()
        assert account.must_change_password and account.role.value == "manager"
    finally:
        with owner.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {app}"))
            conn.execute(text(f"DROP ROLE {app}"))
        owner.dispose()
