"""Schema revisions: compare the database with this program, upgrade, grant roles.

Migrations run as the schema-owner role. Workstations connect as an application
role that owns nothing; :func:`grant_application_role` gives it exactly the rights
it needs (and none to change the audit log).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
APPEND_ONLY_TABLES = ("audit_log",)


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
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_status(engine: Engine) -> SchemaStatus:
    head = head_revision()
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        tables = set(inspect(conn).get_table_names())
    if revision is None:
        state = SchemaState.FOREIGN if tables - {"alembic_version"} else SchemaState.EMPTY
    elif revision == head:
        state = SchemaState.CURRENT
    else:
        try:
            script.get_revision(revision)
        except Exception:
            state = SchemaState.AHEAD
        else:
            state = SchemaState.BEHIND
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
    check_usable(engine)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_application_role(engine: Engine, role: str) -> None:
    """Give the application role the rights a workstation needs, and no more.

    It may read and write the clinic's tables, only read and append to the audit
    log, and owns nothing. Run as the schema owner after every upgrade.
    """
    if not _ROLE_NAME.match(role):
        raise ValueError(f"Not a plain role name: {role!r}")
    with engine.begin() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT SELECT ON alembic_version TO {role}"))
        for table in tables:
            if table in APPEND_ONLY_TABLES:
                conn.execute(text(f"REVOKE ALL ON {table} FROM {role}"))
                conn.execute(text(f"GRANT SELECT, INSERT ON {table} TO {role}"))
            else:
                conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
