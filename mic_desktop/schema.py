"""Schema revisions: compare the database with this program, upgrade, grant roles.

Migrations run as the schema-owner role, which then grants each group role its
rights (:mod:`mic_desktop.db_access`). People log in as themselves; workstations
reach the login window through a pre-login role that can only check logins.

Comparing revisions happens at every start, before the login window: it reads the
revision ids from the migration files' headers and ``alembic_version`` with one
query, so Alembic itself loads only when an upgrade runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_REVISION_LINE = re.compile(
    r"""^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:["']([^"']*)["']|None)""", re.M
)


class SchemaState(StrEnum):
    EMPTY = "empty"  # no MIC Desktop tables yet
    BEHIND = "behind"  # older than this program: upgrade
    CURRENT = "current"
    AHEAD = "ahead"  # newer than this program: refuse
    FOREIGN = "foreign"  # tables, but not a MIC Desktop database


class SchemaError(RuntimeError):
    """The database's schema cannot be used by this workstation."""


class WorkstationOutdatedError(SchemaError):
    def __init__(self, revision: str) -> None:
        super().__init__(
            "This workstation needs updating: the clinic database has a newer schema "
            f"(revision {revision}) than this version of MIC Desktop knows. "
            "Install the current version before using it."
        )
        self.revision = revision


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    database_revision: str | None
    head_revision: str

    @property
    def needs_upgrade(self) -> bool:
        return self.state in (SchemaState.EMPTY, SchemaState.BEHIND)


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@cache
def known_revisions() -> dict[str, str | None]:
    """Every revision this program ships, with the one it revises (read from the files)."""
    revisions: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found = {m.group(1): m.group(2) for m in _REVISION_LINE.finditer(path.read_text("utf-8"))}
        if found.get("revision"):
            revisions[found["revision"]] = found.get("down_revision")  # type: ignore[index]
    return revisions


def head_revision() -> str:
    """The one revision no other revision revises."""
    revisions = known_revisions()
    heads = set(revisions) - {down for down in revisions.values() if down}
    if len(heads) != 1:
        raise SchemaError(f"The migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The database's revision, or ``None`` when it has no ``alembic_version`` table."""
    with engine.connect() as conn:
        return _current_revision(conn)


def _current_revision(conn) -> str | None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    if conn.scalar(text("SELECT to_regclass('alembic_version')")) is None:
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def schema_status(engine: Engine) -> SchemaStatus:
    from sqlalchemy import inspect

    head = head_revision()
    with engine.connect() as conn:
        revision = _current_revision(conn)
        tables = set(inspect(conn).get_table_names())
    if revision is None:
        state = SchemaState.FOREIGN if tables - {"alembic_version"} else SchemaState.EMPTY
    elif revision == head:
        state = SchemaState.CURRENT
    elif revision in known_revisions():
        state = SchemaState.BEHIND
    else:
        state = SchemaState.AHEAD
    return SchemaStatus(state, revision, head)


def check_usable(engine: Engine) -> SchemaStatus:
    """Raise when this workstation must not run against the database."""
    status = schema_status(engine)
    if status.state is SchemaState.AHEAD:
        raise WorkstationOutdatedError(status.database_revision or "?")
    if status.state is SchemaState.FOREIGN:
        raise SchemaError(
            "This database holds tables but is not a MIC Desktop database. "
            "Choose the clinic's MIC Desktop database or an empty one."
        )
    return status


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; run it as the schema-owner role."""
    from alembic import command

    check_usable(engine)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    if revision == "head":
        from mic_desktop.db_access import apply_grants

        apply_grants(engine)


def grant_application_role(engine: Engine, role: str) -> None:
    """Make ``role`` the pre-login role of workstations and grant every group its rights.

    An older version's shared application role passed here loses its rights on the
    tables: it can then only read the clinic's name and check logins (see
    :mod:`mic_desktop.db_access`). Run as the schema owner after every upgrade.
    """
    from mic_desktop.db_access import apply_grants

    apply_grants(engine, login_roles=(role,))
