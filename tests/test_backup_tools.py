"""Choosing pg_dump/pg_restore for a server's version, reading a backup's header, the SQL
filter for older servers, and the doctor's backup lines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import URL

from mic_desktop.cli import main
from mic_desktop.config import Settings
from mic_desktop.db import Database
from mic_desktop.services.admin import backup_tools
from mic_desktop.services.admin.backup import backup_database
from mic_desktop.services.admin.backup_process import _pump, _setting_line
from mic_desktop.services.admin.backup_tools import (
    ArchiveInfo,
    BackupError,
    PgTools,
    ToolsUnavailableError,
    find_tools,
    read_archive_info,
    tools_for_backup,
    tools_for_restore,
)

PG15 = PgTools(Path("/usr/lib/postgresql/15/bin"), "15.18", 15, "installed")
PG16 = PgTools(Path("/usr/lib/postgresql/16/bin"), "16.9", 16, "installed")
PG18 = PgTools(Path("/opt/embedded/bin"), "18.6", 18, "embedded")


def _archive(dumped_by: str, version: tuple[int, int, int]) -> ArchiveInfo:
    return ArchiveInfo(version, "mic", "15.18", dumped_by)


def test_the_servers_own_version_is_preferred_then_the_nearest_newer_one() -> None:
    assert tools_for_backup(15, [PG18, PG16, PG15]) is PG15
    assert tools_for_backup(16, [PG18, PG15, PG16]) is PG16
    assert tools_for_backup(14, [PG18, PG16]) is PG16
    assert tools_for_backup(18, [PG15, PG18]) is PG18
    named = PgTools(Path("/srv/pg/bin"), "18.6", 18, "settings file")
    assert tools_for_backup(15, [PG15, named]) is named  # the administrator's choice


def test_no_tools_for_a_newer_server_says_what_to_install() -> None:
    with pytest.raises(ToolsUnavailableError) as raised:
        tools_for_backup(19, [PG15, PG18])
    message = str(raised.value)
    assert "No pg_dump on this PC can back up this PostgreSQL 19 server" in message
    assert "found only 15.18 (installed), 18.6 (embedded)" in message
    assert "Install the PostgreSQL 19 client tools" in message
    assert '[backup] tools = "..."' in message
    with pytest.raises(ToolsUnavailableError, match="no PostgreSQL tools were found"):
        tools_for_backup(15, [])


def test_a_newer_restore_into_an_older_server_leaves_out_what_the_server_lacks() -> None:
    made_by_18 = _archive("18.6", (1, 16, 0))
    made_by_15 = _archive("15.18 (Debian 15.18-0+deb12u1)", (1, 14, 0))
    assert made_by_18.reader_major == 18 and made_by_15.reader_major == 15

    plan = tools_for_restore(15, made_by_18, [PG15, PG18])
    assert plan.tools is PG18 and plan.skip_settings == ("transaction_timeout",)
    assert plan.through_psql and "through psql without SET transaction_timeout" in plan.label
    plan = tools_for_restore(15, made_by_15, [PG18, PG15])
    assert plan.tools is PG15 and not plan.through_psql
    plan = tools_for_restore(17, made_by_15, [PG18, PG15])
    assert plan.tools is PG18 and not plan.through_psql  # 17 knows transaction_timeout
    with pytest.raises(ToolsUnavailableError, match="needs pg_restore 18 or newer"):
        tools_for_restore(15, made_by_18, [PG15, PG16])


def test_the_archive_header_names_the_server_and_the_pg_dump(
    database: Database, db_url: URL, tmp_path: Path
) -> None:
    target = tmp_path / "clinic.dump"
    backup_database(db_url, target)
    info = read_archive_info(target)
    assert info.database == db_url.database
    assert info.server_version.startswith("18.") and info.dumped_by.startswith("18.")
    assert info.format_version[:2] == (1, 16) and info.reader_major == 18
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(BackupError, match="not a MIC Desktop backup"):
        read_archive_info(tmp_path / "notes.txt")
    (tmp_path / "cut.dump").write_bytes(target.read_bytes()[:12])
    with pytest.raises(BackupError, match="damaged"):
        read_archive_info(tmp_path / "cut.dump")


def test_the_sql_filter_drops_the_setting_but_never_touches_copy_data() -> None:
    script = (
        b"SET statement_timeout = 0;\n"
        b"SET transaction_timeout = 0;\n"
        b"SET client_encoding = 'UTF8';\n"
        b"COPY public.note (id, body) FROM stdin;\n"
        b"1\tSET transaction_timeout = 0;\n"
        b"SET transaction_timeout = 0;\n"
        b"\\.\n"
        b"SET transaction_timeout = 0;\n"
    )

    class Sink(io.BytesIO):
        def close(self) -> None:
            self.kept = self.getvalue()
            super().close()

    sink = Sink()
    failed: list[str] = []
    _pump(io.BytesIO(script), sink, _setting_line(["transaction_timeout"]), failed)
    assert failed == []
    assert sink.kept == (
        b"SET statement_timeout = 0;\n"
        b"SET client_encoding = 'UTF8';\n"
        b"COPY public.note (id, body) FROM stdin;\n"
        b"1\tSET transaction_timeout = 0;\n"
        b"SET transaction_timeout = 0;\n"
        b"\\.\n"
    )


def test_tools_are_found_by_their_version_and_a_named_folder_comes_first(tmp_path: Path) -> None:
    found = find_tools()
    embedded = [tools for tools in found if tools.origin == "embedded"]
    assert len(embedded) == 1 and embedded[0].major == 18
    Settings(extra={"backup": {"tools": str(embedded[0].folder)}}).save()
    named = find_tools()
    assert named[0].origin == "settings file" and named[0].folder == embedded[0].folder
    assert all(tools.folder != embedded[0].folder for tools in named[1:])  # listed once


def _doctor(url: URL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = main(["doctor", "--database-url", url.render_as_string(hide_password=False)])
    return code, capsys.readouterr().out


def test_the_doctor_says_how_backups_are_made_and_when_the_last_one_was(
    database: Database, db_url: URL, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    code, out = _doctor(db_url, monkeypatch, capsys)
    assert code == 0, out
    tools = next(line for line in out.splitlines() if "backup tools" in line)
    assert tools.startswith("[  ok]") and "pg_dump/pg_restore 18." in tools
    assert "match the server" in tools
    last = next(line for line in out.splitlines() if "last backup" in line)
    assert last.startswith("[warn]") and "No verified backup yet" in last


def test_the_doctor_warns_when_no_tools_can_back_up_the_server(
    database: Database, db_url: URL, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setattr(backup_tools, "find_tools", lambda: [PG15])  # only older tools here
    code, out = _doctor(db_url, monkeypatch, capsys)
    tools = next(line for line in out.splitlines() if "backup tools" in line)
    assert tools.startswith("[warn]"), out
    assert "cannot back up this server" in tools and "PostgreSQL 18 server" in tools
    assert "Install the PostgreSQL 18 client tools" in tools
    assert code == 0  # a warning: the rest of the workstation works


def test_the_doctor_warns_about_a_named_folder_without_the_tools(
    database: Database, db_url: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    Settings(extra={"backup": {"tools": str(tmp_path)}}).save()
    code, out = _doctor(db_url, monkeypatch, capsys)
    assert code == 0, out
    tools = next(line for line in out.splitlines() if "backup tools" in line)
    assert tools.startswith("[warn]") and f"names {tmp_path} ([backup] tools)" in tools
