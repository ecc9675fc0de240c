"""Small pieces the reception dialogs share.

The red error line under a field (:func:`error_label`), the item role under
which a list of free slots keeps each :class:`Slot` (:data:`SLOT_ROLE`), and
reading an amount of money as typed (:func:`parse_amount`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from mic_desktop.ui.common.colours import ERROR_TEXT

SLOT_ROLE = Qt.ItemDataRole.UserRole + 10


def error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(f"{name}_error")
    label.setStyleSheet(f"color: {ERROR_TEXT};")
    label.setWordWrap(True)
    label.hide()
    return label


def parse_amount(text: str) -> Decimal | None:
    cleaned = text.replace(",", "").strip()
    if not cleaned:
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None
