"""Benchmark: reception's search-as-you-type over 100,000 patients.

    python -m benchmarks.bench_patient_search                  # embedded server in a temp dir
    python -m benchmarks.bench_patient_search --keep DIR       # keep (and reuse) the server
    python -m benchmarks.bench_patient_search --database-url postgresql://user@host/postgres
    python -m benchmarks.bench_patient_search --loader bulk    # patients only, in seconds

A fresh database is migrated to head and filled with ``--patients`` patients: by
the demo generator (``DemoSpec(patients=..., months=--months)``), or with
``--loader bulk`` by a COPY of synthetic patients (names with and without
accents, E.164 phones, national IDs, member numbers). After ANALYZE, typical
search-as-you-type inputs built from real rows of the database (name prefixes,
names in the other order, accented and upper-cased names, phone fragments typed
the local way, MRNs, member numbers, national IDs) go through
:meth:`PatientService.search` ``--runs`` times each; the median and 95th
percentile milliseconds per query type are printed. The target is 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import statistics
import time
from collections.abc import Callable

from sqlalchemy import text

from benchmarks.servers import benchmark_database, drop_database, server_url
from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database, make_engine
from mic_desktop.models import Role
from mic_desktop.schema import upgrade
from mic_desktop.services.accounts.auth import StaffAccount
from mic_desktop.services.patients.registry import PatientService

TODAY = dt.date(2026, 11, 22)
TARGET_MS = 50.0
_ACCENTS = str.maketrans("aeiouAEIOU", "áéíóúÁÉÍÓÚ")
_FIRST = (
    "Tendai", "Chipo", "Farai", "Rudo", "Tatenda", "Nyasha", "Kudzai", "Tafadzwa", "Anesu",
    "Rutendo", "Tinashe", "Vimbai", "Blessing", "Precious", "Simbarashe", "Tsitsi", "Tapiwa",
    "Ruvimbo", "Takudzwa", "Memory", "José", "Zoë", "Renée", "Chloé", "Noël", "Inés", "Łukasz",
    "Søren", "Björn", "Ana María", "Seán", "Éamon", "Thandiwe", "Sipho", "Lindiwe", "Kagiso",
)  # fmt: skip
_LAST = (
    "Moyo", "Ncube", "Sibanda", "Dube", "Ndlovu", "Mpofu", "Nyathi", "Mutasa", "Chikwanha",
    "Banda", "Phiri", "Mhlanga", "Zulu", "Chirwa", "Mhere", "Marufu", "Gumbo", "Shumba",
    "Makoni", "Chimuka", "Núñez", "Ferreira", "Müller", "O'Brien", "Dupré", "Moyo-Dube",
    "Kovačević", "Ødegård", "García", "Peña", "Naidoo", "Pillay", "Van der Merwe", "Mazibuko",
    "Khumalo",
)  # fmt: skip


def _load_demo(database: Database, args: argparse.Namespace) -> None:
    from mic_desktop.services.demo.loader import load_demo
    from mic_desktop.services.demo.spec import DemoSpec

    load_demo(
        database.session_factory,
        DemoSpec(patients=args.patients, months=args.months, today=TODAY),
        progress=lambda done, total, what: print(f"  [{done}/{total}] {what}", flush=True),
    )


def _load_bulk(database: Database, args: argparse.Namespace) -> None:
    """Synthetic patients written with COPY (the MRN and name key come from the database)."""
    rng = random.Random(2026)
    with database.engine.begin() as conn:
        scheme = conn.scalar(
            text("INSERT INTO medical_aid_scheme (name, code, is_active) "
                 "VALUES ('CIMAS', 'CIMAS', true) RETURNING id")
        )  # fmt: skip
        plan = conn.scalar(
            text("INSERT INTO medical_aid_plan (scheme_id, name, default_coverage_percent, "
                 "is_active, version) VALUES (:s, 'Gold', 80, true, 1) RETURNING id"),
            {"s": scheme},
        )  # fmt: skip
        buffer = io.StringIO()
        phones: set[str] = set()
        for n in range(args.patients):
            phone = ""
            if rng.random() < 0.96:
                while not phone or phone in phones:
                    phone = f"+2637{rng.choice('13178')}{rng.randint(1000000, 9999999)}"
                phones.add(phone)
            national = f"{rng.randint(1, 80):02d}-{rng.randint(100000, 9999999)} " + (
                f"{rng.choice('ABCDEFGHJKLMNPQRSTVWXYZ')} {rng.randint(10, 99)}"
            )
            has_plan = rng.random() < 0.6
            member = f"CIM{rng.randint(10**6, 10**7 - 1)}-{n % 4:02d}" if has_plan else ""
            born = TODAY - dt.timedelta(days=rng.randint(200, 90 * 365))
            buffer.write(
                "\t".join(
                    (
                        rng.choice(_FIRST),
                        rng.choice(_LAST),
                        born.isoformat(),
                        rng.choice("FM"),
                        national if rng.random() < 0.9 else r"\N",
                        phone or r"\N",
                        str(plan) if has_plan else r"\N",
                        member or r"\N",
                        "t",
                        "t",
                        "1",
                    )
                )
                + "\n"
            )
        raw = conn.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(  # type: ignore[union-attr]
                "COPY patient (first_name, last_name, date_of_birth, sex, national_id, phone, "
                "medical_aid_plan_id, medical_aid_member_number, sms_opt_in, email_opt_in, "
                "version) FROM STDIN"
            ) as copy,
        ):
            copy.write(buffer.getvalue())


def _national(phone: str) -> str:
    digits = phone.removeprefix("+263")
    return f"0{digits[:2]} {digits[2:5]} {digits[5:]}"


def _queries(database: Database, rng: random.Random) -> dict[str, list[str]]:
    """Typical inputs per query type, built from rows of the database."""
    with database.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT first_name, last_name, mrn, phone, national_id, medical_aid_member_number "
                "FROM patient TABLESAMPLE SYSTEM (5) REPEATABLE (7) LIMIT 400"
            )
        ).all()
    people = list(rows)
    rng.shuffle(people)
    phones = [p.phone for p in people if p.phone and p.phone.startswith("+263")]
    members = [p.medical_aid_member_number for p in people if p.medical_aid_member_number]
    ids = [p.national_id for p in people if p.national_id]
    return {
        "name, 2 letters": [p.last_name[:2] for p in people[:40]],
        "name, 3-4 letters": [p.last_name[: rng.choice((3, 4))] for p in people[40:80]],
        "first + last partial": [f"{p.first_name[:3]} {p.last_name[:3]}" for p in people[:40]],
        "last, first (any order)": [f"{p.last_name} {p.first_name}" for p in people[80:120]],
        "accented / upper case": [
            f"{p.first_name.translate(_ACCENTS).upper()} {p.last_name[:4].translate(_ACCENTS)}"
            for p in people[120:160]
        ],
        "phone fragment 077 123": [_national(p)[:7] for p in phones[:40]],
        "phone full, local": [_national(p) for p in phones[40:80]],
        "phone last 6 digits": [p[-6:] for p in phones[80:120]],
        "MRN full": [p.mrn for p in people[160:200]],
        "MRN digits, partial": [p.mrn[3:-1] for p in people[200:240]],
        "member number": [m if rng.random() < 0.5 else m[:7] for m in members[:40]],
        "national ID": [i if rng.random() < 0.5 else i[:6] for i in ids[:40]],
    }


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _measure(
    search: Callable[[str], list], inputs: list[str], runs: int
) -> tuple[list[float], float]:  # type: ignore[type-arg]
    times: list[float] = []
    found = 0
    for index in range(runs):
        typed = inputs[index % len(inputs)]
        started = time.perf_counter()
        rows = search(typed)
        times.append((time.perf_counter() - started) * 1000)
        found += len(rows)
    return times, found / runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=1, help="demo loader: months of visits")
    parser.add_argument("--loader", choices=("demo", "bulk"), default="demo")
    parser.add_argument("--runs", type=int, default=200, help="searches per query type")
    parser.add_argument("--database-url", help="admin URL of a PostgreSQL server to use")
    parser.add_argument("--keep", metavar="DIR", help="embedded server directory to keep/reuse")
    args = parser.parse_args(argv)

    url, filled = benchmark_database(
        server_url(args.database_url, args.keep),
        f"mic_search_{args.loader}_{args.patients}" if args.keep else None,
    )
    engine = make_engine(url)
    database = Database(Connection(url, DatabaseKind.SERVER), engine)
    try:
        if not filled:
            upgrade(engine)
            print(f"Loading {args.patients:,} patients ({args.loader}) ...", flush=True)
            started = time.perf_counter()
            (_load_demo if args.loader == "demo" else _load_bulk)(database, args)
            print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
            count = conn.scalar(text("SELECT count(*) FROM patient"))
            server = conn.scalar(text("SHOW server_version"))
        actor = StaffAccount(0, "benchmark", "Benchmark", Role.RECEPTION)
        service = PatientService(database.session_factory, actor, "benchmark")
        queries = _queries(database, random.Random(11))
        print(f"\n{count:,} patients, PostgreSQL {server}, {args.runs} searches per type")
        print(f"{'query type':<26}{'median ms':>10}{'p95 ms':>9}{'max ms':>9}{'rows':>7}")
        worst = 0.0
        for kind, inputs in queries.items():
            if not inputs:
                continue
            _measure(service.search, inputs, len(inputs))  # warm-up: plans and caches
            times, rows = _measure(service.search, inputs, args.runs)
            p95 = _percentile(times, 0.95)
            worst = max(worst, p95)
            print(
                f"{kind:<26}{statistics.median(times):>10.1f}{p95:>9.1f}"
                f"{max(times):>9.1f}{rows:>7.1f}"
            )
        verdict = "within" if worst < TARGET_MS else "OVER"
        print(f"\nWorst 95th percentile {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target.")
        return 0 if worst < TARGET_MS else 1
    finally:
        database.dispose()
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    raise SystemExit(main())
