"""The login window comes up before anything heavy is imported.

The real program is started in a subprocess against the test's database; at the
login window's first paint it reports which heavy libraries are already loaded
(``benchmarks/startup_probe.py``). Role windows, charts, PDFs, Alembic, Twilio,
the scheduler and the icon font all load after login or after that first paint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import URL

ROOT = Path(__file__).resolve().parents[2]


def _probe(url: URL) -> dict[str, object]:
    # The test server trusts local connections; a password in the URL keeps the
    # program from asking for one.
    address = url.set(password="unused").render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.startup_probe", address],
        cwd=ROOT,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the login window never painted:\n{done.stdout}\n{done.stderr}"
    return json.loads(lines[-1])


def test_nothing_heavy_is_imported_before_the_login_window(db_url: URL, staff: object) -> None:
    report = _probe(db_url)
    assert report["heavy"] == []


def test_the_probe_sees_a_heavy_import(db_url: URL, staff: object) -> None:
    """The check above can fail: a program that imports the manager window early is caught."""
    address = db_url.set(password="unused").render_as_string(hide_password=False)
    code = (
        "import runpy, sys; import mic_desktop.ui.manager.window; "
        f"sys.argv = ['startup_probe', {address!r}]; "
        "runpy.run_module('benchmarks.startup_probe', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    report = json.loads([x for x in done.stdout.splitlines() if x.startswith("{")][-1])
    assert "matplotlib" in report["heavy"]
    assert "mic_desktop.ui.manager.window" in report["heavy"]


def test_the_role_windows_load_without_pdf_reading_sms_or_the_icon_library() -> None:
    """pypdf (about 20 MiB) loads with the first PDF read, Twilio with the SMS settings or
    the first SMS; the icons never need qtawesome itself (memory of a logged-in window)."""
    code = (
        "import sys; import mic_desktop.ui.manager.window, mic_desktop.ui.reception.window, "
        "mic_desktop.ui.radiologist.window, mic_desktop.ui.common.workstation_actions; "
        "print(sorted(m for m in ('pypdf', 'twilio', 'qtawesome') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )
    assert done.stdout.strip() == "[]"
