"""The demo clinic the benchmarks run on: a migrated database filled by the demo generator.

:func:`open_demo_clinic` makes (or, with ``--keep DIR``, reuses) a database of
``patients`` patients and ``months`` months anchored on :data:`TODAY`, analysed
after loading, and gives back the :class:`Database` with the way to clean up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import URL, select, text

from benchmarks.servers import benchmark_database, drop_database, server_url
from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database, make_engine
from mic_desktop.models import Role, StaffUser
from mic_desktop.schema import upgrade
from mic_desktop.services.accounts.auth import StaffAccount

TODAY = dt.date(2026, 11, 22)
TABLES = ("patient", "appointment", "payment", "report", "patient_feedback")


@dataclass
class DemoClinic:
    url: URL
    database: Database
    zone: ZoneInfo
    counts: dict[str, int]
    _drop: bool

    @property
    def connection(self) -> Connection:
        return self.database.connection

    def clock(self, at: dt.time = dt.time(10, 30)) -> Callable[[], dt.datetime]:
        """A fixed "now" on :data:`TODAY` in the clinic (the demo's simulated morning)."""
        now = dt.datetime.combine(TODAY, at, self.zone).astimezone(dt.UTC)
        return lambda: now

    def account(self, role: Role) -> StaffAccount:
        with self.database.session() as session:
            row = session.scalars(
                select(StaffUser)
                .where(StaffUser.role == role.value, StaffUser.is_active)
                .order_by(StaffUser.id)
                .limit(1)
            ).one()
            return StaffAccount.from_row(row)

    def close(self) -> None:
        self.database.dispose()
        if self._drop:
            drop_database(self.url)


def open_demo_clinic(
    patients: int, months: int, database_url: str | None, keep: str | None
) -> DemoClinic:
    """The benchmark's database, generated (and analysed) unless ``keep`` already holds it."""
    url, filled = benchmark_database(
        server_url(database_url, keep), f"mic_bench_{patients}_{months}" if keep else None
    )
    engine = make_engine(url)
    database = Database(Connection(url, DatabaseKind.SERVER), engine)
    try:
        if not filled:
            upgrade(engine)
            _generate(database, patients, months)
        with database.session() as session:
            counts = {
                table: session.scalar(text(f"SELECT count(*) FROM {table}")) or 0
                for table in TABLES
            }
            zone = ZoneInfo(session.scalar(text("SELECT time_zone FROM clinic_settings")))
    except BaseException:
        database.dispose()
        if not keep:
            drop_database(url)
        raise
    print("Rows: " + ", ".join(f"{count:,} {table}" for table, count in counts.items()))
    return DemoClinic(url, database, zone, counts, _drop=not keep)


def _generate(database: Database, patients: int, months: int) -> None:
    from mic_desktop.services.demo.loader import load_demo
    from mic_desktop.services.demo.spec import DemoSpec

    print(f"Loading demo data: {patients:,} patients, {months} months ...", flush=True)
    summary = load_demo(
        database.session_factory,
        DemoSpec(patients=patients, months=months, today=TODAY),
        progress=lambda done, total, what: print(f"  [{done}/{total}] {what}", flush=True),
    )
    print(f"  loaded in {summary.seconds:.0f} s", flush=True)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
