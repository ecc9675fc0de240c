"""A fixed "now" for the tests, so that no test depends on the day or hour it runs.

Tests hand the product's own injectable clock (every service's ``clock``,
``UserSession.clock``, ``Shell(clock=...)``) a :func:`running_clock` that starts at a
fixed instant and then moves at the real pace, so rows recorded one after the other
still get increasing times. ``tests/run_at.sh DATE`` runs the suite with the machine's
clock moved, to show it.

The clinic's time zone in the test databases is Africa/Harare (the settings' default)
unless ``MIC_TEST_CLINIC_ZONE`` names another (see ``tests/conftest.py``); the demo
clinic is always in Africa/Harare.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

from mic_desktop.services.clock import Clock
from mic_desktop.services.demo.catalogue import CLINIC_TIME_ZONE
from mic_desktop.services.demo.spec import FIXED_CLOCK

CLINIC_ZONE = ZoneInfo(os.environ.get("MIC_TEST_CLINIC_ZONE") or "Africa/Harare")
"""The time zone of the clinic in a test database that did not set its own."""

CLINIC_NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=CLINIC_ZONE)
"""A Monday morning in the clinic, outside the quiet hours: "now" for tests with their own data."""

DEMO_ZONE = ZoneInfo(CLINIC_TIME_ZONE)
DEMO_TODAY = dt.date(2026, 11, 18)
"""The demo clinic's "today" in the tests: a Wednesday, an ordinary working day."""
DEMO_NOW = dt.datetime.combine(DEMO_TODAY, FIXED_CLOCK, tzinfo=DEMO_ZONE)
"""The demo's simulated "now" that day (10:30 in the clinic)."""


def running_clock(start: dt.datetime) -> Clock:
    """A clock that reads ``start`` (timezone-aware) now and runs on at the real pace."""
    start = start.astimezone(dt.UTC)
    origin = time.monotonic()

    def now() -> dt.datetime:
        return start + dt.timedelta(seconds=time.monotonic() - origin)

    return now


def clinic_clock() -> Clock:
    """A clock that starts at :data:`CLINIC_NOW`."""
    return running_clock(CLINIC_NOW)


def demo_clock() -> Clock:
    """The clock of a test on demo data loaded with ``today=DEMO_TODAY``."""
    return running_clock(DEMO_NOW)
