"""``mic-desktop dicom`` (serve, modality add/list/remove, echo) and ``doctor``'s DICOM line."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from sqlalchemy import URL, select, update

from mic_desktop.cli import main
from mic_desktop.db import Database
from mic_desktop.models import AuditLog, ClinicSettings
from mic_desktop.services.dicom.server import DicomServer
from tests.reception_setup import Clinic


def _run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: URL, *argv: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = main([*argv, "--database-url", url.render_as_string(hide_password=False)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_scanners_are_added_listed_and_removed(
    db_url: URL, database: Database, clinic: Clinic, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    def run(*argv: str) -> tuple[int, str, str]:
        return _run(monkeypatch, capsys, db_url, "dicom", "modality", *argv)

    assert run("add", "CT2_SCANNER", "--room", "ct 2", "--host", "10.0.0.7", "--port", "4006") == (
        0, "Added scanner CT2_SCANNER in CT 2 (CT) at 10.0.0.7:4006.\n", ""
    )  # fmt: skip
    code, out, _ = run("list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["DX1", "CT1", "CT2_SCANNER"]
    assert "10.0.0.7:4006" in out

    code, _, err = run("add", "ct2_scanner", "--room", "CT 1")
    assert (code, err) == (1, "mic-desktop: A scanner with the AE title CT2_SCANNER is already "
                              "set up.\n")  # fmt: skip
    code, _, err = run("add", "BAD\\AE", "--room", "CT 1")
    assert code == 1 and "is not an AE title" in err
    code, _, err = run("add", "MR1", "--room", "MRI 9")
    assert code == 1 and "There is no room MRI 9; the rooms are: CT 1, CT 2, X-ray 1." in err

    assert run("remove", "ct2_scanner") == (0, "Removed scanner CT2_SCANNER (CT 2).\n", "")
    code, _, err = run("remove", "CT2_SCANNER")
    assert (code, err) == (1, "mic-desktop: No scanner has the AE title CT2_SCANNER.\n")
    with database.session() as session:
        actions = session.execute(
            select(AuditLog.action, AuditLog.username)
            .where(AuditLog.entity == "dicom_device")
            .order_by(AuditLog.id)
        ).all()
    assert actions[-2:] == [
        ("dicom_device_added", "(command line)"),
        ("dicom_device_removed", "(command line)"),
    ]


def test_echo_the_service_and_a_port_nobody_listens_on(
    dicom_server: DicomServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dicom", "echo", f"MIC_RIS@127.0.0.1:{dicom_server.port}"]) == 0
    assert capsys.readouterr().out.startswith(f"MIC_RIS@127.0.0.1:{dicom_server.port} answered")

    assert main(["dicom", "echo", f"MIC_RIS@127.0.0.1:{_free_port()}"]) == 1
    assert "did not answer" in capsys.readouterr().out
    assert main(["dicom", "echo", "MIC_RIS-127.0.0.1"]) == 1
    assert "is not a DICOM address: write AE@HOST:PORT" in capsys.readouterr().err


def test_doctor_says_whether_the_service_is_on_and_answers(
    db_url: URL, database: Database, dicom_server: DicomServer,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    _code, out, _ = _run(monkeypatch, capsys, db_url, "doctor")
    assert "dicom service" in out and "not enabled" in out

    with database.session() as session:  # this PC is "test-pc" (tests/conftest.py)
        session.execute(
            update(ClinicSettings).values(dicom_workstation="test-pc", dicom_port=dicom_server.port)
        )
    _code, out, _ = _run(monkeypatch, capsys, db_url, "doctor")
    line = next(line for line in out.splitlines() if "dicom service" in line)
    assert f"enabled on this PC, MIC_RIS port {dicom_server.port}: answers C-ECHO" in line
    assert line.startswith("[  ok]")

    dicom_server.stop()
    _code, out, _ = _run(monkeypatch, capsys, db_url, "doctor")
    line = next(line for line in out.splitlines() if "dicom service" in line)
    assert line.startswith("[warn]") and "does NOT answer C-ECHO" in line


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_and_stops_cleanly_on_sigterm(db_url: URL, clinic: Clinic) -> None:
    port = _free_port()
    url = db_url.render_as_string(hide_password=False)
    serve = subprocess.Popen(
        [sys.executable, "-m", "mic_desktop", "dicom", "serve", "--port", str(port),
         "--ae-title", "CLINIC_WL", "--database-url", url],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ},
    )  # fmt: skip
    try:
        assert serve.stderr is not None
        line = serve.stderr.readline()
        while line and "listening" not in line:
            line = serve.stderr.readline()
        assert f"DICOM service CLINIC_WL listening on port {port}" in line
        for _ in range(50):  # the port is open once the line is printed; allow a slow start
            if main(["dicom", "echo", f"CLINIC_WL@127.0.0.1:{port}"]) == 0:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the service never answered C-ECHO")
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == 0
        assert "DICOM service stopped." in serve.stderr.read()
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
