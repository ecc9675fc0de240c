"""Where the database is, the settings file and the keyring rules."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail

from mic_desktop import secrets
from mic_desktop.config import (
    DatabaseKind,
    Settings,
    SettingsError,
    resolve_database,
    settings_path,
)
from mic_desktop.startup import password_need, remember_password, stored_password


def test_database_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_database().kind is DatabaseKind.EMBEDDED
    Settings(database_url="postgresql://app@settings-host/mic").save()
    assert resolve_database().url == "postgresql+psycopg://app@settings-host/mic"
    monkeypatch.setenv("MIC_DATABASE_URL", "postgresql://app@env-host/mic")
    assert resolve_database().url == "postgresql+psycopg://app@env-host/mic"
    chosen = resolve_database(option_url="postgres://app@option-host/mic")
    assert chosen.url == "postgresql+psycopg://app@option-host/mic"
    assert chosen.source == "--database-url"
    demo = resolve_database(option_url="postgresql://app@option-host/mic", demo=True)
    assert demo.kind is DatabaseKind.DEMO
    assert demo.pgdata != resolve_database(settings=Settings()).pgdata  # never the clinic's data


def test_settings_file_keeps_other_keys_and_never_a_password() -> None:
    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_text('[workstation]\nprinter = "Front desk"\n')
    settings = Settings.load()
    settings.database_url = "postgresql://app@server/mic"
    settings.save()
    text = path.read_text()
    assert 'printer = "Front desk"' in text and "server/mic" in text
    settings.database_url = "postgresql://app:hunter2@server/mic"
    with pytest.raises(SettingsError, match="keyring"):
        settings.save()
    assert "hunter2" not in path.read_text()


def test_server_password_goes_to_the_keyring_not_the_settings_file() -> None:
    target = resolve_database(option_url="postgresql://app@server:5433/mic")
    need = password_need(target)
    assert need is not None and need.keyring_available
    assert need.server == "server/mic" and need.user == "app"
    assert remember_password(need, "s3cret-value")
    assert stored_password(target) == "s3cret-value"
    assert password_need(target) is None
    assert not settings_path().exists()


def test_fail_null_and_plaintext_backends_count_as_no_keyring() -> None:
    keyring.set_keyring(fail.Keyring())
    assert not secrets.keyring_available()
    assert "No secure OS keyring" in secrets.no_keyring_reason()
    target = resolve_database(option_url="postgresql://app@server/mic")
    need = password_need(target)
    assert need is not None and not need.keyring_available
    assert not remember_password(need, "kept-in-memory")

    class PlaintextKeyring(keyring.backend.KeyringBackend):  # what keyrings.alt would be
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise AssertionError("must not be used")

        def delete_password(self, service: str, username: str) -> None:
            pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    keyring.set_keyring(PlaintextKeyring())
    assert not secrets.keyring_available()
    assert not secrets.set_secret("key", "value")
