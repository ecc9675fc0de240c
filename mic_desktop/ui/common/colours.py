"""The one meaning per colour shared by lists, badges, the appointment book and charts.

Plain hex strings, so matplotlib charts use the same values as Qt widgets. Keyed by
the status's value (an ``AppointmentStatus`` is a ``str`` and finds its colour too), so
the login window can use this module before the models load.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusColour:
    """``base`` for chart bars and dots; ``background``/``foreground`` for badges."""

    base: str
    background: str
    foreground: str
    strike: bool = False


STATUS_COLOURS: dict[str, StatusColour] = {
    "pending": StatusColour("#6b7280", "#eceef1", "#4b5563"),
    "confirmed": StatusColour("#2563eb", "#dde8fd", "#1d4ed8"),
    "arrived": StatusColour("#d97706", "#fdefd3", "#8a5200"),
    "in_progress": StatusColour("#7c3aed", "#ece3fd", "#6425d0"),
    "completed": StatusColour("#16a34a", "#dcf3e4", "#15723a"),
    "cancelled": StatusColour("#dc2626", "#fde2e2", "#b91c1c", strike=True),
    "no_show": StatusColour("#8b1a1a", "#f2dcdc", "#7f1d1d"),
}

URGENT = "#c81e1e"  # the red marker on urgent and critical items
ERROR_TEXT = "#b42318"
MUTED_TEXT = "#5f6b7a"
ACCENT = "#2f6fa8"
DEMO = "#b45309"


def status_colour(status: str) -> StatusColour:
    """The colours of an appointment status (an ``AppointmentStatus`` or its value)."""
    return STATUS_COLOURS[str(status)]
