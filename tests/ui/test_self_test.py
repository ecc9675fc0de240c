"""``mic-desktop --self-test`` opens the login window offscreen on a throwaway database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mic_desktop.config import settings_path


def test_self_test_passes_and_leaves_the_workstation_alone(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIC_")}
    env.update(
        HOME=str(tmp_path), MIC_CONFIG_DIR=str(tmp_path / "config"), QT_QPA_PLATFORM="offscreen"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mic_desktop", "--self-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert "self-test passed" in done.stdout
    assert "login window shown" in done.stdout
    assert "DICOM service and calendar files load" in done.stdout
    assert not (tmp_path / "config").exists()  # a throwaway config dir was used instead
    assert not settings_path().exists()


def test_self_test_reports_why_it_failed(tmp_path: Path) -> None:
    """A start-up that cannot work (no embedded PostgreSQL) exits 1 with the reason."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIC_")}
    env.update(HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    code = (
        "import sys, mic_desktop.db as db\n"
        "def broken(pgdata, database='mic'):\n"
        "    raise db.DatabaseUnavailableError('the embedded database is missing')\n"
        "db.start_embedded = broken\n"
        "from mic_desktop.cli import main\n"
        "sys.exit(main(['--self-test']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "self-test FAILED" in done.stderr
    assert "the embedded database is missing" in done.stderr
