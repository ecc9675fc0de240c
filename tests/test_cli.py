"""The mic-desktop command: schema and staff administration against a real server."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import URL, create_engine, text

from mic_desktop.cli import main
from mic_desktop.db import Database
from mic_desktop.schema import head_revision
from mic_desktop.services.accounts.auth import AuthService
from mic_desktop.services.errors import AccountDisabledError


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
    owner = create_engine(empty_db_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
    try:
        code = _run(
            ["db", "upgrade", "--database-url", url, "--app-role", role], monkeypatch=monkeypatch
        )
        assert code == 0
        out = capsys.readouterr().out
        assert f"to {head_revision()}" in out and f"role {role}" in out
        assert _run(["--database-url", url, "db", "current"], monkeypatch=monkeypatch) == 0
        assert "state:     current" in capsys.readouterr().out
        with owner.connect() as conn:
            rights = set(
                conn.scalars(
                    text(
                        "SELECT privilege_type FROM information_schema.role_table_grants "
                        "WHERE grantee = :role AND table_name = 'audit_log'"
                    ),
                    {"role": role},
                )
            )
        assert rights == {"SELECT", "INSERT"}
    finally:
        with owner.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
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
    with pytest.raises(AccountDisabledError):
        auth.login("rudo", "second-password-2")
    assert _run(["user", "list", "--database-url", url], monkeypatch=monkeypatch) == 0
    assert "(disabled)" in capsys.readouterr().out


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
