"""The look shared by every window: Fusion, the stylesheet, the logo, icons and titles."""

from __future__ import annotations

import functools
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from mic_desktop import APP_TITLE

from .colours import ACCENT, MUTED_TEXT

RESOURCES_PACKAGE = "mic_desktop.resources"
STYLESHEET = "style.qss"
LOGO = "logo.svg"
DASH = "—"


def resource(name: str) -> Traversable:
    """A file of ``resources/``: installed as ``mic_desktop.resources``, or the source checkout."""
    try:
        return resources.files(RESOURCES_PACKAGE).joinpath(name)
    except ModuleNotFoundError:  # running from a checkout that was not pip-installed
        return Path(__file__).resolve().parents[3] / "resources" / name


def stylesheet() -> str:
    return resource(STYLESHEET).read_text(encoding="utf-8")


@functools.cache
def _logo_svg() -> bytes:
    return resource(LOGO).read_bytes()


def logo_pixmap(size: int, device_pixel_ratio: float | None = None) -> QPixmap:
    """The clinic logo drawn sharp at ``size`` logical pixels."""
    ratio = device_pixel_ratio or (QGuiApplication.primaryScreen().devicePixelRatio() or 1.0)
    pixmap = QPixmap(QSize(round(size * ratio), round(size * ratio)))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    QSvgRenderer(QByteArray(_logo_svg())).render(painter)
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        icon.addPixmap(logo_pixmap(size, 1.0))
    return icon


def icon(name: str, colour: str = MUTED_TEXT) -> QIcon:
    """An icon of the one icon set (Material Design Icons, ``mdi6.*``).

    Its font loads with the first icon, not with the program (:mod:`.icons`).
    """
    from .icons import glyph_icon

    return glyph_icon(name, colour, "#b8c0ca")


def accent_icon(name: str) -> QIcon:
    return icon(name, ACCENT)


def window_title(*parts: str, demo: bool = False) -> str:
    """``MIC Desktop — Reception — Tendai Moyo — DEMO``."""
    return f" {DASH} ".join([APP_TITLE, *(p for p in parts if p), *(["DEMO"] if demo else [])])


def apply_look(app: QApplication) -> None:
    """Fusion, a light palette (also on a dark desktop) and ``resources/style.qss``."""
    app.setStyle("Fusion")
    palette = app.style().standardPalette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Window, QColor("#f4f6f9"))
        palette.setColor(group, QPalette.ColorRole.Base, QColor("#ffffff"))
        palette.setColor(group, QPalette.ColorRole.AlternateBase, QColor("#f7f9fb"))
        palette.setColor(group, QPalette.ColorRole.Text, QColor("#1f2933"))
        palette.setColor(group, QPalette.ColorRole.WindowText, QColor("#1f2933"))
        palette.setColor(group, QPalette.ColorRole.ButtonText, QColor("#1f2933"))
        palette.setColor(group, QPalette.ColorRole.Highlight, QColor("#d3e4f5"))
        palette.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#1f2933"))
        palette.setColor(group, QPalette.ColorRole.PlaceholderText, QColor("#8a94a3"))
    app.setPalette(palette)
    app.setStyleSheet(stylesheet())
    app.setWindowIcon(app_icon())
