"""PDF pages as pictures, for previews: rendered with pdfium (``pypdfium2``).

pdfium is imported on the first call (it is only needed when a preview opens) and
is not thread-safe, so one lock serialises every use of it in this process. Pages
come back as packed RGB rows that the window turns into images.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class PageImage:
    """One rendered page: ``height`` rows of ``stride`` bytes, 3 bytes (R, G, B) a pixel."""

    width: int
    height: int
    stride: int
    rgb: bytes


def render_pages(pdf: bytes, width_px: int) -> list[PageImage]:
    """Every page of ``pdf`` rendered ``width_px`` wide (the height follows the page)."""
    import pypdfium2

    with _PDFIUM:
        document = pypdfium2.PdfDocument(pdf)
        try:
            images = []
            for index in range(len(document)):
                page = document[index]
                try:
                    scale = width_px / max(page.get_width(), 1.0)
                    bitmap = page.render(scale=scale, rev_byteorder=True)
                    try:
                        images.append(
                            PageImage(
                                bitmap.width,
                                bitmap.height,
                                bitmap.stride,
                                bytes(bitmap.buffer),
                            )
                        )
                    finally:
                        bitmap.close()
                finally:
                    page.close()
            return images
        finally:
            document.close()
