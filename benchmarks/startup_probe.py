"""Start the real program and report the moment its login window is first painted.

    python -m benchmarks.startup_probe postgresql://user:pw@host:port/db     # MIC Desktop
    python -m benchmarks.startup_probe --bare                               # a bare PySide6 form

Prints one JSON line when the window's first paint is done: the peak RSS so far (KiB),
which of the heavy libraries are already imported, then exits at once. The caller
times the whole process from its launch to that line (see ``bench_startup``); the
light-start test reads the list of heavy modules.
"""

from __future__ import annotations

import json
import os
import resource
import sys

HEAVY = (
    "sqlalchemy",  # the database stack loads off the GUI thread once the window is up
    "psycopg",
    "keyring",
    "matplotlib",
    "numpy",
    "reportlab",
    "pypdf",
    "pypdfium2",
    "alembic",
    "twilio",
    "apscheduler",
    "qtawesome",
    "mic_desktop.ui.reception.window",
    "mic_desktop.ui.radiologist.window",
    "mic_desktop.ui.manager.window",
)


def _peak_rss_kib() -> int:
    """The process's peak resident memory (VmHWM: unlike ru_maxrss, it restarts at exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def report() -> None:
    peak_kib = _peak_rss_kib()
    loaded = sorted(name for name in HEAVY if name in sys.modules)
    print(json.dumps({"peak_rss_kib": peak_kib, "heavy": loaded}), flush=True)
    os._exit(0)


def probe_once(widget_class: type) -> None:
    """Make ``widget_class``'s first paint report and end the process."""
    original = widget_class.paintEvent

    def paint(self, event):  # type: ignore[no-untyped-def]
        original(self, event)
        report()

    widget_class.paintEvent = paint


def bare_form() -> int:
    from PySide6.QtWidgets import (
        QApplication,
        QFormLayout,
        QLineEdit,
        QPushButton,
        QWidget,
    )

    class Form(QWidget):
        pass

    probe_once(Form)
    app = QApplication(sys.argv[:1])
    form = Form()
    layout = QFormLayout(form)
    layout.addRow("Username", QLineEdit())
    password = QLineEdit()
    password.setEchoMode(QLineEdit.EchoMode.Password)
    layout.addRow("Password", password)
    layout.addRow(QPushButton("Log in"))
    form.show()
    return app.exec()


def mic_desktop(url: str) -> int:
    from mic_desktop.ui.common.login import LoginWindow

    probe_once(LoginWindow)
    from mic_desktop.cli import main

    return main(["--database-url", url])


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if sys.argv[1:] == ["--bare"]:
        sys.exit(bare_form())
    sys.exit(mic_desktop(sys.argv[1]))
