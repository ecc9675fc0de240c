"""Backups of a PostgreSQL 15 server (Debian 12's): with its own tools, with only the
embedded PostgreSQL 18 tools, and checked on an embedded server when it refuses
CREATE DATABASE. Needs ``MIC_TEST_PG15_URL`` (``.ci/run`` starts such a server);
without it these tests are deselected and the summary says so.
"""

from __future__ import annotations

import io
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine, text

from mic_desktop.cli import main
from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database, make_engine
from mic_desktop.schema import upgrade
from mic_desktop.services.admin.backup import backup_database, restore_database
from mic_desktop.services.admin.backup_records import BackupService
from mic_desktop.services.admin.backup_tools import (
    BackupError,
    PgTools,
    ToolsUnavailableError,
    find_tools,
    read_archive_info,
    tools_for_restore,
)
from mic_desktop.services.admin.staff import StaffService
from tests.analytics_helpers import build_clinic
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.pg15


def _admin(server: URL):  # type: ignore[no-untyped-def]
    return create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")


def _new_database(server: URL) -> URL:
    name = f"mic_pg15_{uuid.uuid4().hex[:10]}"
    engine = _admin(server)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.set(database=name)


def _drop(url: URL) -> None:
    engine = _admin(url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def clinic15(pg15_url: URL) -> Iterator[tuple[Database, URL]]:
    """A migrated MIC Desktop database on PostgreSQL 15 with a small clinic in it."""
    url = _new_database(pg15_url)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    database = Database(Connection(url, DatabaseKind.SERVER))
    StaffService(database.session_factory, actor=None, workstation="pc").add(
        "manager1", "Test Manager", "manager", TEST_PASSWORD, must_change_password=False
    )
    with database.session() as session:
        build_clinic(session)
    yield database, url
    database.dispose()
    _drop(url)


@pytest.fixture
def empty15(pg15_url: URL) -> Iterator[URL]:
    url = _new_database(pg15_url)
    yield url
    _drop(url)


def _counts(url: URL) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            ).all()
            return {t: conn.scalar(text(f'SELECT count(*) FROM "{t}"')) for t in tables}
    finally:
        engine.dispose()


def _tools(major: int) -> PgTools:
    return next(tools for tools in find_tools() if tools.major == major)


def test_the_server_is_postgresql_15(pg15_url: URL) -> None:
    engine = _admin(pg15_url)
    with engine.connect() as conn:
        assert conn.scalar(text("SHOW server_version_num")).startswith("15")
    engine.dispose()


def test_a_15_server_is_backed_up_checked_and_restored_with_its_own_tools(
    clinic15: tuple[Database, URL], empty15: URL, tmp_path: Path
) -> None:
    database, url = clinic15
    target = tmp_path / "clinic.dump"
    outcome = BackupService(database.session_factory, url, actor=None, workstation="pc").back_up(
        target
    )
    assert outcome.verified, outcome.entry.failure_reason
    assert "15." in (outcome.entry.tools or "") and "/15/" in (outcome.entry.tools or "")
    assert outcome.check.where == "a scratch database on the clinic's server"
    assert read_archive_info(target).dumped_by.startswith("15.")
    restored = restore_database(empty15, target)
    assert "15." in restored.tools and "psql" not in restored.tools
    assert _counts(empty15) == _counts(url)


def test_a_15_server_with_only_the_embedded_18_tools(
    clinic15: tuple[Database, URL], empty15: URL, tmp_path: Path
) -> None:
    database, url = clinic15
    embedded = [_tools(18)]
    target = tmp_path / "clinic.dump"
    service = BackupService(
        database.session_factory, url, actor=None, workstation="pc", candidates=embedded
    )
    outcome = service.back_up(target)
    assert outcome.verified, outcome.entry.failure_reason
    assert outcome.check.tools.endswith("through psql without SET transaction_timeout")
    info = read_archive_info(target)
    assert info.dumped_by.startswith("18.") and info.server_version.startswith("15.")

    # What went wrong before: pg_restore 15 cannot read the archive, and pg_restore 18
    # writing straight into the 15 server stops at SET transaction_timeout.
    with pytest.raises(ToolsUnavailableError, match="needs pg_restore 18 or newer"):
        tools_for_restore(15, info, [_tools(15)])
    direct = subprocess.run(
        [str(_tools(18).path("pg_restore")), "--exit-on-error", "--single-transaction",
         "--no-owner", f"--dbname={empty15.set(drivername='postgresql').render_as_string(False)}",
         str(target)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert direct.returncode != 0 and "transaction_timeout" in direct.stderr
    assert _counts(empty15) == {}

    restored = restore_database(empty15, target, candidates=embedded)
    assert restored.tools.endswith("through psql without SET transaction_timeout")
    assert _counts(empty15) == _counts(url)

    before = _counts(empty15)
    damaged = tmp_path / "damaged.dump"  # its data stops part-way: all or nothing
    damaged.write_bytes(target.read_bytes()[:-64])
    with pytest.raises(BackupError, match="left as it was"):
        restore_database(empty15, damaged, candidates=embedded)
    assert _counts(empty15) == before and before["appointment"] == 19
    engine = create_engine(empty15)
    try:
        with engine.connect() as conn, pytest.raises(Exception, match="append-only"):
            conn.execute(text("DELETE FROM audit_log"))  # the triggers came back too
    finally:
        engine.dispose()


def test_a_15_server_that_refuses_create_database_is_checked_on_an_embedded_server(
    clinic15: tuple[Database, URL], pg15_url: URL, tmp_path: Path
) -> None:
    database, url = clinic15
    role = f"mic_app_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN NOCREATEDB"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    try:
        outcome = BackupService(
            database.session_factory, url.set(username=role), actor=None, workstation="pc"
        ).back_up(tmp_path / "clinic.dump")
        assert outcome.verified, outcome.entry.failure_reason
        assert outcome.check.where.startswith("a scratch embedded PostgreSQL 18 on this PC")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


def test_the_command_line_round_trip_on_15(
    clinic15: tuple[Database, URL], empty15: URL, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    _database, url = clinic15
    source = url.render_as_string(hide_password=False)
    file = tmp_path / "clinic.dump"
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["backup", str(file), "--database-url", source]) == 0
    assert "Verified in" in capsys.readouterr().out
    assert main(["backup", str(file), "--verify", "--database-url", source]) == 0
    assert "verified, the backup made" in capsys.readouterr().out
    into = empty15.render_as_string(hide_password=False)
    assert main(["restore", str(file), "--yes", "--database-url", into]) == 0
    assert _counts(empty15) == _counts(url)
    assert main(["doctor", "--database-url", source]) == 0
    tools = next(line for line in capsys.readouterr().out.splitlines() if "backup tools" in line)
    assert tools.startswith("[  ok]") and "15." in tools and "match the server" in tools


def test_a_backup_of_15_made_by_either_tools_restores_into_18(
    clinic15: tuple[Database, URL], empty_db_url: URL, tmp_path: Path
) -> None:
    """A clinic moving its server up to PostgreSQL 18 (the embedded one here)."""
    _database, url = clinic15
    for major in (15, 18):
        target = tmp_path / f"by-{major}.dump"
        backup_database(url, target, candidates=[_tools(major)])
        restore_database(empty_db_url, target)
        assert _counts(empty_db_url) == _counts(url)
