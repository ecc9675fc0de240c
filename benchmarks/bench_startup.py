"""Benchmark: launch to the login window, against a bare PySide6 login form.

    python -m benchmarks.bench_startup [--runs 10] [--database-url URL] [--keep DIR]

Each run starts a new process (``benchmarks.startup_probe``) and times it from the
launch to the end of the login window's first paint; the same is done for a bare
PySide6 form (two fields and a button) in the same run. The database already exists
(migrated, one manager), as on a clinic PC any morning. Reports the median of the
runs for each, the ratio (target: at most 4x the bare form), and the peak RSS at the
login window (target: at most 150 MiB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.servers import benchmark_database, drop_database, server_url
from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database, make_engine
from mic_desktop.schema import upgrade
from mic_desktop.services.admin.staff import StaffService

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 4.0
TARGET_RSS_MIB = 150


def _launch(argument: str) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.startup_probe", argument],
        cwd=ROOT,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"no login window:\n{done.stdout}\n{done.stderr}")
    return elapsed, json.loads(lines[-1])


def _series(argument: str, runs: int) -> tuple[float, float, list[str]]:
    _launch(argument)  # warm the disk cache once
    times, peaks, heavy = [], [], []
    for _ in range(runs):
        seconds, report = _launch(argument)
        times.append(seconds)
        peaks.append(int(report["peak_rss_kib"]) / 1024)  # type: ignore[call-overload]
        heavy = list(report["heavy"])  # type: ignore[call-overload]
    return statistics.median(times), max(peaks), heavy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", help="keep the embedded server in DIR")
    args = parser.parse_args()

    server = server_url(args.database_url, args.keep)
    url, existed = benchmark_database(server, "mic_bench_startup" if args.keep else None)
    try:
        if not existed:
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            database = Database(Connection(url, DatabaseKind.EMBEDDED))
            StaffService(database.session_factory, actor=None, workstation="bench").add(
                "manager", "Bench Manager", "manager", "bench-password-1"
            )
            database.dispose()
        address = url.set(password=url.password or "unused").render_as_string(hide_password=False)
        bare, bare_rss, _ = _series("--bare", args.runs)
        mic, mic_rss, heavy = _series(address, args.runs)
    finally:
        if not args.keep:
            drop_database(url)
    ratio = mic / bare
    print(f"launch to painted login window, median of {args.runs}:")
    print(f"  bare PySide6 form   {bare * 1000:7.0f} ms   peak RSS {bare_rss:6.1f} MiB")
    print(f"  MIC Desktop         {mic * 1000:7.0f} ms   peak RSS {mic_rss:6.1f} MiB")
    print(f"  ratio               {ratio:7.2f} x   (target <= {TARGET_RATIO:.0f} x)")
    print(f"  heavy modules at login: {', '.join(heavy) or 'none'}")
    ok = ratio <= TARGET_RATIO and mic_rss <= TARGET_RSS_MIB and not heavy
    print("PASS" if ok else "MISSED TARGET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
