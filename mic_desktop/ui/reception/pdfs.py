"""Open a PDF made by a service in the system viewer, or print it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

_opened: list[Path] = []


def write_temp_pdf(content: bytes, stem: str) -> Path:
    """Write ``content`` to a temporary file kept until the program ends."""
    with tempfile.NamedTemporaryFile(prefix=f"mic-{stem}-", suffix=".pdf", delete=False) as handle:
        handle.write(content)
    path = Path(handle.name)
    _opened.append(path)
    return path


def open_pdf(content: bytes, stem: str) -> Path:
    """Show the PDF in the system viewer (the viewer also prints it); returns the file."""
    path = write_temp_pdf(content, stem)
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
    return path
