"""Benchmark: the longest GUI-thread stall while the dashboard and the appointment book load.

    python -m benchmarks.bench_gui_stall                    # embedded server in a temp dir
    python -m benchmarks.bench_gui_stall --keep DIR         # keep (and reuse) the server in DIR
    python -m benchmarks.bench_gui_stall --database-url postgresql://user@host/postgres
    python -m benchmarks.bench_gui_stall --keep DIR --where # also say what the GUI thread did

The demo clinic of :mod:`benchmarks.demo_clinic` (``--patients`` patients over
``--months`` months; the same database as ``bench_dashboard`` with ``--keep``) is
opened in the real windows at 1366x768 (offscreen unless ``QT_QPA_PLATFORM`` says
otherwise), their classes loaded the way a login loads them. A 10 ms ``QTimer``
heartbeat runs on the GUI thread; the stall of a scenario is the largest gap between
two beats from the moment it is started until its data is shown and everything it
deferred (chart drawing, painting) has run:

* the manager's dashboard refreshes "This year" (chosen once, then F5) ``--runs`` times,
  then each other chart tab is shown for the first time after the refresh;
* reception opens the busiest day of the appointment book (from a quiet day)
  ``--runs`` times.

The target is no gap over 100 ms in the refresh and the book. ``--where`` samples
the GUI thread's stack from a second thread during gaps over 50 ms and prints
where the longest one was spent (the sampling itself costs a little).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import statistics
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import text

from benchmarks.demo_clinic import TODAY, DemoClinic, open_demo_clinic

TARGET_MS = 100.0
HEARTBEAT_MS = 10
SETTLE_S = 0.5  # after the data arrived: deferred draws and paints
SAMPLE_AFTER_S = 0.05


@dataclass
class Stall:
    """One scenario run: the largest gap between beats, how long it took, what the GUI did."""

    gap_ms: float
    seconds: float
    where: list[str] = field(default_factory=list)


class Heartbeat:
    """A 10 ms timer on the GUI thread recording the largest gap between its beats."""

    def __init__(self, sample: bool) -> None:
        from PySide6.QtCore import Qt, QTimer

        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(self._beat)
        self._sample = sample
        self._gui_thread = threading.get_ident()
        self._last = 0.0
        self._samples: list[str] = []
        self._running = False
        self.longest = 0.0
        self.longest_where: list[str] = []

    def start(self) -> None:
        self.longest, self.longest_where, self._samples = 0.0, [], []
        self._last = time.perf_counter()
        self._running = True
        self._timer.start()
        if self._sample:
            threading.Thread(target=self._sampler, daemon=True).start()

    def stop(self) -> None:
        self._beat()
        self._timer.stop()
        self._running = False

    def _beat(self) -> None:
        now = time.perf_counter()
        samples, self._samples = self._samples, []
        if now - self._last > self.longest:
            self.longest, self.longest_where = now - self._last, samples
        self._last = now

    def _sampler(self) -> None:
        while self._running:
            time.sleep(0.005)
            if time.perf_counter() - self._last > SAMPLE_AFTER_S:
                frame = sys._current_frames().get(self._gui_thread)
                if frame is not None:
                    self._samples.append(_summary(frame))


def _summary(frame) -> str:  # type: ignore[no-untyped-def]
    """The innermost project frame and the innermost frame of the GUI thread's stack."""
    stack = traceback.extract_stack(frame)
    ours = [f for f in stack if "mic_desktop" in f.filename]
    inner = stack[-1]
    where = f"{os.path.basename(inner.filename)}:{inner.lineno} {inner.name}"
    if ours:
        own = ours[-1]
        where = f"{own.filename.split('mic_desktop')[-1]}:{own.lineno} {own.name} -> {where}"
    return where


def run_until(predicate: Callable[[], bool], timeout: float) -> None:
    """Run the event loop until ``predicate()`` holds (checked every 5 ms)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.perf_counter() + timeout
    poll = QTimer()
    poll.setInterval(5)
    poll.timeout.connect(lambda: (predicate() or time.perf_counter() > deadline) and loop.quit())
    poll.start()
    try:
        while not predicate():  # events run between the last check and quitting
            if time.perf_counter() > deadline:
                raise TimeoutError(f"still waiting after {timeout:.0f} s")
            loop.exec()
    finally:
        poll.stop()


def settle(seconds: float) -> None:
    end = time.perf_counter() + seconds
    run_until(lambda: time.perf_counter() >= end, seconds + 5)


def measure(
    heartbeat: Heartbeat, start: Callable[[], None], done: Callable[[], bool], timeout: float = 60
) -> Stall:
    """The largest beat gap from ``start`` (run from the event loop) to ``done`` plus settling."""
    from PySide6.QtCore import QTimer

    from mic_desktop.ui.common.tasks import pending_task_count

    began = [0.0]

    def go() -> None:
        began[0] = time.perf_counter()
        start()

    heartbeat.start()
    QTimer.singleShot(0, go)
    run_until(lambda: began[0] > 0 and pending_task_count() == 0 and done(), timeout)
    seconds = time.perf_counter() - began[0]
    settle(SETTLE_S)
    heartbeat.stop()
    return Stall(heartbeat.longest * 1000, seconds, heartbeat.longest_where)


# -- the scenarios ------------------------------------------------------------------------


def dashboard_scenario(
    clinic: DemoClinic, heartbeat: Heartbeat, runs: int
) -> tuple[list[Stall], dict[str, Stall]]:
    from mic_desktop.models import Role
    from mic_desktop.services.analytics.periods import PeriodKind
    from mic_desktop.ui.common.session import UserSession
    from mic_desktop.ui.common.tasks import pending_task_count
    from mic_desktop.ui.manager.dashboard import DashboardPage
    from mic_desktop.ui.manager.window import ManagerWindow
    from mic_desktop.ui.shell import role_window_class

    window_class = role_window_class(Role.MANAGER)  # as at login: imports, then the freeze
    session = UserSession.open(
        clinic.account(Role.MANAGER), clinic.connection, "bench", clinic.clock()
    )
    window = window_class(session)
    assert isinstance(window, ManagerWindow)
    try:
        window.resize(1366, 768)
        window.show()
        run_until(lambda: pending_task_count() == 0, 60)
        page = window.home.show_page("dashboard")
        assert isinstance(page, DashboardPage)

        def drawn(index: int) -> bool:
            panel = page.panels[list(page.panels)[index]]
            return panel.canvas.drawn_chart is panel.chart is not None

        run_until(lambda: page.dashboard is not None and not page.is_loading, 120)
        run_until(lambda: drawn(page.tabs.currentIndex()), 60)
        settle(SETTLE_S)

        def year_shown() -> bool:
            dashboard = page.dashboard
            return (
                not page.is_loading
                and dashboard is not None
                and dashboard.period.kind is PeriodKind.YEAR
                and drawn(page.tabs.currentIndex())
            )

        year = page.period_box.findData(PeriodKind.YEAR)
        stalls = [measure(heartbeat, lambda: page.period_box.setCurrentIndex(year), year_shown)]
        for _ in range(runs - 1):
            stalls.append(measure(heartbeat, window.refresh_action.trigger, year_shown))
        tabs: dict[str, Stall] = {}
        for index in range(page.tabs.count()):
            if index == page.tabs.currentIndex():
                continue
            name = page.tabs.tabText(index)
            tabs[name] = measure(
                heartbeat,
                lambda index=index: page.tabs.setCurrentIndex(index),
                lambda index=index: drawn(index),
            )
        return stalls, tabs
    finally:
        window.close()
        run_until(lambda: pending_task_count() == 0, 60)
        session.close()


def busiest_day(clinic: DemoClinic) -> tuple[dt.date, int]:
    with clinic.database.session() as session:
        row = session.execute(
            text(
                "SELECT (start_at AT TIME ZONE :zone)::date AS day, count(*) FROM appointment "
                "GROUP BY day ORDER BY count(*) DESC, day DESC LIMIT 1"
            ),
            {"zone": clinic.zone.key},
        ).one()
    return row[0], row[1]


def reception_scenario(
    clinic: DemoClinic, heartbeat: Heartbeat, runs: int, day: dt.date, count: int
) -> list[Stall]:
    from mic_desktop.models import Role
    from mic_desktop.ui.common.session import UserSession
    from mic_desktop.ui.common.tasks import pending_task_count
    from mic_desktop.ui.reception.window import ReceptionWindow
    from mic_desktop.ui.shell import role_window_class

    window_class = role_window_class(Role.RECEPTION)
    session = UserSession.open(
        clinic.account(Role.RECEPTION), clinic.connection, "bench", clinic.clock()
    )
    window = window_class(session)
    assert isinstance(window, ReceptionWindow)
    try:
        window.resize(1366, 768)
        window.show()
        run_until(lambda: pending_task_count() == 0, 60)
        book = window.home.book
        quiet = TODAY + dt.timedelta(days=400)  # nothing booked that far ahead
        stalls = []
        for _ in range(runs):
            book.go_to(quiet)
            run_until(lambda: pending_task_count() == 0 and not book.canvas.entries, 60)
            settle(SETTLE_S)
            stalls.append(
                measure(
                    heartbeat,
                    lambda: book.go_to(day),
                    lambda: len(book.canvas.entries) == count,
                )
            )
        return stalls
    finally:
        window.close()
        run_until(lambda: pending_task_count() == 0, 60)
        session.close()


# -- the report ---------------------------------------------------------------------------


def _line(name: str, stalls: list[Stall]) -> str:
    gaps = " ".join(f"{s.gap_ms:.0f}" for s in stalls)
    shown = statistics.median(s.seconds for s in stalls)
    worst = max(s.gap_ms for s in stalls)
    return f"  {name:<44} max {worst:5.0f} ms   (runs: {gaps} ms; shown after {shown:.2f} s)"


def _where(stall: Stall) -> None:
    if not stall.where:
        return
    print(f"    the longest gap ({stall.gap_ms:.0f} ms), {len(stall.where)} samples:")
    for where, n in collections.Counter(stall.where).most_common(6):
        print(f"      {n:3d} x {where}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="admin URL of a PostgreSQL server to use")
    parser.add_argument("--keep", metavar="DIR", help="embedded server directory to keep/reuse")
    parser.add_argument("--where", action="store_true", help="sample the GUI thread's stack")
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from mic_desktop.ui.common.look import apply_look

    app = QApplication.instance() or QApplication(["bench_gui_stall"])
    apply_look(app)  # type: ignore[arg-type]
    clinic = open_demo_clinic(args.patients, args.months, args.database_url, args.keep)
    try:
        heartbeat = Heartbeat(sample=args.where)
        refreshes, tabs = dashboard_scenario(clinic, heartbeat, args.runs)
        day, count = busiest_day(clinic)
        book = reception_scenario(clinic, heartbeat, args.runs, day, count)
    finally:
        clinic.close()

    print(
        f"\nLongest GUI-thread stall ({HEARTBEAT_MS} ms heartbeat; target: none over "
        f"{TARGET_MS:.0f} ms), {app.platformName()} platform:"
    )
    print(_line("manager: dashboard refreshes this year", refreshes))
    if args.where:
        _where(max(refreshes, key=lambda s: s.gap_ms))
    tab_gaps = ", ".join(f"{name} {stall.gap_ms:.0f}" for name, stall in tabs.items())
    worst_tab = max(tabs.values(), key=lambda s: s.gap_ms)
    print(f"  {'manager: each other tab shown the first time':<44} max {worst_tab.gap_ms:5.0f} ms")
    print(f"    (ms: {tab_gaps})")
    if args.where:
        _where(worst_tab)
    print(_line(f"reception: busiest day, {day:%a %d %b %Y} ({count} booked)", book))
    if args.where:
        _where(max(book, key=lambda s: s.gap_ms))
    worst = max(s.gap_ms for s in (*refreshes, *book))
    verdict = "within" if worst <= TARGET_MS else "OVER"
    print(f"\nLongest stall {worst:.0f} ms: {verdict} the {TARGET_MS:.0f} ms target.")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
