"""Open a PDF made by a service in the system viewer (which prints it), or offer to save it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget

from mic_desktop.ui.common.pdf_files import show_pdf, write_temp_pdf

__all__ = ["open_pdf", "write_temp_pdf"]


def open_pdf(content: bytes, stem: str, parent: QWidget | None = None) -> Path:
    """Show the PDF in the viewer; without one, say so and offer "Save as…". Returns the file."""
    return show_pdf(content, stem, parent)
