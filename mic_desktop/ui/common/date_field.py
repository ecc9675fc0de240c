"""A typed date field (day/month/year, the clinic's order) with its check next to it.

:func:`parse_day_month_year` reads ``15/06/1985``, ``15-6-1985``, ``15.06.85`` or
``15061985`` (no separators: ``DDMMYYYY`` or ``DDMMYY``); :class:`DateField` is a
line edit that starts empty, shows ``dd/mm/yyyy`` as its hint, rewrites what was
typed in the one format once the person leaves it, and says under itself what is
wrong with an impossible or future date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from .colours import ERROR_TEXT

DISPLAY = "%d/%m/%Y"
_SEPARATED = re.compile(r"^\s*(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{2}|\d{4})\s*$")


class DateInputError(ValueError):
    """What is wrong with a typed date, in words for the person who typed it."""


def _year(text: str, today: dt.date) -> int:
    if len(text) == 4:
        return int(text)
    short = int(text)  # a two-digit year: the most recent such year not after today
    year = today.year - today.year % 100 + short
    return year - 100 if year > today.year else year


def parse_day_month_year(
    text: str, today: dt.date, *, allow_future: bool = False
) -> dt.date | None:
    """The date typed as day, month, year; None for nothing typed; DateInputError if wrong."""
    text = text.strip()
    if not text:
        return None
    digits = re.sub(r"\s", "", text)
    match = _SEPARATED.match(text)
    if match:
        day, month, year = match.group(1), match.group(2), match.group(3)
    elif digits.isdigit() and len(digits) in (6, 8):
        day, month, year = digits[:2], digits[2:4], digits[4:]
    else:
        raise DateInputError("Type the date as day/month/year, e.g. 15/06/1985.")
    try:
        value = dt.date(_year(year, today), int(month), int(day))
    except ValueError:
        raise DateInputError(f"There is no such date: {text}.") from None
    if not allow_future and value > today:
        raise DateInputError("The date cannot be in the future.")
    if value.year < 1880:
        raise DateInputError("Check the year: this date is too long ago.")
    return value


class DateField(QWidget):
    """A date typed day/month/year, empty until typed; ``error`` shows under the edit."""

    edited = Signal()

    def __init__(
        self,
        today: Callable[[], dt.date],
        *,
        allow_future: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._today = today
        self._allow_future = allow_future
        self.edit = _Edit(self)
        self.edit.setPlaceholderText("dd/mm/yyyy")
        self.edit.setToolTip("Day, month, year: 15/06/1985, 15-6-85 or 15061985")
        self.edit.setMaxLength(12)
        self.edit.left.connect(self.check)
        self.edit.textEdited.connect(lambda _t: (self.error.hide(), self.edited.emit()))
        self.error = QLabel()
        self.error.setObjectName("date_error")
        self.error.setStyleSheet(f"color: {ERROR_TEXT};")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self.setFocusProxy(self.edit)

    def date(self) -> dt.date | None:
        """The date typed (None when empty); raises DateInputError when it is not a date."""
        return parse_day_month_year(
            self.edit.text(), self._today(), allow_future=self._allow_future
        )

    def setDate(self, value: dt.date | None) -> None:
        self.edit.setText(value.strftime(DISPLAY) if value is not None else "")
        self.error.hide()

    def text(self) -> str:
        return self.edit.text()

    def check(self) -> bool:
        """Show what is wrong (if anything) and write a good date in the one format."""
        try:
            value = self.date()
        except DateInputError as error:
            self.show_error(str(error))
            return False
        self.error.hide()
        if value is not None:
            self.edit.setText(value.strftime(DISPLAY))
        return True

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


class _Edit(QLineEdit):
    left = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self.left.emit()
