"""Connecting to the clinic database as a person: PostgreSQL checks the password.

Every staff account is a PostgreSQL login role (named by ``mic_login_role``); a
password is right exactly when the server accepts a connection with it. A locked or
disabled account has an expired login, which the server refuses like a wrong
password, so a refusal never tells whether the password was right.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import URL, Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from mic_desktop import APP_NAME
from mic_desktop.db import session_options

# SQLSTATE class 28: invalid authorisation (28P01 wrong password, 28000 no such rule/role).
_REFUSED_STATES = ("28P01", "28000")


class LoginRefused(Exception):
    """The server refused the person's credentials (wrong, unknown, locked or disabled)."""


def bind_url(sessions: sessionmaker[Session]) -> URL:
    """The URL of the engine behind ``sessions``: the server and database to log in to."""
    bind = sessions.kw["bind"]
    return bind.url  # type: ignore[no-any-return]


def person_url(base: URL, role: str, password: str) -> URL:
    """``base`` with the person's login role and password."""
    return base.set(username=role, password=password)


def _refused(error: OperationalError) -> bool:
    original = error.orig
    state = getattr(original, "sqlstate", None)
    if state in _REFUSED_STATES:
        return True
    message = str(original)
    return "password authentication failed" in message or "is not permitted to log in" in message


@contextmanager
def connected_as(url: URL) -> Iterator[Session]:
    """A one-off session as the person of ``url``; :class:`LoginRefused` when refused.

    The connection is not pooled: it closes with the block.
    """
    engine: Engine = create_engine(
        url,
        poolclass=NullPool,
        connect_args={
            "application_name": APP_NAME,
            "connect_timeout": 10,
            "options": session_options(),
        },
    )
    try:
        try:
            connection = engine.connect()
        except OperationalError as error:
            if _refused(error):
                raise LoginRefused() from None
            raise
        try:
            with Session(bind=connection) as session:
                yield session
        finally:
            connection.close()
    finally:
        engine.dispose()


def login_role(session: Session, username: str) -> str:
    return str(session.scalar(text("SELECT mic_login_role(:u)"), {"u": username}))
