"""Benchmark: a login takes as long for an unknown name as for a wrong password.

    python -m benchmarks.bench_login_timing [--rounds 40] [--database-url URL]

Three kinds of attempt, interleaved so that drift hits them alike: an unknown
username, a known one with a wrong password, and the right password. Each is the
product's whole login (the pre-login check, PostgreSQL's SCRAM exchange, the
failure count). Prints the median and the spread of each; the unknown and the
wrong-password medians should differ by far less than a login takes.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

from benchmarks.servers import benchmark_database, drop_database, server_url
from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database
from mic_desktop.schema import upgrade
from mic_desktop.services.accounts.auth import AuthService
from mic_desktop.services.admin.staff import StaffService
from mic_desktop.services.errors import AuthenticationError

PASSWORD = "correct-horse-42"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url, _ = benchmark_database(server_url(args.database_url, None), None)
    database = Database(Connection(url, DatabaseKind.EMBEDDED))
    try:
        upgrade(database.engine)
        staff = StaffService(database.session_factory, actor=None, workstation="bench")
        for number in range(args.rounds + 2):  # never locked out: one account per round
            staff.add(
                f"person{number}", "Person", "reception", PASSWORD, must_change_password=False
            )
        auth = AuthService(database.session_factory, "bench")
        times: dict[str, list[float]] = {"unknown user": [], "wrong password": [], "right": []}
        for number in range(args.rounds):
            attempts = (
                ("unknown user", f"nobody{number}", PASSWORD),
                ("wrong password", f"person{number}", "not-the-password"),
                ("right", f"person{number}", PASSWORD),
            )
            for kind, username, password in attempts:
                started = time.perf_counter()
                with contextlib.suppress(AuthenticationError):
                    auth.login(username, password)
                times[kind].append((time.perf_counter() - started) * 1000)
        for kind, values in times.items():
            values.sort()
            low, high = values[len(values) // 10], values[len(values) * 9 // 10]
            median = statistics.median(values)
            print(f"{kind:15s} median {median:6.1f} ms   p10 {low:6.1f}   p90 {high:6.1f}")
        gap = statistics.median(times["unknown user"]) - statistics.median(times["wrong password"])
        print(f"unknown - wrong password: {gap:+.1f} ms")
    finally:
        database.dispose()
        drop_database(url)


if __name__ == "__main__":
    main()
