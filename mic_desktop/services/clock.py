"""The product's clock: every service takes one, so tests and benchmarks can fix "now"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
"""A function returning the current instant (timezone-aware, UTC)."""


def utc_now() -> dt.datetime:
    """The real clock."""
    return dt.datetime.now(dt.UTC)
