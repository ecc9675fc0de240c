"""What the radiologist's widgets share: services built from the session, files and live updates.

The file choosers and the system viewer are module-level functions so that tests
can replace them (a file dialog nobody answers would block a test forever). The
report PDF chooser opens in the folder the person last attached a PDF from on this
PC (remembered per username in the settings file), else in their home folder.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget

from mic_desktop.config import Settings
from mic_desktop.services.attachments import viewer_file_name
from mic_desktop.services.reporting.access_log import ReportAccessService
from mic_desktop.services.reporting.critical_findings import CriticalFindingService
from mic_desktop.services.reporting.reports import ReportService
from mic_desktop.ui.common.session import UserSession

PDF_FILTER = "PDF documents (*.pdf);;All files (*)"


def report_service(session: UserSession) -> ReportService:
    return ReportService(
        session.database.session_factory, session.account, session.workstation, session.clock
    )


def access_service(session: UserSession) -> ReportAccessService:
    return ReportAccessService(
        session.database.session_factory, session.account, session.workstation, session.clock
    )


def critical_service(session: UserSession) -> CriticalFindingService:
    return CriticalFindingService(
        session.database.session_factory, session.account, session.workstation, session.clock
    )


def connect_live(
    session: UserSession, channels: set[str], slot: Callable[[], None], owner: QObject
) -> None:
    """Call ``slot`` when any of ``channels`` changes here or elsewhere, or after a reconnect."""
    live = getattr(session, "changes", None)
    if live is None:  # a session without the listener (command line, some tests)
        return

    def changed(channel: str, _ids: object) -> None:
        if channel in channels and shiboken6.isValid(owner):
            slot()

    def reset() -> None:
        if shiboken6.isValid(owner):
            slot()

    live.changed.connect(changed)
    live.reset.connect(reset)

    def disconnect() -> None:
        if not shiboken6.isValid(live):
            return
        for signal, function in ((live.changed, changed), (live.reset, reset)):
            with contextlib.suppress(RuntimeError, TypeError, SystemError):
                signal.disconnect(function)

    owner.destroyed.connect(disconnect)


def choose_pdf_file(parent: QWidget | None, username: str) -> Path | None:
    """Ask for a PDF on the local disk, starting where ``username`` last found one."""
    start = pdf_folder(username)
    name, _ = QFileDialog.getOpenFileName(parent, "Attach the report PDF", str(start), PDF_FILTER)
    if not name:
        return None
    path = Path(name)
    remember_pdf_folder(username, path.parent)
    return path


def pdf_folder(username: str) -> Path:
    """The folder the PDF chooser opens in for ``username`` on this PC."""
    try:
        folder = Settings.load().last_pdf_folder(username)
    except (OSError, ValueError):  # an unreadable settings file: start at home
        folder = None
    return folder if folder is not None and folder.is_dir() else Path.home()


def remember_pdf_folder(username: str, folder: Path) -> None:
    """Keep ``folder`` as where ``username``'s next PDF chooser opens (never fails the attach)."""
    try:
        settings = Settings.load()
        settings.remember_pdf_folder(username, folder)
        settings.save()
    except (OSError, ValueError):  # e.g. a settings file that cannot be written
        pass


def choose_save_path(parent: QWidget | None, suggested: str) -> Path | None:
    """Ask where to save a copy of a report PDF; None when cancelled."""
    start = str(Path.home() / suggested)
    name, _ = QFileDialog.getSaveFileName(parent, "Save a copy of the report", start, PDF_FILTER)
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == ".pdf" else path.with_suffix(".pdf")


def write_temp_file(content: bytes, filename: str) -> Path:
    """Write ``content`` to a private temporary folder for the system viewer.

    The name is the product's choice: a safe base name of ``filename`` and the
    extension of the type the bytes are (.pdf, .png, .jpg, .tif), never the extension
    the file arrived with; anything else raises
    :class:`~mic_desktop.services.attachments.UnknownFileTypeError` and is not written.
    """
    name = viewer_file_name(filename, content, "document")
    from mic_desktop.ui.common.pdf_files import pdf_folder  # removed at exit and next start

    folder = Path(tempfile.mkdtemp(prefix="report-", dir=pdf_folder()))
    path = folder / name
    path.write_bytes(content)
    return path


def open_in_system_viewer(path: Path) -> bool:
    """Hand a file to the desktop's viewer (a PDF reader, an image viewer)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def local_pdf_path(urls: list[QUrl]) -> Path | None:
    """The one local file among dropped URLs, or None."""
    files = [Path(url.toLocalFile()) for url in urls if url.isLocalFile()]
    return files[0] if len(files) == 1 else None
