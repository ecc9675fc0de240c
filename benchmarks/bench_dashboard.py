"""Benchmark: the manager's whole dashboard on two years of a 100,000-patient clinic.

    python -m benchmarks.bench_dashboard                    # embedded server in a temp dir
    python -m benchmarks.bench_dashboard --keep DIR         # keep (and reuse) the server in DIR
    python -m benchmarks.bench_dashboard --database-url postgresql://user@host/postgres

A fresh database is migrated to head and filled by the demo generator
(``DemoSpec(patients=100_000, months=24)``, anchored on a fixed day), analysed,
then :meth:`AnalyticsService.load_dashboard` is timed for a year, a quarter and a
month (median of ``--runs`` runs after one warm-up), with each chart's own time
beside it. The target is the whole dashboard in under 2 seconds.
``--render DIR`` also writes the year's PDF and each chart's PNG there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from benchmarks.servers import benchmark_database, drop_database, server_url
from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database, make_engine
from mic_desktop.models import Role, StaffUser
from mic_desktop.schema import upgrade
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.analytics.queries import AnalyticsService
from mic_desktop.services.demo.loader import load_demo
from mic_desktop.services.demo.spec import DemoSpec

TODAY = dt.date(2026, 11, 22)
TARGET_SECONDS = 2.0
CHARTS = (
    "volume",
    "popularity",
    "attendance",
    "revenue",
    "medical_aid",
    "satisfaction",
    "turnaround",
    "utilisation",
)


def _timed(function, runs: int) -> float:  # type: ignore[no-untyped-def]
    function()  # warm-up: plans, caches, imports
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="admin URL of a PostgreSQL server to use")
    parser.add_argument("--keep", metavar="DIR", help="embedded server directory to keep/reuse")
    parser.add_argument("--render", metavar="DIR", help="write the year's PDF and PNGs here")
    args = parser.parse_args(argv)

    url, filled = benchmark_database(
        server_url(args.database_url, args.keep),
        f"mic_bench_{args.patients}_{args.months}" if args.keep else None,
    )
    engine = make_engine(url)
    database = Database(Connection(url, DatabaseKind.SERVER), engine)
    try:
        if not filled:
            upgrade(engine)
            print(f"Loading demo data: {args.patients:,} patients, {args.months} months ...")
            summary = load_demo(
                database.session_factory,
                DemoSpec(patients=args.patients, months=args.months, today=TODAY),
                progress=lambda done, total, what: print(f"  [{done}/{total}] {what}"),
            )
            print(f"  loaded in {summary.seconds:.0f} s")
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        with database.session() as session:
            counts = {
                table: session.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("patient", "appointment", "payment", "report", "patient_feedback")
            }
            manager = session.scalars(
                select(StaffUser).where(StaffUser.role == Role.MANAGER.value).limit(1)
            ).one()
            actor = StaffAccount.from_row(manager)
            zone = ZoneInfo(session.scalar(text("SELECT time_zone FROM clinic_settings")))
        print("Rows: " + ", ".join(f"{count:,} {table}" for table, count in counts.items()))

        now = dt.datetime.combine(TODAY, dt.time(10, 30), zone).astimezone(dt.UTC)
        analytics = AnalyticsService(
            database.session_factory, actor=actor, workstation="bench", clock=lambda: now
        )
        periods = {
            "year": Period.this_year(TODAY),
            "quarter": Period.this_quarter(TODAY),
            "month": Period.this_month(TODAY),
        }
        print(f"\nload_dashboard, median of {args.runs} runs (target {TARGET_SECONDS:.1f} s):")
        worst = 0.0
        for name, period in periods.items():
            seconds = _timed(lambda period=period: analytics.load_dashboard(period), args.runs)
            worst = max(worst, seconds)
            charts = {
                chart: _timed(
                    lambda chart=chart, period=period: getattr(analytics, chart)(period),
                    max(1, args.runs // 2),
                )
                for chart in CHARTS
            }
            detail = ", ".join(f"{chart} {ms * 1000:.0f}" for chart, ms in charts.items())
            print(f"  {name:<8} {period.dates_label:<36} {seconds:6.3f} s   (ms: {detail})")
        modality = analytics.modalities()[0]
        seconds = _timed(lambda: analytics.load_dashboard(periods["year"], modality.id), args.runs)
        print(f"  year, {modality.code} only{'':<27} {seconds:6.3f} s")
        worst = max(worst, seconds)

        if args.render:
            _render(analytics, periods["year"], Path(args.render), actor.full_name)
        verdict = "within" if worst < TARGET_SECONDS else "OVER"
        print(f"\nSlowest dashboard {worst:.3f} s: {verdict} the {TARGET_SECONDS:.1f} s target.")
        return 0 if worst < TARGET_SECONDS else 1
    finally:
        database.dispose()
        if not args.keep:
            drop_database(url)


def _render(analytics: AnalyticsService, period: Period, folder: Path, by: str) -> None:
    from mic_desktop.services.analytics.export import chart_png, dashboard_pdf

    folder.mkdir(parents=True, exist_ok=True)
    dashboard = analytics.load_dashboard(period)
    (folder / "dashboard.pdf").write_bytes(dashboard_pdf(dashboard, prepared_by=by))
    for chart in dashboard.charts:
        (folder / f"chart-{chart.key}.png").write_bytes(chart_png(chart))
    print(f"Rendered the {period.label} dashboard into {folder}")


if __name__ == "__main__":
    sys.exit(main())
