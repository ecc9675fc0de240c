"""What each kind of login may do, tried against the real server statement by statement.

One demo clinic (loaded once for the module) with the three demo people, a pre-login
role and a worker login. Every forbidden statement must fail with a permission error
(SQLSTATE 42501, from a missing grant or a protecting trigger); every statement runs
in its own transaction, rolled back afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import URL, create_engine, make_url, text

from mic_desktop.config import DatabaseKind, normalise_url
from mic_desktop.db import Connection, Database, make_engine, require_passwords_for_people
from mic_desktop.db_access import apply_grants
from mic_desktop.schema import upgrade
from mic_desktop.services.demo.loader import load_demo
from mic_desktop.services.demo.spec import DemoSpec
from tests.conftest import PG15_URL_ENV, create_database, drop_database

SPEC = DemoSpec(patients=60, months=2, seed=11, today=dt.date(2026, 3, 18))
PASSWORDS = {
    "reception": "reception-demo",
    "radiologist": "radiologist-demo",
    "manager": "manager-demo",
    "gate": "gate-password-1",
    "worker": "worker-password-1",
}
SCRAM = "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$AAAA:BBBB"


@dataclass(frozen=True)
class Clinic:
    url: URL
    logins: dict[str, str]  # kind -> PostgreSQL login
    ids: dict[str, int]  # things the statements name


PG15_LOGIN_RULES = (  # PostgreSQL 15 has no regular expressions in pg_hba.conf
    "local all +mic_staff,+mic_worker,+mic_login scram-sha-256",
    "host all +mic_staff,+mic_worker,+mic_login all scram-sha-256",
)


@pytest.fixture(
    scope="module",
    params=["embedded PostgreSQL 18", pytest.param("PostgreSQL 15", marks=pytest.mark.pg15)],
)
def clinic(request: pytest.FixtureRequest, server_url: URL) -> Iterator[Clinic]:
    if request.param == "PostgreSQL 15":
        server = make_url(normalise_url(os.environ[PG15_URL_ENV]))
        require_passwords_for_people(server, PG15_LOGIN_RULES)
        url = create_database(server)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    else:
        url = create_database(server_url, request.getfixturevalue("template_database"))
    database = Database(Connection(url, DatabaseKind.EMBEDDED))
    with database.engine.connect() as conn:
        assert conn.scalar(text("SHOW server_version_num")).startswith(
            "15" if request.param == "PostgreSQL 15" else "18"
        )
    load_demo(database.session_factory, SPEC)
    prefix = f"{url.database}_"
    gate, worker = f"{prefix}gate", f"{prefix}worker"
    with database.engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {gate} LOGIN PASSWORD '{PASSWORDS['gate']}'"))
        conn.execute(text(f"CREATE ROLE {worker} LOGIN PASSWORD '{PASSWORDS['worker']}'"))
        report = conn.execute(
            text("SELECT id, appointment_id FROM report WHERE status = 'completed' LIMIT 1")
        ).one()
        conn.execute(
            text(
                "INSERT INTO report_document (report_id, filename, source, content, size_bytes,"
                " sha256, is_current) VALUES (:r, 'r.pdf', 'attached', :c, 8, :s, false)"
            ),
            {"r": report.id, "c": b"%PDF-1.7", "s": "0" * 64},
        )
        ids = {
            "report": report.id,
            "appointment": report.appointment_id,
            "manager": conn.scalar(text("SELECT id FROM staff_user WHERE username = 'manager'")),
            "reception": conn.scalar(
                text("SELECT id FROM staff_user WHERE username = 'reception'")
            ),
            "patient": conn.scalar(text("SELECT min(id) FROM patient")),
        }
        logins = {
            kind: conn.scalar(text("SELECT mic_login_role(:u)"), {"u": kind})
            for kind in ("reception", "radiologist", "manager")
        }
    apply_grants(database.engine, login_roles=(gate,), worker_roles=(worker,))
    database.dispose()
    yield Clinic(url, {**logins, "gate": gate, "worker": worker}, ids)
    drop_database(url)


@pytest.fixture(scope="module")
def connections(clinic: Clinic) -> Iterator[dict[str, psycopg.Connection]]:
    """One connection per kind of login, as a workstation would make it."""
    opened = {
        kind: psycopg.connect(
            host=clinic.url.query.get("host") or clinic.url.host,  # type: ignore[arg-type]
            port=clinic.url.port,
            dbname=clinic.url.database,
            user=login,
            password=PASSWORDS[kind],
        )
        for kind, login in clinic.logins.items()
    }
    yield opened
    for conn in opened.values():
        conn.close()


def _run(conn: psycopg.Connection, statement: str) -> None:
    try:
        conn.execute(statement)
    finally:
        conn.rollback()


FORBIDDEN_TO_EVERYONE = (
    "UPDATE staff_user SET db_role = 'someone_else' WHERE id = {reception}",
    "UPDATE staff_user SET last_login_at = now() WHERE id = {manager}",
    "DELETE FROM staff_user WHERE id = {manager}",
    "SELECT rolpassword FROM pg_authid",
    "SELECT passwd FROM pg_shadow",
    "ALTER ROLE {other_login} PASSWORD '" + SCRAM + "'",
    "ALTER ROLE {other_login} VALID UNTIL 'infinity'",
    "ALTER ROLE {other_login} LOGIN",
    "ALTER ROLE CURRENT_USER CREATEROLE",
    "ALTER ROLE CURRENT_USER VALID UNTIL 'infinity'",
    "GRANT mic_manager TO CURRENT_USER",
    "CREATE ROLE intruder LOGIN",
    "UPDATE report SET findings = 'rewritten' WHERE id = {report}",
    "UPDATE report SET status = 'in_progress' WHERE id = {report}",
    "DELETE FROM report WHERE id = {report}",
    "UPDATE report_document SET content = '\\x00' WHERE report_id = {report}",
    "DELETE FROM report_document WHERE report_id = {report}",
    "UPDATE report_addendum SET text = 'rewritten'",
    "DELETE FROM report_addendum",
    "UPDATE report_access_log SET action = 'view'",
    "DELETE FROM report_access_log",
    "UPDATE appointment_status_change SET to_status = 'completed'",
    "DELETE FROM appointment_status_change",
    "UPDATE payment SET amount = amount * 2",
    "DELETE FROM payment",
    "UPDATE audit_log SET action = 'nothing'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "TRUNCATE payment",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "ALTER TABLE report DISABLE TRIGGER report_signed",
    "SET session_replication_role = replica",
    "CREATE TABLE mine (id int)",
    "CREATE FUNCTION mine() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "DROP TABLE patient",
    "DROP TRIGGER report_signed ON report",
)
# Staff accounts: only a manager may change them (and the database checks that too).
FORBIDDEN_UNLESS_MANAGER = (
    "UPDATE staff_user SET role = 'manager' WHERE id = {reception}",
    "UPDATE staff_user SET locked_until = NULL, failed_logins = 0 WHERE id = {manager}",
    "UPDATE staff_user SET is_active = false WHERE id = {manager}",
    "SELECT mic_set_login_password({manager}, '" + SCRAM + "', false)",
    "INSERT INTO staff_user (username, full_name, role) VALUES ('boss', 'Boss', 'manager')",
)
FORBIDDEN = {
    "reception": (
        "UPDATE appointment SET cancellation_authorised_by_id = {manager},"
        " is_late_cancellation = true WHERE id = {appointment}",
        "UPDATE scan_type SET price = 1",
        "INSERT INTO report_addendum (report_id, text, created_by_id, signed_name)"
        " VALUES ({report}, 'x', {reception}, 'x')",
        "UPDATE report SET findings = 'draft edit'",
        "UPDATE clinic_settings SET name = 'Mine'",
    ),
    "radiologist": (
        "INSERT INTO payment (receipt_number, patient_id, method, amount)"
        " VALUES ('R-X', {patient}, 'cash', 10)",
        "UPDATE scan_type SET price = 1",
        "INSERT INTO scan_type_price (scan_type_id, price, valid_from)"
        " SELECT id, 1, now() FROM scan_type LIMIT 1",
        "UPDATE medical_aid_plan SET name = 'x'",
        "UPDATE staff_user SET full_name = 'x'",
        "UPDATE clinic_settings SET name = 'Mine'",
    ),
    "manager": (),
    "worker": (
        "INSERT INTO payment (receipt_number, patient_id, method, amount)"
        " VALUES ('R-X', {patient}, 'cash', 10)",
        "INSERT INTO patient (first_name, last_name) VALUES ('x', 'y')",
        "UPDATE report SET findings = 'draft edit'",
        "UPDATE scan_type SET price = 1",
        "UPDATE clinic_settings SET name = 'Mine'",
        "UPDATE staff_user SET full_name = 'x'",
    ),
    "gate": (
        "SELECT * FROM patient",
        "SELECT * FROM staff_user",
        "SELECT * FROM audit_log",
        "SELECT * FROM payment",
        "INSERT INTO audit_log (action) VALUES ('forged')",
        "UPDATE patient SET phone = '+263770000000'",
        "SELECT mic_login_succeeded('pc', 'login')",
        "SELECT mic_change_own_password('" + SCRAM + "')",
    ),
}
CASES = [
    (kind, statement)
    for kind in ("reception", "radiologist", "manager", "worker", "gate")
    for statement in (
        *FORBIDDEN_TO_EVERYONE,
        *(FORBIDDEN_UNLESS_MANAGER if kind != "manager" else ()),
        *FORBIDDEN[kind],
    )
]


@pytest.mark.parametrize(("kind", "statement"), CASES)
def test_forbidden_statement_is_refused(
    clinic: Clinic, connections: dict[str, psycopg.Connection], kind: str, statement: str
) -> None:
    other = clinic.logins["reception" if kind == "manager" else "manager"]
    sql = statement.format(**clinic.ids, other_login=other)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _run(connections[kind], sql)


ALLOWED = {
    "reception": (
        "UPDATE patient SET phone = '+263771234567' WHERE id = {patient}",
        "INSERT INTO payment (receipt_number, patient_id, method, amount)"
        " VALUES ('R-TEST', {patient}, 'cash', 10)",
        "UPDATE appointment SET clinical_notes = 'moved' WHERE id = {appointment}",
    ),
    "radiologist": (
        "INSERT INTO report_addendum (report_id, text, created_by_id, signed_name)"
        " VALUES ({report}, 'addition', {manager}, 'Dr X')",
        "UPDATE report SET status = 'reviewed' WHERE id = {report}",
    ),
    "manager": (
        "INSERT INTO report_addendum (report_id, text, created_by_id, signed_name)"
        " VALUES ({report}, 'addition', {manager}, 'N. Ndlovu')",
        "UPDATE scan_type SET price = price + 1",
        "UPDATE staff_user SET full_name = 'Renamed' WHERE id = {reception}",
        "INSERT INTO payment (receipt_number, patient_id, method, amount, refund_reason)"
        " VALUES ('R-REF', {patient}, 'cash', -5, 'overcharged')",
    ),
    "worker": ("SELECT count(*) FROM appointment",),
    "gate": (
        "SELECT mic_has_staff()",
        "SELECT name FROM clinic_settings",
        "SELECT version_num FROM alembic_version",
    ),
}


@pytest.mark.parametrize(
    ("kind", "statement"), [(kind, s) for kind, statements in ALLOWED.items() for s in statements]
)
def test_the_work_of_each_login_is_allowed(
    clinic: Clinic, connections: dict[str, psycopg.Connection], kind: str, statement: str
) -> None:
    """The refusals above are grants and rules, not a database nobody can use."""
    _run(connections[kind], statement.format(**clinic.ids))


def test_a_change_by_hand_is_audited_with_the_servers_record_of_who(
    clinic: Clinic, connections: dict[str, psycopg.Connection]
) -> None:
    conn = connections["reception"]
    try:
        conn.execute("SET mic.bulk_load = 'on'")  # only the schema owner may skip the audit
        conn.execute(
            "INSERT INTO audit_log (action, db_user, username, details)"
            " VALUES ('forged', 'manager', 'x', '{}')"
        )
        conn.execute(
            "UPDATE patient SET phone = '+263779999999' WHERE id = %s", (clinic.ids["patient"],)
        )
        rows = conn.execute(
            "SELECT action, db_user, staff_id, entity, details FROM audit_log"
            " WHERE txid = txid_current() ORDER BY id"
        ).fetchall()
    finally:
        conn.rollback()
    forged, change = rows
    assert forged[1] == clinic.logins["reception"]  # the server stamps who, not the client
    assert change[:4] == (
        "row.update",
        clinic.logins["reception"],
        clinic.ids["reception"],
        "patient",
    )
    assert change[4]["after"] == {"phone": "+263779999999"}
    assert set(change[4]["before"]) == {"phone"}


def test_nobody_can_grant_what_they_hold(
    clinic: Clinic, connections: dict[str, psycopg.Connection]
) -> None:
    """Without grant options PostgreSQL warns and grants nothing: check that it granted nothing."""
    for kind in ("reception", "radiologist", "manager", "worker"):
        conn = connections[kind]
        try:
            conn.execute("GRANT SELECT, INSERT, UPDATE ON patient, audit_log TO PUBLIC")
            granted = conn.execute(
                "SELECT has_table_privilege('public', 'patient', 'SELECT'),"
                " has_table_privilege('public', 'audit_log', 'INSERT')"
            ).fetchone()
        finally:
            conn.rollback()
        assert granted == (False, False), kind


def test_a_person_may_change_only_their_own_password(
    clinic: Clinic, connections: dict[str, psycopg.Connection]
) -> None:
    conn = connections["reception"]
    try:
        staff_id = conn.execute("SELECT mic_change_own_password(%s)", (SCRAM,)).fetchone()
        assert staff_id == (clinic.ids["reception"],)
    finally:
        conn.rollback()


def test_the_pre_login_role_reads_no_clinic_table(clinic: Clinic) -> None:
    engine = create_engine(clinic.url)
    with engine.connect() as conn:
        gate = clinic.logins["gate"]
        readable = conn.scalars(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind = 'r'"
                " AND has_table_privilege(:r, c.oid, 'SELECT')"
            ),
            {"r": gate},
        ).all()
    engine.dispose()
    assert sorted(readable) == ["alembic_version", "clinic_settings", "login_settings"]
