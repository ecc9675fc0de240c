"""Joining PDFs into one delivered document, with "Page N of M" stamped on pages we did not draw.

A radiologist's attached PDF delivered with generated pages (addenda after it, or as
the appendix of a generated report) gets the same foot line as the generated pages:
who it is about on the left and its number in the whole document on the right, drawn
with reportlab on an overlay and merged onto each page with pypdf. A page turned with
``/Rotate`` has its rotation moved into its content first, so the stamp sits upright at
the foot of the page as it is read.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from reportlab.pdfgen.canvas import Canvas

from mic_desktop.services.documents.letterhead import draw_page_footer, register_fonts

if TYPE_CHECKING:
    from pypdf import PdfWriter

# pypdf (about 20 MiB) is imported in the functions: it loads with the first PDF joined
# or stamped, not with the windows that merely can deliver one.


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    with _quiet_pypdf():
        return len(PdfReader(io.BytesIO(pdf), strict=False).pages)


def stamp_page_numbers(pdf: bytes, *, left: str, first_number: int, total: int) -> bytes:
    """``pdf`` with ``left`` and "Page N of ``total``" (N from ``first_number``) on every page."""
    from pypdf import PdfReader, PdfWriter

    register_fonts()
    with _quiet_pypdf():
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf), strict=False))
        for index, page in enumerate(writer.pages):
            if page.rotation:
                page.transfer_rotation_to_content()
            box = page.cropbox
            x0, y0, x1, y1 = (float(v) for v in (box.left, box.bottom, box.right, box.top))
            overlay = io.BytesIO()
            canvas = Canvas(overlay, pagesize=(max(x1, 1.0), max(y1, 1.0)))
            draw_page_footer(canvas, left, first_number + index, total, (x0, y0, x1, y1))
            canvas.showPage()
            canvas.save()
            page.merge_page(PdfReader(io.BytesIO(overlay.getvalue())).pages[0])
        return _written(writer)


def join_pdfs(parts: Sequence[bytes]) -> bytes:
    """One PDF with the pages of ``parts`` in order."""
    from pypdf import PdfReader, PdfWriter

    with _quiet_pypdf():
        writer = PdfWriter()
        for part in parts:
            writer.append(PdfReader(io.BytesIO(part), strict=False))
        return _written(writer)


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    # Attached files passed the upload checks; pypdf's warnings about their quirks are noise.
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)
