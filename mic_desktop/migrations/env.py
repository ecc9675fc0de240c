"""Alembic environment: runs on the connection handed in by :mod:`mic_desktop.schema`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from mic_desktop.models import Base

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # Extension-owned objects are not ours to compare.
    return not (type_ == "table" and reflected and compare_to is None and name.startswith("pg_"))


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("MIC Desktop migrations run online only: use `mic-desktop db upgrade`.")
run_migrations_online()
