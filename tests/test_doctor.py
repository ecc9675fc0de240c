"""The workstation doctor against a healthy and a broken configuration."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import URL, text

from mic_desktop.cli import main
from mic_desktop.config import Settings
from mic_desktop.db import make_engine
from mic_desktop.diagnostics import clock_offset, clock_warning
from mic_desktop.secrets import set_secret


def _doctor(url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = main(["doctor", "--database-url", url])
    return code, capsys.readouterr().out


def test_healthy_workstation(
    db_url: URL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Settings(
        extra={
            "twilio": {"account_sid": "AC0123456789", "from": "+263771234567"},
            "smtp": {"host": "mail.clinic.test", "user": "reports"},
        }
    ).save()
    set_secret("twilio:AC0123456789", "twilio-token-value")
    set_secret("smtp:reports@mail.clinic.test", "smtp-password-value")
    code, out = _doctor(db_url.render_as_string(hide_password=False), monkeypatch, capsys)
    assert code == 0, out
    for expected in (
        "MIC Desktop 0.1.0",
        "reachable",
        "PostgreSQL 18",
        ": current",
        "limit 60 s",
        "token in keyring",
        "password in keyring",
        "All checks passed",
    ):
        assert expected in out
    assert "FAIL" not in out
    assert "twilio-token-value" not in out and "smtp-password-value" not in out


def test_unreachable_server_fails_with_the_failing_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _doctor("postgresql://mic_app@127.0.0.1:1/mic", monkeypatch, capsys)
    assert code == 1
    failing = [line for line in out.splitlines() if "FAIL" in line]
    assert len(failing) == 1 and "database" in failing[0] and "127.0.0.1:1/mic" in failing[0]
    assert "1 problem(s): database" in out


def test_schema_newer_than_the_app_fails(
    db_url: URL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    code, out = _doctor(db_url.render_as_string(hide_password=False), monkeypatch, capsys)
    assert code == 1
    assert "needs updating" in out


def test_clock_offset_and_warning(db_url: URL) -> None:
    engine = make_engine(db_url)
    assert abs(clock_offset(engine)) < dt.timedelta(seconds=5)
    engine.dispose()
    assert clock_warning(dt.timedelta(seconds=30)) is None
    assert "2 min 5 s behind" in (clock_warning(dt.timedelta(seconds=125)) or "")
    assert "ahead of" in (clock_warning(dt.timedelta(minutes=-3)) or "")
