"""Checking that a file a radiologist attaches is a real, readable, unprotected PDF.

The name of the file proves nothing: the bytes are checked (the ``%PDF-`` header,
the ``%%EOF`` trailer a complete file ends with), then the file is parsed with
pypdf, which has to find at least one page and read every page's content, and a
file with active content (JavaScript, launch actions, embedded files, rich media)
is refused with a message that says which: it is never cleaned and stored. Each
refusal is its own :class:`ValidationError` subclass with a message for the person
at the desk; nothing is stored unless the file passes.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import PurePath

from mic_desktop.services.documents.pdf_active_content import active_content_of, describe
from mic_desktop.services.errors import ValidationError

DEFAULT_MAX_MB = 20
FIELD = "pdf"
# The PDF specification lets readers accept a header anywhere in the first 1024 bytes.
_HEADER_WINDOW = 1024
# Scanners and some writers append a little padding after the end-of-file marker.
_TRAILER_WINDOW = 2048
_UNSAFE_NAME = re.compile(r"[\x00-\x1f<>:\"/\\|?*]+")


class PdfRejectedError(ValidationError):
    """The file cannot be used as a report PDF."""

    def __init__(self, message: str) -> None:
        super().__init__(message, FIELD)


class EmptyPdfError(PdfRejectedError):
    def __init__(self, filename: str) -> None:
        super().__init__(f"{filename} is empty (0 bytes). Choose the saved report PDF.")


class PdfTooLargeError(PdfRejectedError):
    def __init__(self, filename: str, size_bytes: int, max_mb: int) -> None:
        super().__init__(
            f"{filename} is {_megabytes(size_bytes)}; report PDFs may be at most {max_mb} MB. "
            "Save it with smaller images or ask the manager to raise the limit."
        )
        self.size_bytes = size_bytes
        self.max_mb = max_mb


class NotAPdfError(PdfRejectedError):
    def __init__(self, filename: str) -> None:
        super().__init__(
            f"{filename} is not a PDF file (whatever its name says). "
            "Export or print the report to PDF and attach that file."
        )


class TruncatedPdfError(PdfRejectedError):
    def __init__(self, filename: str) -> None:
        super().__init__(
            f"{filename} is incomplete: the file ends before the PDF does. "
            "It may still be copying or was cut off; save it again and retry."
        )


class CorruptPdfError(PdfRejectedError):
    def __init__(self, filename: str, reason: str = "") -> None:
        super().__init__(f"{filename} is damaged and cannot be read. Save the report to PDF again.")
        self.reason = reason  # the PDF reader's own words, for support staff


class EncryptedPdfError(PdfRejectedError):
    def __init__(self, filename: str) -> None:
        super().__init__(
            f"{filename} is password-protected. Other workstations could not open or print it: "
            "save it again without a password or restrictions."
        )


class ActivePdfContentError(PdfRejectedError):
    """The PDF holds JavaScript, a launch action, embedded files, ...: refused, not cleaned."""

    def __init__(self, filename: str, kinds: tuple[str, ...]) -> None:
        super().__init__(
            f"{filename} contains {describe(kinds)}, which a PDF viewer could run or open. "
            "Such PDFs are not stored or sent to patients and doctors: print or save the "
            "document to PDF again (e.g. with Print to PDF) and attach that file."
        )
        self.kinds = kinds


class PdfWithoutPagesError(PdfRejectedError):
    def __init__(self, filename: str) -> None:
        super().__init__(f"{filename} has no pages.")


@dataclass(frozen=True)
class CheckedPdf:
    """A PDF that passed every check, ready to be stored."""

    filename: str
    content: bytes
    size_bytes: int
    sha256: str
    page_count: int


def max_bytes(max_mb: int) -> int:
    return max_mb * 1024 * 1024


def clean_filename(filename: str) -> str:
    """The file's own name without its folder, safe to store and to offer when saving."""
    name = PurePath(filename.replace("\\", "/")).name
    name = _UNSAFE_NAME.sub("_", name).strip(" .") or "report"
    if not name.lower().endswith(".pdf"):
        name = f"{name}.pdf"
    if len(name) > 255:
        name = name[:251] + ".pdf"
    return name


def check_report_pdf(content: bytes, filename: str, max_mb: int = DEFAULT_MAX_MB) -> CheckedPdf:
    """Return the checked file or raise the :class:`PdfRejectedError` that says what is wrong."""
    shown = PurePath(filename.replace("\\", "/")).name or "The file"
    size = len(content)
    if size == 0 or not content.strip():
        raise EmptyPdfError(shown)
    if size > max_bytes(max_mb):
        raise PdfTooLargeError(shown, size, max_mb)
    if b"%PDF-" not in content[:_HEADER_WINDOW]:
        raise NotAPdfError(shown)
    if b"%%EOF" not in content[-_TRAILER_WINDOW:]:
        raise TruncatedPdfError(shown)
    page_count = _read_pages(content, shown)
    return CheckedPdf(
        filename=clean_filename(filename),
        content=content,
        size_bytes=size,
        sha256=hashlib.sha256(content).hexdigest(),
        page_count=page_count,
    )


def _read_pages(content: bytes, shown: str) -> int:
    from pypdf import PdfReader  # pypdf loads with the first PDF checked, not with the window

    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # a damaged file is reported to the user, not the log
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise EncryptedPdfError(shown)
        pages = reader.pages
        if len(pages) == 0:
            raise PdfWithoutPagesError(shown)
        for page in pages:
            # Reading each page's size and content streams finds broken objects and streams.
            _ = page.mediabox
            page.get_contents()
        kinds = active_content_of(reader)
        if kinds:
            raise ActivePdfContentError(shown, kinds)
        return len(pages)
    except PdfRejectedError:
        raise
    except Exception as exc:  # pypdf raises many exception types on malformed input
        raise CorruptPdfError(shown, _reason(exc)) from exc
    finally:
        pypdf_log.setLevel(level)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:120]


def _megabytes(size_bytes: int) -> str:
    return f"{size_bytes / (1024 * 1024):.1f} MB"
