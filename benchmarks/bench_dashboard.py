"""Benchmark: the manager's whole dashboard on two years of a 100,000-patient clinic (or more).

    python -m benchmarks.bench_dashboard                    # embedded server in a temp dir
    python -m benchmarks.bench_dashboard --keep DIR         # keep (and reuse) the server in DIR
    python -m benchmarks.bench_dashboard --patients 300000  # a bigger clinic (about 3 minutes)
    python -m benchmarks.bench_dashboard --database-url postgresql://user@host/postgres

The demo clinic of :mod:`benchmarks.demo_clinic` (``--patients`` patients over
``--months`` months, anchored on a fixed day) is loaded and analysed once (``--keep``
reuses it), then :meth:`AnalyticsService.load_dashboard` is timed for this year,
quarter and month (median of ``--runs`` runs after one warm-up), with each chart's
own time beside it. The target is the year view in under 1 second.
``--render DIR`` also writes the year's PDF and each chart's PNG there.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from benchmarks.demo_clinic import TODAY, open_demo_clinic
from mic_desktop.models import Role
from mic_desktop.services.analytics.periods import Period
from mic_desktop.services.analytics.queries import AnalyticsService

TARGET_SECONDS = 1.0
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

    clinic = open_demo_clinic(args.patients, args.months, args.database_url, args.keep)
    try:
        actor = clinic.account(Role.MANAGER)
        analytics = AnalyticsService(
            clinic.database.session_factory, actor=actor, workstation="bench", clock=clinic.clock()
        )
        periods = {
            "year": Period.this_year(TODAY),
            "quarter": Period.this_quarter(TODAY),
            "month": Period.this_month(TODAY),
        }
        print(f"\nload_dashboard, median of {args.runs} runs ({args.patients:,} patients):")
        medians = {}
        for name, period in periods.items():
            seconds = _timed(lambda period=period: analytics.load_dashboard(period), args.runs)
            medians[name] = seconds
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

        if args.render:
            _render(analytics, periods["year"], Path(args.render), actor.full_name)
        year = medians["year"]
        verdict = "within" if year < TARGET_SECONDS else "OVER"
        print(
            f"\nYear {year:.3f} s, quarter {medians['quarter']:.3f} s, month "
            f"{medians['month']:.3f} s: the year is {verdict} the {TARGET_SECONDS:.1f} s target."
        )
        return 0 if year < TARGET_SECONDS else 1
    finally:
        clinic.close()


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
