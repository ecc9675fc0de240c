"""Checking a referral letter before it is stored with a booking.

A letter is a PDF or a scanned image (PNG, JPEG, TIFF), told by its bytes, not its
name. A PDF passes the same checks as a report PDF (complete, parsable, not
password-protected, no JavaScript, launch actions or embedded files); an image
must decode completely. The stored name is a safe base name with the extension of
the detected type, so no workstation ever opens it as anything else.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path, PurePath

from mic_desktop.services.attachments import (
    PDF,
    AttachmentError,
    AttachmentTooLargeError,
    FileType,
    detect_file_type,
    read_attachment,
    safe_file_name,
)
from mic_desktop.services.documents.pdf_active_content import describe

FIELD = "referral_letter"
FALLBACK_NAME = "referral-letter"
MAX_PIXELS = 50_000_000  # an A4 page scanned at 600 dpi is 35 million
WHAT = "referral letters"


@dataclass(frozen=True)
class ReferralLetter:
    filename: str
    content: bytes


class ReferralLetterRejectedError(AttachmentError):
    """The file cannot be stored as a referral letter; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, FIELD)


def read_referral_letter(path: Path, max_mb: int) -> ReferralLetter:
    """Read a letter from the disk, refused by size (``os.stat``) before it is read."""
    return ReferralLetter(
        path.name, read_attachment(path, max_mb * 1024 * 1024, what=WHAT, field=FIELD)
    )


def check_referral_letter(letter: ReferralLetter, max_mb: int) -> tuple[str, str, str]:
    """(stored file name, content type, SHA-256) of a sound PDF or image within the limit."""
    shown = PurePath(letter.filename.replace("\\", "/")).name or "The referral letter"
    size = len(letter.content)
    if size == 0:
        raise ReferralLetterRejectedError("The referral letter is an empty file.")
    if size > max_mb * 1024 * 1024:
        raise AttachmentTooLargeError(shown, size, max_mb * 1024 * 1024, WHAT, FIELD)
    kind = detect_file_type(letter.content)
    if kind is None:
        raise ReferralLetterRejectedError(
            f"{shown} is not a PDF or an image (PNG, JPEG or TIFF), whatever its name says. "
            "Scan the letter to PDF or an image and attach that file."
        )
    if kind is PDF:
        _check_pdf(letter.content, shown, max_mb)
    else:
        _check_image(letter.content, kind, shown)
    return (
        safe_file_name(letter.filename, kind, FALLBACK_NAME),
        kind.content_type,
        hashlib.sha256(letter.content).hexdigest(),
    )


def _check_pdf(content: bytes, shown: str, max_mb: int) -> None:
    # pypdf loads only when a PDF letter is attached.
    from mic_desktop.services.reporting import pdf_checks as checks

    try:
        checks.check_report_pdf(content, shown, max_mb)
    except checks.ActivePdfContentError as exc:
        raise ReferralLetterRejectedError(
            f"{shown} contains {describe(exc.kinds)}, which a PDF viewer could run or "
            "open, so it is not stored. Scan or print the letter to PDF again and attach that."
        ) from exc
    except checks.EncryptedPdfError as exc:
        raise ReferralLetterRejectedError(
            f"{shown} is password-protected: other workstations could not open it. "
            "Save it again without a password."
        ) from exc
    except checks.TruncatedPdfError as exc:
        raise ReferralLetterRejectedError(
            f"{shown} is incomplete: the file ends before the PDF does. It may still be "
            "copying or was cut off; save or scan it again."
        ) from exc
    except checks.PdfRejectedError as exc:  # damaged, no pages, HTML behind a PDF header
        raise ReferralLetterRejectedError(
            f"{shown} starts like a PDF but cannot be read as one (damaged, or e.g. a web "
            "page saved under a PDF name). Scan or save the letter to PDF again."
        ) from exc


def _check_image(content: bytes, kind: FileType, shown: str) -> None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ReferralLetterRejectedError(
                    f"{shown} is {width} x {height} pixels; scan the letter at a lower "
                    "resolution (300 dpi is plenty)."
                )
            image.load()  # decodes every byte: a cut-off file fails here
    except ReferralLetterRejectedError:
        raise
    except Image.DecompressionBombError as exc:
        raise ReferralLetterRejectedError(
            f"{shown} is too large in pixels; scan the letter at a lower resolution."
        ) from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError... on bad input
        raise ReferralLetterRejectedError(
            f"{shown} is an incomplete or damaged {kind.label}. Scan or save it again."
        ) from exc
