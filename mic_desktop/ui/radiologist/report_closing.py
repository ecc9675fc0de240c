"""Closing a report window with typed text not yet saved: a Save / Discard / Cancel decision.

:class:`UnsavedChangesGuard` is mixed into :class:`~.editor.ReportEditor`. The
question is a window-modal :class:`QMessageBox` opened with ``open()`` (the window
stays responsive); Save closes the window once the draft is saved, Discard closes
it without saving, Cancel goes back to the text. Autosave waits while it is asked.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMessageBox


class UnsavedChangesGuard:
    """The closing rules of the report window (a mixin of :class:`ReportEditor`).

    The window provides ``_dirty``, ``editable``, ``_autosave``, ``save_draft``,
    ``isVisible`` and ``close``; after a save it calls :meth:`saved_for_closing`.
    """

    _dirty: bool
    _autosave: QTimer
    close_question: QMessageBox | None = None
    _close_after_save = False

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._dirty and self.editable and self.isVisible():  # type: ignore[attr-defined]
            event.ignore()
            self.ask_before_closing()
            return
        super().closeEvent(event)  # type: ignore[misc]

    def ask_before_closing(self) -> None:
        """Save / Discard / Cancel for typed text that is not saved yet."""
        if self.close_question is not None:
            return
        self._autosave.stop()
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            "This report has typed text that is not saved yet.",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self,  # type: ignore[arg-type]
        )
        box.setInformativeText("Save it as the draft before the window closes?")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _code: self._close_answered(box))
        self.close_question = box
        box.open()

    def _close_answered(self, box: QMessageBox) -> None:
        self.close_question = None
        answer = box.standardButton(box.clickedButton()) if box.clickedButton() else None
        box.deleteLater()
        if answer == QMessageBox.StandardButton.Save:
            self._close_after_save = True
            self.save_draft()  # type: ignore[attr-defined]
        elif answer == QMessageBox.StandardButton.Discard:
            self._dirty = False
            self.close()  # type: ignore[attr-defined]
        elif self._dirty:
            self._autosave.start()

    def saved_for_closing(self) -> None:
        """After a save: close when the save was the answer to the question."""
        if self._close_after_save:
            self._close_after_save = False
            if not self._dirty:
                self.close()  # type: ignore[attr-defined]

    def closing_failed(self) -> None:
        self._close_after_save = False
