"""``mic-desktop --self-test``: start the GUI once against a throwaway database and quit.

It proves an installed copy (or the PyInstaller bundle) has what it needs at run
time: Qt and its platform plugin, the embedded PostgreSQL binaries, the Alembic
migrations, the stylesheet and icons, and the libraries the windows and services
load later (charts, PDFs, the scheduler, Twilio, the DICOM service, calendar files).
The settings and data folders are temporary, so the workstation's own settings and
databases are never touched. The login window is opened offscreen, closed again, and
the exit status is 0 when it appeared; otherwise the reason is printed and the status
is 1.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

SELF_TEST_TIMEOUT_MS = 180_000


def self_test() -> int:
    """Open the login window offscreen on a throwaway embedded database; 0 when it worked."""
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="mic-self-test-"))
    # Registered first, so it runs last: after the embedded server has stopped (atexit).
    atexit.register(shutil.rmtree, root, True)
    saved = {name: os.environ.get(name) for name in _VARIABLES}
    os.environ["MIC_CONFIG_DIR"] = str(root / "config")
    os.environ["MIC_DATA_DIR"] = str(root / "data")
    os.environ.pop("MIC_DATABASE_URL", None)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        code, reason = _run()
    except Exception as exc:  # anything at all: the self-test reports it and fails
        code, reason = 1, f"{type(exc).__name__}: {exc}"
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    seconds = time.perf_counter() - started
    if code == 0:
        print(f"mic-desktop self-test passed in {seconds:.1f} s: {reason}")
    else:
        print(f"mic-desktop self-test FAILED after {seconds:.1f} s: {reason}", file=sys.stderr)
    return code


def check_runtime() -> str:
    """Load what the windows load later (and a bundle could leave out); no network."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg  # noqa: F401
    from reportlab.pdfgen.canvas import Canvas
    from twilio.rest import Client

    scheduler = BackgroundScheduler()  # triggers and executors come from entry points
    scheduler.add_job(lambda: None, "interval", seconds=3600)
    scheduler.start(paused=True)
    scheduler.shutdown(wait=False)
    client = Client("AC" + "0" * 32, "not-a-token")
    assert client.api.v2010.account.messages is not None
    pdf = Canvas(os.devnull)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(10, 10, "MIC Desktop")
    pdf.save()
    _check_dicom()
    _check_calendar_files()
    return "scheduler, charts, PDF, Twilio client, DICOM service and calendar files load"


def _check_dicom() -> None:
    """The clinic's DICOM service answers a C-ECHO on this PC (pynetdicom and pydicom)."""
    from sqlalchemy.orm import sessionmaker

    from mic_desktop.services.dicom.echo import echo
    from mic_desktop.services.dicom.server import DicomServer

    # A C-ECHO alone never reaches the database: the session factory stays unused.
    server = DicomServer(
        sessionmaker(), ae_title="MIC_SELF_TEST", port=0, host="127.0.0.1", workstation="self-test"
    )
    server.start()
    try:
        answer = echo("MIC_SELF_TEST", "127.0.0.1", server.port)
    finally:
        server.stop()
    if not answer.ok:
        raise RuntimeError(answer.detail)


def _check_calendar_files() -> None:
    """A booking's .ics event can be written (icalendar, with a time zone)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from icalendar import Calendar, Event

    event = Event()
    event.add("summary", "MIC Desktop")
    event.add("dtstart", dt.datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Africa/Harare")))
    calendar = Calendar()
    calendar.add_component(event)
    if b"BEGIN:VEVENT" not in calendar.to_ical():
        raise RuntimeError("the calendar file has no event")


_VARIABLES = ("MIC_CONFIG_DIR", "MIC_DATA_DIR", "MIC_DATABASE_URL", "QT_QPA_PLATFORM")


def _run() -> tuple[int, str]:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from mic_desktop import APP_NAME
    from mic_desktop.app import Bootstrap
    from mic_desktop.config import DatabaseKind, DatabaseTarget
    from mic_desktop.ui.common.look import apply_look

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME])
    assert isinstance(app, QApplication)
    apply_look(app)
    outcome: dict[str, object] = {"code": 1, "reason": "the login window did not appear"}

    class SelfTestBootstrap(Bootstrap):
        """Reports failures on stderr instead of asking a person."""

        def show_error(self, text: str, exit_code: int) -> None:
            outcome["reason"] = text
            self._finish(exit_code or 1)

        def confirm(self, title: str, text: str, yes: str, on_yes) -> None:  # type: ignore[no-untyped-def]
            on_yes()

    target = DatabaseTarget(DatabaseKind.EMBEDDED, source="--self-test")
    bootstrap = SelfTestBootstrap(target, workstation="self-test", maximise=False)

    def ready(shell: object) -> None:
        window = shell.login_window  # type: ignore[attr-defined]
        if window.isVisible():
            try:
                checked = check_runtime()
            except Exception as exc:  # a piece the bundle left out
                outcome["reason"] = f"login window shown, but {type(exc).__name__}: {exc}"
            else:
                outcome["code"] = 0
                outcome["reason"] = (
                    f"login window shown ({window.width()}x{window.height()}); {checked}"
                )
        app.exit(0)

    def timed_out() -> None:
        outcome["reason"] = f"nothing happened within {SELF_TEST_TIMEOUT_MS // 1000} s"
        app.exit(1)

    bootstrap.ready.connect(ready)
    bootstrap.finished.connect(app.exit)
    QTimer.singleShot(SELF_TEST_TIMEOUT_MS, timed_out)
    bootstrap.start()
    app.exec()
    bootstrap.shutdown()
    return int(outcome["code"]), str(outcome["reason"])  # type: ignore[call-overload]
