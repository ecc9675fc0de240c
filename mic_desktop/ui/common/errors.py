"""Turning exceptions from services and the database into sentences for people."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, OperationalError

from mic_desktop.db import DatabaseUnavailableError
from mic_desktop.schema import SchemaError
from mic_desktop.services.errors import ServiceError

log = logging.getLogger(__name__)

PASSWORD_REFUSED_SQLSTATE = "28P01"
INSUFFICIENT_PRIVILEGE_SQLSTATE = "42501"


def first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def sqlstate(error: BaseException) -> str | None:
    return getattr(getattr(error, "orig", None), "sqlstate", None)


def is_password_refused(error: BaseException) -> bool:
    """The server turned the database password down (or none was given)."""
    if not isinstance(error, DBAPIError):
        return False
    text = str(error.orig or error).lower()
    return (
        sqlstate(error) == PASSWORD_REFUSED_SQLSTATE
        or "password authentication failed" in text
        or "no password supplied" in text
    )


def describe_error(error: BaseException) -> str:
    """A message fit to show: services' own messages as they are, database trouble explained."""
    if isinstance(error, ServiceError | SchemaError | DatabaseUnavailableError):
        return str(error)
    if isinstance(error, OperationalError):
        return (
            "The clinic database cannot be reached right now "
            f"({first_line(error)}). Check the network and try again."
        )
    if isinstance(error, DBAPIError) and sqlstate(error) == INSUFFICIENT_PRIVILEGE_SQLSTATE:
        return f"The database refused this change: {first_line(error)}."
    log.error("Unexpected error", exc_info=error)
    return f"Something went wrong: {first_line(error)}."
