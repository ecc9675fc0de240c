"""Benchmark: backing up, checking and restoring a 100,000-patient clinic.

    python -m benchmarks.bench_backup                    # embedded server in a temp dir
    python -m benchmarks.bench_backup --keep DIR         # keep (and reuse) the server in DIR
    python -m benchmarks.bench_backup --database-url postgresql://user@host/postgres

A fresh database is migrated to head and filled by the demo generator
(``DemoSpec(patients=100_000, months=24)``, as in ``bench_dashboard``). Then one
recorded backup is made the way the product makes every backup: ``pg_dump`` (with
the row counts and checksums read in its snapshot), then the check (restored into
a scratch database on the same server and compared). Printed: the file's size, the
backup time, the check time, and for comparison a plain restore into an empty
database (``mic-desktop restore``) and the counting alone. ``--runs`` repeats the
backup and check and prints the median.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from benchmarks.servers import benchmark_database, drop_database, server_url
from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database, make_engine
from mic_desktop.schema import upgrade
from mic_desktop.services.admin.backup import open_connection, restore_database
from mic_desktop.services.admin.backup_contents import read_contents
from mic_desktop.services.admin.backup_records import BackupService, size_text
from mic_desktop.services.admin.backup_tools import find_tools
from mic_desktop.services.demo.loader import load_demo
from mic_desktop.services.demo.spec import DemoSpec

TODAY = dt.date(2026, 11, 22)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--database-url", help="admin URL of a PostgreSQL server to use")
    parser.add_argument("--keep", metavar="DIR", help="embedded server directory to keep/reuse")
    parser.add_argument(
        "--tools", help="use only these tools: 'embedded', or the folder of a pg_dump"
    )
    args = parser.parse_args(argv)
    candidates = None
    if args.tools:
        candidates = [
            tools
            for tools in find_tools()
            if (tools.origin == "embedded" if args.tools == "embedded" else
                tools.folder.resolve() == Path(args.tools).resolve())
        ]  # fmt: skip
        if not candidates:
            parser.error(f"no pg_dump, pg_restore and psql found for --tools {args.tools}")

    server = server_url(args.database_url, args.keep)
    url, filled = benchmark_database(
        server, f"mic_bench_{args.patients}_{args.months}" if args.keep else None
    )
    engine = make_engine(url)
    database = Database(Connection(url, DatabaseKind.SERVER), engine)
    restored_url = None
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
        else:
            upgrade(engine)
        with engine.connect() as conn:
            version = conn.scalar(text("SHOW server_version"))
            size = conn.scalar(text("SELECT pg_database_size(current_database())"))
        print(f"PostgreSQL {version}; database {size_text(size)} on disk")

        folder = Path(tempfile.mkdtemp(prefix="mic-bench-backup-"))
        service = BackupService(
            database.session_factory, url, actor=None, workstation="bench", candidates=candidates
        )
        dumps, checks = [], []
        outcome = None
        for run in range(args.runs):
            target = folder / f"clinic-{run}.dump"
            outcome = service.back_up(target)
            if not outcome.verified:
                print(f"NOT verified: {outcome.entry.failure_reason}")
                return 1
            dumps.append(outcome.result.seconds)
            checks.append(outcome.check.seconds)
            if run < args.runs - 1:
                target.unlink()
        assert outcome is not None
        contents = outcome.result.contents
        assert contents is not None
        rows = f"{contents.total_rows:,} rows in {len(contents.rows)} tables"
        result, check = outcome.result, outcome.check
        print(f"\nBackup file: {size_text(result.size_bytes)} ({rows})")
        print(f"  made with {result.tools}")
        print(f"  checked on {check.where} with {check.tools}")
        _line("backup (pg_dump, counts and checksums in its snapshot)", statistics.median(dumps))
        _line("check (restore into a scratch database, compare)", statistics.median(checks))

        started = time.perf_counter()
        with open_connection(url) as conn:
            read_contents(conn)
        _line("counting and checksums alone (done within both)", time.perf_counter() - started)

        restored_url, _ = benchmark_database(server, None)
        started = time.perf_counter()
        restore_database(restored_url, result.path, candidates=candidates)
        _line("plain restore into an empty database", time.perf_counter() - started)
        for dump in folder.iterdir():
            dump.unlink()
        folder.rmdir()
        return 0
    finally:
        database.dispose()
        if restored_url is not None:
            drop_database(restored_url)
        if not args.keep:
            drop_database(url)


def _line(label: str, seconds: float) -> None:
    print(f"  {label:<58}{seconds:6.1f} s")


if __name__ == "__main__":
    sys.exit(main())
