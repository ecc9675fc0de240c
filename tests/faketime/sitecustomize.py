"""Loaded only by ``tests/run_at.sh`` (on ``PYTHONPATH``): ``time.sleep`` that libfaketime
does not break.

The run moves the wall clock only (``FAKETIME_DONT_FAKE_MONOTONIC=1``: with a moved
monotonic clock libfaketime 0.9.10 makes every timed ``threading`` wait hang). Then
its ``clock_nanosleep`` turns the absolute monotonic deadline that ``time.sleep`` uses
into an invalid one (``OSError: [Errno 22]``). This ``sleep`` waits the same time with
``select``, which takes a relative timeout.
"""

from __future__ import annotations

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
