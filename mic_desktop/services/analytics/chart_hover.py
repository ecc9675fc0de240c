"""What a pointer over a chart shows: per bucket, the numbers behind a rate or average.

:func:`hover_zones` maps each bucket of the axes drawn by bucket (labelled
:data:`.chart_style.BUCKETS`) to its column of the rendered picture and the chart's
``hover_texts()`` (e.g. "Tue 3 Nov: completion 12 of 13 due = 92.3 %"), so the
window's tooltip shows a rate's denominator without drawing it on the chart.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure

from mic_desktop.services.analytics.chart_style import BUCKETS


@dataclass(frozen=True)
class HoverZone:
    """A bucket's column of the picture (pixels from the top left) and its tooltip."""

    left: int
    top: int
    right: int
    bottom: int
    text: str

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x < self.right and self.top <= y < self.bottom


def hover_zones(chart: object, figure: Figure, height: int) -> tuple[HoverZone, ...]:
    """One zone per bucket over the axes drawn by bucket, carrying ``chart.hover_texts()``."""
    texts = getattr(chart, "hover_texts", None)
    axes = [ax for ax in figure.axes if ax.get_label() == BUCKETS]
    if texts is None or not axes:
        return ()
    boxes = [ax.get_window_extent() for ax in axes]
    top, bottom = height - max(b.y1 for b in boxes), height - min(b.y0 for b in boxes)
    to_pixels = axes[0].transData
    zones = []
    for i, text in enumerate(texts()):
        left = to_pixels.transform((i - 0.5, 0))[0]
        right = to_pixels.transform((i + 0.5, 0))[0]
        zones.append(HoverZone(int(left), int(top), int(right), int(bottom), text))
    return tuple(zones)
