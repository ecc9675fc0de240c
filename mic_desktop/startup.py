"""Getting a workstation to a usable database, shared by the GUI and the command line.

No Qt here: the GUI runs these steps in a worker thread and asks the person its
questions (password, "upgrade the clinic server?") between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import make_url

from mic_desktop.config import DatabaseTarget
from mic_desktop.db import Connection, Database, connect_target
from mic_desktop.schema import SchemaStatus, check_usable, upgrade
from mic_desktop.secrets import database_key, get_secret, keyring_available, set_secret

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class PasswordNeed:
    """Why and for what a clinic server's password must be asked for."""

    key: str
    user: str
    server: str
    keyring_available: bool


def password_need(target: DatabaseTarget, *, ignore_stored: bool = False) -> PasswordNeed | None:
    """None when no password must be asked (embedded, in the URL, or in the keyring).

    ``ignore_stored`` asks anyway, for when the server refused the keyring's password.
    """
    if target.is_embedded or target.url is None:
        return None
    url = make_url(target.url)
    if url.password:
        return None
    key = database_key(url.username or "", url.host or "", url.port, url.database or "")
    if not ignore_stored and get_secret(key) is not None:
        return None
    return PasswordNeed(
        key=key,
        user=url.username or "",
        server=server_label(target),
        keyring_available=keyring_available(),
    )


def server_label(target: DatabaseTarget) -> str:
    """Where the database is, as a person reads it: ``host/database``, or the local
    socket directory (``/var/run/postgresql/mic``) for a Unix-socket URL."""
    if target.url is None:
        return "this PC"
    url = make_url(target.url)
    socket = url.query.get("host")
    if isinstance(socket, tuple):
        socket = socket[0] if socket else None
    return f"{url.host or socket or 'localhost'}/{url.database}"


def stored_password(target: DatabaseTarget) -> str | None:
    if target.is_embedded or target.url is None:
        return None
    url = make_url(target.url)
    return get_secret(
        database_key(url.username or "", url.host or "", url.port, url.database or "")
    )


def remember_password(need: PasswordNeed, password: str) -> bool:
    """Keep the password in the OS keyring; False when there is none (memory only)."""
    return set_secret(need.key, password)


def open_database(target: DatabaseTarget, password: str | None = None) -> Database:
    """Start or reach the database and check that this program may use its schema."""
    connection: Connection = connect_target(target, password or stored_password(target))
    database = Database(connection)
    try:
        check_usable(database.engine)
    except Exception:
        database.dispose()
        raise
    return database


def schema_status_of(database: Database) -> SchemaStatus:
    return check_usable(database.engine)


def upgrade_schema(database: Database) -> None:
    upgrade(database.engine)


def has_staff(database: Database) -> bool:
    """Whether anyone has an account (the pre-login role may ask, not read the accounts)."""
    with database.session() as session:
        return bool(session.scalar(text("SELECT mic_has_staff()")))


def ensure_demo_data(database: Database, progress: Progress | None = None) -> bool:
    """Load the demo clinic on the first start of the demo database; True when loaded."""
    from mic_desktop.services.demo.loader import load_demo, set_demo_passwords
    from mic_desktop.services.demo.spec import DEFAULT_DEMO

    if has_staff(database):
        # A demo made by a version before personal logins: give its logins their passwords.
        with database.session() as session:
            set_demo_passwords(session, only_missing=True)
        return False
    load_demo(database.session_factory, DEFAULT_DEMO, progress=progress)
    return True
