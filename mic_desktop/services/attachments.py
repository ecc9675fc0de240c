"""Files people attach from their disk: read with a size check first, typed by their content,
and named by the product when stored or handed to the system viewer.

The name a file arrives with proves nothing: :func:`detect_file_type` reads the
first bytes (PDF, PNG, JPEG, TIFF) and the extension the product stores or writes
is the one that matches them (:func:`safe_file_name`). :func:`read_attachment`
looks at the file's size with ``os.stat`` before reading it, so an oversized file
(or a device such as ``/dev/zero``) is refused without being read into memory.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePath

from mic_desktop.services.errors import ValidationError

MAX_STEM = 100  # characters of the base name kept; the product adds the extension


@dataclass(frozen=True)
class FileType:
    content_type: str
    suffix: str  # the extension the product writes, with its dot
    label: str


PDF = FileType("application/pdf", ".pdf", "PDF")
PNG = FileType("image/png", ".png", "PNG image")
JPEG = FileType("image/jpeg", ".jpg", "JPEG image")
TIFF = FileType("image/tiff", ".tif", "TIFF image")
_SIGNATURES = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)
# A run of extensions at the end of a name ("letter.pdf.exe"): all dropped.
_EXTENSIONS = re.compile(r"(\.[A-Za-z0-9]{1,5})+$")
_UNSAFE = re.compile(r"[^\w .()+-]+")


class AttachmentError(ValidationError):
    """A file cannot be attached; ``field`` is the field it was chosen in."""


class AttachmentTooLargeError(AttachmentError):
    def __init__(self, shown: str, size_bytes: int, max_bytes: int, what: str, field: str) -> None:
        super().__init__(
            f"{shown} is {megabytes(size_bytes)}; {what} may be at most "
            f"{megabytes(max_bytes)}. It was not read.",
            field,
        )
        self.size_bytes = size_bytes
        self.max_bytes = max_bytes


class NotARegularFileError(AttachmentError):
    def __init__(self, shown: str, field: str) -> None:
        super().__init__(f"{shown} is not a file on the disk (a folder or a device).", field)


class UnknownFileTypeError(AttachmentError):
    """The content is none of the types the product opens or stores."""


def megabytes(size_bytes: int) -> str:
    return f"{size_bytes / (1024 * 1024):.1f} MB"


def read_attachment(path: Path, max_bytes: int, *, what: str, field: str) -> bytes:
    """The bytes of ``path``, refused by size before anything is read.

    ``what`` names the kind of file in the message ("report PDFs"); ``field`` is the
    field the message belongs next to. ``OSError`` passes through (no such file, no
    permission): the caller says the file cannot be read.
    """
    shown = path.name or str(path)
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise NotARegularFileError(shown, field)
    if info.st_size > max_bytes:
        raise AttachmentTooLargeError(shown, info.st_size, max_bytes, what, field)
    with path.open("rb") as handle:
        content = handle.read(max_bytes + 1)  # a file still growing stops at the limit
    if len(content) > max_bytes:
        raise AttachmentTooLargeError(shown, len(content), max_bytes, what, field)
    return content


def detect_file_type(content: bytes) -> FileType | None:
    """PDF, PNG, JPEG or TIFF by the file's first bytes; None for anything else."""
    return next((kind for signature, kind in _SIGNATURES if content.startswith(signature)), None)


def safe_stem(filename: str, fallback: str) -> str:
    """A base name safe on every PC: no folder, no extension, no control or path characters."""
    name = PurePath(unicodedata.normalize("NFC", filename).replace("\\", "/")).name
    name = _EXTENSIONS.sub("", name)
    name = _UNSAFE.sub("_", name).strip(" ._")
    return name[:MAX_STEM].strip(" ._") or fallback


def safe_file_name(filename: str, kind: FileType, fallback: str) -> str:
    """The safe base name of ``filename`` with the extension of its detected type."""
    return f"{safe_stem(filename, fallback)}{kind.suffix}"


def viewer_file_name(filename: str, content: bytes, fallback: str) -> str:
    """The name a file is written under for the system viewer, chosen by the product.

    Raises :class:`UnknownFileTypeError` when the bytes are not a PDF or image: such a
    file is never handed to the viewer.
    """
    kind = detect_file_type(content)
    if kind is None:
        raise UnknownFileTypeError(
            f"{PurePath(filename).name or 'This file'} is not a PDF or an image, so it is "
            "not opened on this PC.",
            None,
        )
    return safe_file_name(filename, kind, fallback)
