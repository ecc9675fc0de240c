"""Build the self-contained MIC Desktop folder for this platform.

    python installer/build.py            # -> dist/mic-desktop/
    python installer/build.py --smoke    # ... then start it once with --self-test

Installs nothing by itself: run it in an environment with ``pip install ".[build]"``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "installer" / "mic-desktop.spec"
DIST = ROOT / "dist"
ICONS = ROOT / "build" / "icons"


def render_icons() -> None:
    """The app icon as PNG (Linux) and ICO (Windows), drawn from resources/logo.svg by Qt."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    ICONS.mkdir(parents=True, exist_ok=True)
    renderer = QSvgRenderer(str(ROOT / "resources" / "logo.svg"))
    image = QImage(256, 256, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    image.save(str(ICONS / "mic-desktop.png"))
    image.save(str(ICONS / "mic-desktop.ico"))


def build() -> Path:
    render_icons()
    subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", str(SPEC), "--noconfirm", "--clean",
            "--distpath", str(DIST), "--workpath", str(ROOT / "build" / "pyinstaller"),
        ],
        check=True,
        cwd=ROOT,
    )  # fmt: skip
    folder = DIST / "mic-desktop"
    if sys.platform.startswith("linux"):
        (folder / "mic-desktop.png").write_bytes((ICONS / "mic-desktop.png").read_bytes())
        desktop = (ROOT / "installer" / "linux" / "mic-desktop.desktop").read_text()
        (folder / "mic-desktop.desktop").write_text(desktop)
    return folder


def smoke(folder: Path) -> float:
    """Start the bundle's self-test; returns the seconds it took."""
    program = folder / ("mic-desktop-cli.exe" if sys.platform == "win32" else "mic-desktop")
    started = time.perf_counter()
    subprocess.run([str(program), "--self-test"], check=True, timeout=300)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="run the bundle's --self-test")
    args = parser.parse_args()
    started = time.perf_counter()
    folder = build()
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    print(f"Built {folder} ({size / 2**20:.0f} MB) in {time.perf_counter() - started:.0f} s")
    if args.smoke:
        print(f"Self-test passed in {smoke(folder):.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
