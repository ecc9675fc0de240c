"""Backup and restore with the real pg_dump/pg_restore against the test server."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import URL, create_engine, text

from mic_desktop.cli.backup import HANDLERS, register
from mic_desktop.config import DatabaseKind, DatabaseTarget
from mic_desktop.db import Database
from mic_desktop.services.admin.backup import (
    BackupError,
    BackupProgress,
    RestoreRefusedError,
    backup_database,
    connection_arguments,
    count_tables,
    restore_database,
)
from tests.analytics_helpers import build_clinic


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


def _conninfo(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def filled(database: Database, staff: dict[str, object]) -> Database:
    with database.session() as session:
        build_clinic(session)
    return database


def test_backup_then_restore_into_an_empty_database_gives_the_same_rows(
    filled: Database, db_url: URL, empty_db_url: URL, tmp_path: Path
) -> None:
    events: list[BackupProgress] = []
    target = tmp_path / "clinic.backup"
    result = backup_database(db_url, target, progress=events.append)
    assert target.read_bytes()[:5] == b"PGDMP"
    assert not (tmp_path / "clinic.backup.part").exists()
    tables = count_tables(db_url)
    assert result.tables == tables and events[-1] == BackupProgress(
        tables, tables, "Backup complete"
    )
    assert [e.done for e in events] == sorted(e.done for e in events)
    assert any(e.message == "Copying appointment" for e in events)

    before = _counts(db_url)
    assert before["appointment"] == 19 and before["payment"] == 8
    restored: list[BackupProgress] = []
    outcome = restore_database(empty_db_url, target, progress=restored.append)
    assert _counts(empty_db_url) == before
    assert outcome.tables == restored[-1].total > 0
    engine = create_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version"))
            with pytest.raises(Exception, match="append-only"):  # the trigger came back too
                conn.execute(text("DELETE FROM audit_log"))
    finally:
        engine.dispose()


def test_restore_is_refused_while_someone_is_connected(
    filled: Database, db_url: URL, empty_db_url: URL, tmp_path: Path
) -> None:
    target = tmp_path / "clinic.backup"
    backup_database(db_url, target)
    with psycopg.connect(_conninfo(empty_db_url), application_name="MIC Desktop") as other:
        with pytest.raises(RestoreRefusedError, match=r"in use \(1 other connection: MIC Desktop"):
            restore_database(empty_db_url, target)
        other.execute("SELECT 1")
    assert _counts(empty_db_url) == {}  # nothing was restored
    restore_database(empty_db_url, target)
    assert _counts(empty_db_url)["patient"] == 1


def test_the_password_goes_in_the_environment_only() -> None:
    url = URL.create(
        "postgresql+psycopg", username="mic_app", password="s3cret-pw", host="db.clinic",
        port=5433, database="mic", query={"sslmode": "require"},
    )  # fmt: skip
    conninfo, env = connection_arguments(url)
    assert "s3cret-pw" not in conninfo
    assert env["PGPASSWORD"] == "s3cret-pw"
    assert "host=db.clinic" in conninfo and "sslmode=require" in conninfo
    assert "dbname=mic" in conninfo and "user=mic_app" in conninfo


def test_failures_leave_nothing_behind(db_url: URL, empty_db_url: URL, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="does not exist"):
        backup_database(db_url, tmp_path / "missing" / "clinic.backup")
    gone = db_url.set(database="no_such_database_here")
    with pytest.raises(BackupError, match="Cannot connect"):
        backup_database(gone, tmp_path / "clinic.backup")
    assert list(tmp_path.iterdir()) == []
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with pytest.raises(BackupError, match="not a MIC Desktop backup"):
        restore_database(empty_db_url, not_a_backup)


def _cli(argv: list[str]) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    parser = argparse.ArgumentParser(prog="mic-desktop")
    register(parser.add_subparsers(dest="command"), common)
    return parser.parse_args(argv)


def test_the_command_line_backs_up_and_asks_before_restoring(
    filled: Database, db_url: URL, empty_db_url: URL, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    source = DatabaseTarget(DatabaseKind.SERVER, _conninfo(db_url).replace(
        "postgresql://", "postgresql+psycopg://", 1), "test")  # fmt: skip
    target = DatabaseTarget(DatabaseKind.SERVER, _conninfo(empty_db_url).replace(
        "postgresql://", "postgresql+psycopg://", 1), "test")  # fmt: skip
    file = tmp_path / "clinic.backup"
    args = _cli(["backup", str(file)])
    assert HANDLERS[args.command](args, source) == 0
    assert f"written to {file}" in capsys.readouterr().out
    with pytest.raises(BackupError, match="--force"):
        HANDLERS["backup"](args, source)

    args = _cli(["restore", str(file)])
    restore = HANDLERS["restore"]
    assert restore(args, target, stdin=io.StringIO("wrong_name\n")) == 1  # type: ignore[call-arg]
    assert "did not match" in capsys.readouterr().err
    assert _counts(empty_db_url) == {}
    assert restore(args, target, stdin=io.StringIO(f"{empty_db_url.database}\n")) == 0  # type: ignore[call-arg]
    assert _counts(empty_db_url) == _counts(db_url)
    err = capsys.readouterr().err
    assert f"Type the database name ({empty_db_url.database}) to confirm" in err
    assert "Restoring appointment" in err

    yes = _cli(["restore", str(file), "--yes"])
    assert restore(yes, target) == 0  # a second restore replaces the first
    assert _counts(empty_db_url) == _counts(db_url)
