"""Backup and restore with the real pg_dump/pg_restore against the test server."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import threading
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import URL, create_engine, select, text

from mic_desktop.cli.backup import HANDLERS, register
from mic_desktop.config import DatabaseKind, DatabaseTarget
from mic_desktop.db import Database
from mic_desktop.models import BackupRecord
from mic_desktop.services.admin.backup import (
    BackupCancelledError,
    BackupError,
    BackupProgress,
    RestoreRefusedError,
    backup_database,
    connection_arguments,
    count_tables,
    restore_database,
)
from mic_desktop.services.admin.backup_check import SCRATCH_PREFIX, verify_backup
from mic_desktop.services.admin.backup_contents import Contents
from mic_desktop.services.admin.backup_records import LOCK_KEY, BackupBusyError, BackupService
from tests.analytics_helpers import build_clinic
from tests.conftest import PasswordRole
from tests.fixed_time import CLINIC_ZONE


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


# -- recorded and verified backups -----------------------------------------------------------


def _service(database: Database, url: URL, workstation: str = "pc-1") -> BackupService:
    return BackupService(database.session_factory, url, actor=None, workstation=workstation)


def _records(database: Database) -> list[BackupRecord]:
    with database.session_factory() as session:
        return list(session.scalars(select(BackupRecord).order_by(BackupRecord.id)))


def _databases(server_url: URL, prefix: str) -> list[str]:
    engine = create_engine(server_url.set(database="postgres"))
    try:
        with engine.connect() as conn:
            return list(
                conn.scalars(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                    {"p": prefix + "%"},
                )
            )
    finally:
        engine.dispose()


def test_every_backup_is_restored_into_a_scratch_database_compared_and_recorded(
    filled: Database, db_url: URL, server_url: URL, tmp_path: Path
) -> None:
    target = tmp_path / "clinic.dump"
    events: list[BackupProgress] = []
    outcome = _service(filled, db_url).back_up(target, progress=events.append)
    assert outcome.verified and outcome.check.ok and outcome.check.compared
    assert "scratch database on the clinic's server" in outcome.check.where
    assert any(e.message == "Checking the backup: restoring appointment" for e in events)

    [record] = _records(filled)
    assert record.status == "verified" and record.kind == "manual"
    assert record.workstation == "pc-1" and record.failure_reason is None
    assert record.size_bytes == target.stat().st_size
    assert record.sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    assert record.file_path == str(target) and record.finished_at is not None
    assert record.server_version and record.server_version.startswith("18")
    assert record.tools and "pg_dump" not in record.tools and "18." in record.tools
    assert record.dump_seconds is not None and record.verify_seconds is not None
    contents = record.contents or {}
    assert contents["rows"]["appointment"] == 19 and contents["rows"]["payment"] == 8
    assert set(contents["checksums"]) >= {"patient", "appointment", "payment", "audit_log"}
    # The scratch database is gone again.
    oid = (
        filled.engine.connect()
        .execute(text("SELECT oid FROM pg_database WHERE datname = current_database()"))
        .scalar()
    )
    assert _databases(server_url, f"{SCRATCH_PREFIX}{oid}_") == []


def test_the_figures_are_those_of_the_snapshot_pg_dump_copied(
    filled: Database, db_url: URL, tmp_path: Path
) -> None:
    """A row written while the backup runs is in neither the file nor the figures."""
    written = threading.Event()

    def write_during_the_dump(progress: BackupProgress) -> None:
        if progress.message.startswith("Copying") and not written.is_set():
            written.set()
            with filled.session() as session:
                session.execute(text("INSERT INTO document_counter VALUES ('during', 1)"))

    outcome = _service(filled, db_url).back_up(
        tmp_path / "clinic.dump", progress=write_during_the_dump
    )
    assert written.is_set()
    assert outcome.verified, outcome.entry.failure_reason
    assert outcome.result.contents is not None
    now = _counts(db_url)["document_counter"]
    assert outcome.result.contents.rows["document_counter"] == now - 1


def test_a_backup_that_does_not_give_back_what_was_copied_is_recorded_as_failed(
    filled: Database, db_url: URL, tmp_path: Path
) -> None:
    target = tmp_path / "clinic.dump"
    made = backup_database(db_url, target)
    assert made.contents is not None
    wrong = Contents(
        {**made.contents.rows, "patient": made.contents.rows["patient"] + 1},
        {**made.contents.checksums, "payment": "0" * 32},
    )
    check = verify_backup(db_url, target, wrong)
    assert not check.ok
    assert check.problems == [
        "table patient has 1 row instead of 2",
        "the rows of payment differ",
    ]

    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    check = verify_backup(db_url, damaged, made.contents)
    assert not check.ok and check.reason.startswith("it could not be restored")


def test_backup_file_verify_checks_a_file_again_against_its_record(
    filled: Database, db_url: URL, tmp_path: Path
) -> None:
    service = _service(filled, db_url)
    target = tmp_path / "clinic.dump"
    service.back_up(target)
    again = service.verify_file(target)
    assert again.check.ok and again.entry is not None and again.entry.sha256
    assert again.entry.status.value == "verified"

    with filled.session() as session:  # the record says something else was copied
        record = session.scalars(select(BackupRecord)).one()
        record.contents = {**(record.contents or {}), "rows": {"patient": 5}}
    failed = service.verify_file(target)
    assert not failed.check.ok and failed.entry is not None
    assert failed.entry.status.value == "failed"
    assert "table patient has 1 row instead of 5" in (failed.entry.failure_reason or "")

    copy = tmp_path / "unknown.dump"
    backup_database(db_url, copy)  # never recorded
    unknown = service.verify_file(copy)
    assert unknown.entry is None and unknown.check.ok and not unknown.check.compared


def test_one_backup_at_a_time_and_a_dead_pcs_backup_is_closed(
    filled: Database, db_url: URL, server_url: URL, tmp_path: Path
) -> None:
    with filled.session() as session:  # a PC died during a backup and its check
        session.add(
            BackupRecord(
                kind="manual", status="running", started_at=dt.datetime.now(dt.UTC),
                workstation="pc-dead", file_path=str(tmp_path / "dead.dump"),
            )
        )  # fmt: skip
    oid = (
        filled.engine.connect()
        .execute(text("SELECT oid FROM pg_database WHERE datname = current_database()"))
        .scalar()
    )
    leftover = f"{SCRATCH_PREFIX}{oid}_20261201220000_abcdef"
    engine = create_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{leftover}"'))

    holder = psycopg.connect(_conninfo(db_url), autocommit=True)  # another PC's backup
    holder.execute("SELECT pg_advisory_lock(%s, %s)", LOCK_KEY)
    try:
        with pytest.raises(BackupBusyError, match="already running on pc-dead"):
            _service(filled, db_url, "pc-2").back_up(tmp_path / "second.dump")
        assert not (tmp_path / "second.dump").exists()
    finally:
        holder.close()
    assert _databases(server_url, leftover) == [leftover]  # not dropped while locked

    outcome = _service(filled, db_url, "pc-2").back_up(tmp_path / "second.dump")
    assert outcome.verified
    dead, done = _records(filled)
    assert dead.status == "failed" and dead.finished_at is not None
    assert dead.failure_reason == (
        "pc-dead stopped before the backup finished (closed, restarted or lost power)"
    )
    assert done.status == "verified" and done.workstation == "pc-2"
    assert _databases(server_url, leftover) == []
    engine.dispose()


def test_a_stopped_backup_is_recorded_as_failed_and_leaves_no_file(
    filled: Database, db_url: URL, tmp_path: Path
) -> None:
    cancel = threading.Event()

    def stop_at_the_first_table(progress: BackupProgress) -> None:
        if progress.message.startswith("Copying"):
            cancel.set()

    with pytest.raises(BackupCancelledError):
        _service(filled, db_url).back_up(
            tmp_path / "clinic.dump", progress=stop_at_the_first_table, cancel=cancel
        )
    assert list(tmp_path.iterdir()) == []
    [record] = _records(filled)
    assert record.status == "failed" and "MIC Desktop was closing" in (record.failure_reason or "")


def test_a_login_that_may_not_create_databases_is_checked_on_an_embedded_server(
    filled: Database, password_role: PasswordRole, tmp_path: Path
) -> None:
    url = password_role.url.set(password=password_role.password)
    outcome = _service(filled, url).back_up(tmp_path / "clinic.dump")
    assert outcome.verified, outcome.entry.failure_reason
    assert outcome.check.where.startswith("a scratch embedded PostgreSQL 18 on this PC")
    assert outcome.entry.verified_on == outcome.check.where


def test_the_command_line_verifies_and_lists_backups(
    filled: Database, db_url: URL, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = DatabaseTarget(DatabaseKind.SERVER, _conninfo(db_url).replace(
        "postgresql://", "postgresql+psycopg://", 1), "test")  # fmt: skip
    file = tmp_path / "clinic.backup"
    assert HANDLERS["backup"](_cli(["backup", str(file)]), source) == 0
    out = capsys.readouterr().out
    assert "Verified in" in out and "restored into a scratch database" in out
    assert hashlib.sha256(file.read_bytes()).hexdigest() in out

    assert HANDLERS["backup"](_cli(["backup", str(file), "--verify"]), source) == 0
    assert "clinic.backup: verified, the backup made" in capsys.readouterr().out

    assert HANDLERS["backup"](_cli(["backup", "--list"]), source) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].startswith(f"When ({CLINIC_ZONE.key})")
    assert "manual" in listing[1] and "verified" in listing[1] and str(file) in listing[1]

    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(file.read_bytes()[:4000])
    assert HANDLERS["backup"](_cli(["backup", str(damaged), "--verify"]), source) == 1
    assert "damaged.backup: NOT verified" in capsys.readouterr().err
