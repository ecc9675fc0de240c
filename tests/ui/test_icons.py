"""The icon set: glyphs of the one icon font, in the colour asked, greyed when disabled."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QImage
from pytestqt.qtbot import QtBot

from mic_desktop.ui.common.icons import UnknownIconError, glyph_icon
from mic_desktop.ui.common.look import icon


def _inked(image: QImage) -> list[QColor]:
    """The colours of the pixels the glyph covers fully."""
    return [
        image.pixelColor(x, y)
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() == 255
    ]


def test_an_icon_is_its_glyph_in_the_colour_asked(qtbot: QtBot) -> None:
    drawn = glyph_icon("mdi6.account-plus", "#0b6bcb", "#b8c0ca")
    normal = drawn.pixmap(QSize(32, 32)).toImage()
    inked = _inked(normal)
    assert len(inked) > 40  # a glyph, not an empty picture
    assert {colour.name() for colour in inked} == {"#0b6bcb"}
    disabled = drawn.pixmap(QSize(32, 32), QIcon.Mode.Disabled).toImage()
    assert {colour.name() for colour in _inked(disabled)} == {"#b8c0ca"}
    other = glyph_icon("mdi6.lan-connect", "#0b6bcb", "#b8c0ca").pixmap(QSize(32, 32)).toImage()
    assert other != normal  # each name draws its own glyph


def test_an_unknown_icon_name_is_refused(qtbot: QtBot) -> None:
    with pytest.raises(UnknownIconError, match=r"mdi6\.no-such-icon"):
        icon("mdi6.no-such-icon")
    with pytest.raises(UnknownIconError):
        icon("fa5s.user")  # another icon set: the program uses one
