"""What a backup must give back: the row count of every table and a checksum of the key ones.

Read in the very snapshot ``pg_dump`` copies (see :func:`mic_desktop.services.admin.backup
.backup_database`), so work going on at the desks during a backup never looks like a
difference; read again in the scratch database the backup was restored into, and
compared. A checksum is the MD5 of every row's text in primary-key order, with the
session's output settings fixed so that two servers (even of different versions)
write the same text for the same row.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

KEY_TABLES = (
    "patient",
    "appointment",
    "payment",
    "medical_aid_claim",
    "report",
    "report_addendum",
    "report_document",
    "staff_user",
    "clinic_settings",
    "audit_log",
)
_OUTPUT_SETTINGS = {
    "TimeZone": "UTC",
    "DateStyle": "ISO, YMD",
    "IntervalStyle": "postgres",
    "bytea_output": "hex",
    "extra_float_digits": "1",
}


class ContentsAbandonedError(Exception):
    """The counting was stopped: the backup it was for did not finish."""


@dataclass(frozen=True)
class Contents:
    """Rows per table, and a checksum per key table."""

    rows: dict[str, int] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def to_json(self) -> dict[str, Any]:
        return {"rows": dict(self.rows), "checksums": dict(self.checksums)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Contents | None:
        if not data:
            return None
        return cls(
            {str(k): int(v) for k, v in (data.get("rows") or {}).items()},
            {str(k): str(v) for k, v in (data.get("checksums") or {}).items()},
        )


def read_contents(
    conn: psycopg.Connection, schema: str = "public", *, stop: threading.Event | None = None
) -> Contents:
    """Count every table of ``schema`` and checksum the key tables, in ``conn``'s snapshot.

    ``stop`` ends it between two tables (ContentsAbandonedError).
    """
    for name, value in _OUTPUT_SETTINGS.items():
        conn.execute("SELECT set_config(%s, %s, false)", (name, value))
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
            "ORDER BY c.relname",
            (schema,),
        ).fetchall()
    ]
    rows: dict[str, int] = {}
    checksums: dict[str, str] = {}
    for table in tables:
        if stop is not None and stop.is_set():
            raise ContentsAbandonedError(table)
        name = sql.Identifier(schema, table)
        if table in KEY_TABLES:
            order = sql.SQL(", ").join(
                sql.SQL("t.{}").format(sql.Identifier(column))
                for column in _key_columns(conn, schema, table)
            )
            count, checksum = conn.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' "
                    "ORDER BY {order}), '')) FROM {table} AS t"
                ).format(order=order, table=name)
            ).fetchone() or (0, "")
            checksums[table] = str(checksum)
        else:
            (count,) = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(name)).fetchone() or (
                0,
            )
        rows[table] = int(count)
    return Contents(rows, checksums)


def _key_columns(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    """The primary key's columns (every column when there is none, for a stable order)."""
    found = [
        row[0]
        for row in conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
            "WHERE n.nspname = %s AND c.relname = %s AND i.indisprimary ORDER BY k.position",
            (schema, table),
        ).fetchall()
    ]
    if found:
        return found
    return [
        row[0]
        for row in conn.execute(
            "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
            "AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (schema, table),
        ).fetchall()
    ]


def differences(expected: Contents, found: Contents) -> list[str]:
    """What the restored copy lacks or has differently, one sentence each (none: identical)."""
    problems: list[str] = []
    for table, count in sorted(expected.rows.items()):
        if table not in found.rows:
            problems.append(f"table {table} is missing")
        elif found.rows[table] != count:
            have = found.rows[table]
            rows = "row" if have == 1 else "rows"
            problems.append(f"table {table} has {have:,} {rows} instead of {count:,}")
    for table in sorted(set(found.rows) - set(expected.rows)):
        problems.append(f"table {table} was not in the database")
    for table, checksum in sorted(expected.checksums.items()):
        other = found.checksums.get(table)
        if (
            other is not None
            and other != checksum
            and found.rows.get(table) == expected.rows.get(table)
        ):
            problems.append(f"the rows of {table} differ")
    return problems
