"""Draft saves of the report window that outlive it: the save when logging out.

A :class:`DraftSave` runs on the task pool. The save a window starts when it is
closed (logging out, quitting) may find another save still running; it waits for that
one and saves on top of the version it returned, whether or not the window is still
there by then.
"""

from __future__ import annotations

import logging
import threading

from mic_desktop.services.reporting.detail import ReportDetail
from mic_desktop.services.reporting.reports import ReportService

AFTER_SAVE_WAIT_S = 30  # a save at closing waits this long for the one still running

log = logging.getLogger(__name__)


def log_lost_draft(error: BaseException) -> None:
    log.error("The draft typed before closing could not be saved: %s", error)


class DraftSave:
    """One draft save on the task pool, that a save at closing can wait for."""

    def __init__(
        self, reports: ReportService, report_id: int, findings: str, impression: str
    ) -> None:
        self._reports = reports
        self._report_id = report_id
        self._findings = findings
        self._impression = impression
        self._done = threading.Event()
        self.saved_version: int | None = None

    @property
    def ended(self) -> bool:
        return self._done.is_set()

    def run(self, version: int, *, after: DraftSave | None = None) -> ReportDetail:
        try:
            if after is not None:
                after._done.wait(AFTER_SAVE_WAIT_S)
                version = after.saved_version or version
            detail = self._reports.save_draft(
                self._report_id,
                findings=self._findings,
                impression=self._impression,
                expected_version=version,
            )
            self.saved_version = detail.version
            return detail
        finally:
            self._done.set()
