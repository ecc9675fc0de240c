"""The services' text limits on the forms: a maximum length on one-line fields and a
character counter under multi-line ones that turns red past the limit."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit

from .colours import ERROR_TEXT, MUTED_TEXT


def limit_line(edit: QLineEdit, limit: int) -> QLineEdit:
    """``edit`` takes at most ``limit`` characters; its tooltip says so."""
    edit.setMaxLength(limit)
    edit.setToolTip(f"At most {limit} characters.")
    return edit


class LengthCounter(QLabel):
    """“123 / 2000 characters” under a text box; red, with what to do, past the limit."""

    def __init__(self, edit: QPlainTextEdit, limit: int) -> None:
        super().__init__()
        self.setObjectName(f"{edit.objectName() or 'text'}_counter")
        self.limit = limit
        self._edit = edit
        edit.textChanged.connect(self.update_count)
        self.update_count()

    @property
    def over(self) -> bool:
        return len(self._edit.toPlainText()) > self.limit

    def update_count(self) -> None:
        length = len(self._edit.toPlainText())
        if length > self.limit:
            self.setText(
                f"{length} / {self.limit} characters: shorten it by {length - self.limit}."
            )
            self.setStyleSheet(f"color:{ERROR_TEXT}")
        else:
            self.setText(f"{length} / {self.limit} characters")
            self.setStyleSheet(f"color:{MUTED_TEXT}")
