"""Choosing files for the manager's exports, logo and backup.

Every page asks through these functions (never QFileDialog directly), so tests
can patch them with a path of their choosing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget


def choose_save_path(
    parent: QWidget | None, caption: str, suggested: str, filter: str
) -> Path | None:
    """Ask where to save; ``None`` when the person cancels."""
    chosen, _ = QFileDialog.getSaveFileName(parent, caption, str(Path.home() / suggested), filter)
    return Path(chosen) if chosen else None


def choose_open_path(parent: QWidget | None, caption: str, filter: str) -> Path | None:
    """Ask which file to open; ``None`` when the person cancels."""
    chosen, _ = QFileDialog.getOpenFileName(parent, caption, str(Path.home()), filter)
    return Path(chosen) if chosen else None


def choose_folder(parent: QWidget | None, caption: str) -> Path | None:
    """Ask for a folder; ``None`` when the person cancels."""
    chosen = QFileDialog.getExistingDirectory(parent, caption, str(Path.home()))
    return Path(chosen) if chosen else None
