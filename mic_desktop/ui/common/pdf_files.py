"""PDFs handed to the system viewer: private temporary files, removed again, and "Save as…".

Receipts, slips, day sheets and reports carry names, phone numbers and MRNs, so the
copies made for the viewer go to one folder per running program
(``<temp>/mic-desktop-<user>/pdf-<pid>``), deleted when the program quits; a folder
left by a program that crashed is deleted at the next start
(:func:`remove_stale_pdf_folders`). When the PC has no program that opens PDFs,
:class:`PdfNotOpenedDialog` says so and offers to save the file somewhere.
"""

from __future__ import annotations

import atexit
import getpass
import os
import re
import shutil
import tempfile
from pathlib import Path

import psutil
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QVBoxLayout,
    QWidget,
)

_UNSAFE = re.compile(r"[^\w.\- ]+")
_PREFIX = "pdf-"


def _root() -> Path:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    return Path(tempfile.gettempdir()) / f"mic-desktop-{_UNSAFE.sub('_', user)}"


def pdf_folder() -> Path:
    """This program's folder for viewer copies (made on first use, removed at exit)."""
    folder = _root() / f"{_PREFIX}{os.getpid()}"
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        atexit.register(remove_pdf_folder)
    return folder


def remove_pdf_folder() -> None:
    """Delete this program's viewer copies (a viewer may still hold one: then at next start)."""
    shutil.rmtree(_root() / f"{_PREFIX}{os.getpid()}", ignore_errors=True)


def remove_stale_pdf_folders() -> int:
    """Delete the folders of programs no longer running; returns how many went."""
    root = _root()
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.glob(f"{_PREFIX}*"):
        pid = folder.name.removeprefix(_PREFIX)
        if pid.isdigit() and int(pid) != os.getpid() and not psutil.pid_exists(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed += not folder.exists()
    return removed


def write_temp_pdf(content: bytes, name: str) -> Path:
    """Write ``content`` as ``name`` (made safe, ``.pdf`` added) into this program's folder."""
    stem = _UNSAFE.sub("_", name).strip() or "document"
    path = pdf_folder() / (stem if stem.lower().endswith(".pdf") else f"{stem}.pdf")
    path.write_bytes(content)
    return path


def open_in_viewer(path: Path) -> bool:
    """Hand a file to the desktop's PDF viewer; False when the PC has none."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def show_pdf(content: bytes, name: str, parent: QWidget | None) -> Path:
    """Open the PDF in the viewer, or say it cannot be opened and offer "Save as…"."""
    path = write_temp_pdf(content, name)
    if not open_in_viewer(path):
        dialog = PdfNotOpenedDialog(content, path.name, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
    return path


class PdfNotOpenedDialog(QDialog):
    """No PDF viewer on this PC: the person saves the file instead (or closes)."""

    def __init__(self, content: bytes, filename: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PdfNotOpenedDialog")
        self._content = content
        self._filename = filename
        self.saved_to: Path | None = None
        self.setWindowTitle("The PDF could not be opened")
        self.text = QLabel(
            f"This PC has no program that opens PDF files, so {filename} could not be "
            "shown. Save it and open or print it elsewhere, or ask for a PDF viewer "
            "to be installed."
        )
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(420)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = buttons.addButton("&Save as…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        buttons.accepted.connect(self.save_as)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def save_as(self) -> None:
        start = str(Path.home() / self._filename)
        name, _ = QFileDialog.getSaveFileName(self, "Save the PDF", start, "PDF files (*.pdf)")
        if not name:
            return
        path = Path(name) if name.lower().endswith(".pdf") else Path(f"{name}.pdf")
        try:
            path.write_bytes(self._content)
        except OSError as error:
            self.error.setText(f"It could not be saved there: {error.strerror or error}.")
            self.error.show()
            return
        self.saved_to = path
        self.accept()
