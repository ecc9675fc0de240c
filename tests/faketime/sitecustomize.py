"""Loaded only by ``tests/run_at.sh`` (on ``PYTHONPATH``): moves the wall clock of the test
run by ``MIC_RUN_AT_OFFSET`` seconds.

The pytest process moves its own clock with time-machine, which replaces Python's
``time.time``, ``datetime.now``, ``date.today`` and friends in C. The processes it starts
(the embedded PostgreSQL server, ``initdb``, ``pg_dump``, helper Pythons) get libfaketime
through ``LD_PRELOAD``, set here for them, with the same offset, so ``now()`` in SQL
and in Python agree. libfaketime is kept out of pytest itself: it takes a lock on every
clock read, and with the dozens of threads the DICOM and live-refresh tests run, those
reads queue on it until the tests time out.

Only the wall clock moves (``FAKETIME_DONT_FAKE_MONOTONIC=1``: with a moved monotonic
clock libfaketime 0.9.10 makes every timed ``threading`` wait hang). A helper Python that
runs under libfaketime gets a ``time.sleep`` that waits with ``select``: libfaketime turns
the absolute monotonic deadline of Python's own ``time.sleep`` into an invalid one
(``OSError: [Errno 22]``).
"""

from __future__ import annotations

import os
import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


def _move_the_clock() -> None:
    preload = os.environ.get("LD_PRELOAD", "")
    if any("libfaketime" in library for library in preload.split(":")):
        # A process pytest started (possibly with the MIC_ variables stripped):
        # libfaketime already moves its clock.
        time.sleep = _sleep
        return
    offset = os.environ.get("MIC_RUN_AT_OFFSET")
    if not offset:
        return

    import time_machine

    time_machine.travel(time.time() + int(offset), tick=True).start()
    library = os.environ["MIC_RUN_AT_LIBFAKETIME"]
    os.environ["LD_PRELOAD"] = library + (f":{preload}" if preload else "")
    os.environ["FAKETIME"] = f"{int(offset):+d}"
    os.environ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"


_move_the_clock()
