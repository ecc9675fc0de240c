"""The one icon set: Material Design Icons 6 (``mdi6.*``), drawn from the font qtawesome ships.

Only that font and its character map are loaded, with the first icon: about 3 MiB,
where importing qtawesome loads its ten icon fonts and Qt's OpenGL modules (about
40 MiB). The glyph is drawn as qtawesome draws it (centred, 7/8 of the icon's
height), so icons look the same.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QIconEngine, QPainter, QPixmap

PREFIX = "mdi6"
FONT_FILE = "materialdesignicons6-webfont-6.9.96.ttf"
CHARMAP_FILE = "materialdesignicons6-webfont-charmap-6.9.96.json"
GLYPH_SCALE = 0.875  # qtawesome's: a 16 px icon gets a 14 px glyph, room for the bearing


class UnknownIconError(KeyError):
    """No icon of that name in the icon set."""


@functools.cache
def _icon_font() -> tuple[str, dict[str, str]]:
    """The font family and the character of each icon name, loaded once."""
    spec = importlib.util.find_spec("qtawesome")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the icon fonts of qtawesome are not installed")
    fonts = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    font_id = QFontDatabase.addApplicationFont(str(fonts / FONT_FILE))
    families = QFontDatabase.applicationFontFamilies(font_id)
    if not families:
        raise RuntimeError(f"the icon font {fonts / FONT_FILE} could not be loaded")
    charmap = json.loads((fonts / CHARMAP_FILE).read_text(encoding="utf-8"))
    return families[0], {name: chr(int(code, 16)) for name, code in charmap.items()}


class GlyphIconEngine(QIconEngine):
    """Draws one glyph of the icon font in a colour (another colour when disabled)."""

    def __init__(self, family: str, char: str, colour: str, disabled_colour: str) -> None:
        super().__init__()
        self._family = family
        self._char = char
        self._colour = colour
        self._disabled_colour = disabled_colour

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.save()
        disabled = mode == QIcon.Mode.Disabled
        painter.setPen(QColor(self._disabled_colour if disabled else self._colour))
        font = QFont()
        font.setFamily(self._family)
        font.setPixelSize(max(1, round(GLYPH_SCALE * rect.height())))
        painter.setFont(font)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), self._char)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return pixmap

    def clone(self) -> QIconEngine:
        return GlyphIconEngine(self._family, self._char, self._colour, self._disabled_colour)


def glyph_icon(name: str, colour: str, disabled_colour: str) -> QIcon:
    """The icon ``mdi6.<name>`` in ``colour``; :class:`UnknownIconError` for another name."""
    prefix, _, short = name.partition(".")
    family, chars = _icon_font()
    if prefix != PREFIX or short not in chars:
        raise UnknownIconError(f"no icon {name!r} in the icon set ({PREFIX}.*)")
    return QIcon(GlyphIconEngine(family, chars[short], colour, disabled_colour))
