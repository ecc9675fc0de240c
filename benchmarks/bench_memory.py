"""Benchmark: memory of the manager's window with the dashboard, and of reception's busiest day.

    python -m benchmarks.bench_memory --keep DIR      # reuse the demo clinic kept in DIR

Each scenario runs in a process of its own on the demo clinic of
:mod:`benchmarks.demo_clinic` (100,000 patients over two years by default): the
manager logs in, opens the dashboard, shows a year and every tab; reception logs
in and opens the busiest day of the book. The process's peak resident memory
(VmHWM) is reported. Targets: manager at most 250 MiB, reception at most 200 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS_MIB = {"manager": 250, "reception": 200}


def _memory_kib() -> dict[str, int]:
    found: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(value.split()[0])
    return found


def _scenario(name: str, args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from benchmarks.bench_gui_stall import (
        Heartbeat,
        busiest_day,
        dashboard_scenario,
        reception_scenario,
    )
    from benchmarks.demo_clinic import open_demo_clinic
    from mic_desktop.ui.common.look import apply_look

    app = QApplication(sys.argv[:1])
    apply_look(app)
    clinic = open_demo_clinic(args.patients, args.months, args.database_url, args.keep)
    try:
        if name == "manager":
            dashboard_scenario(clinic, Heartbeat(sample=False), runs=1)
        else:
            day, count = busiest_day(clinic)
            reception_scenario(clinic, Heartbeat(sample=False), 1, day, count)
        print("MEMORY " + json.dumps(_memory_kib()), flush=True)
    finally:
        clinic.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", metavar="DIR")
    parser.add_argument("--scenario", choices=sorted(TARGETS_MIB), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        return _scenario(args.scenario, args)
    if not args.keep and not args.database_url:
        parser.error("give --keep DIR (the scenarios share one generated clinic)")
    passed = True
    for name, target in TARGETS_MIB.items():
        command = [sys.executable, "-m", "benchmarks.bench_memory", "--scenario", name]
        command += ["--patients", str(args.patients), "--months", str(args.months)]
        command += ["--keep", args.keep] if args.keep else ["--database-url", args.database_url]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("MEMORY ")]
        if not lines:
            print(f"{name}: failed\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
            passed = False
            continue
        memory = json.loads(lines[-1].removeprefix("MEMORY "))
        peak = memory["VmHWM"] / 1024
        passed = passed and peak <= target
        print(
            f"{name:10s} peak {peak:6.1f} MiB   now {memory['VmRSS'] / 1024:6.1f} MiB"
            f"   (target <= {target} MiB)"
        )
    print("PASS" if passed else "MISSED TARGET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
