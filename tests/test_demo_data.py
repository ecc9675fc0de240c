"""The deterministic demo-data generator, loaded into real PostgreSQL databases."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import URL, text
from sqlalchemy.orm import Session

from mic_desktop.config import DatabaseKind
from mic_desktop.db import Connection, Database
from mic_desktop.models import Base, Role
from mic_desktop.services.accounts.auth import AuthService
from mic_desktop.services.demo.loader import COLUMNS, load_demo
from mic_desktop.services.demo.spec import (
    DEMO_ACCOUNTS,
    FIXED_CLOCK,
    DemoDataError,
    DemoSpec,
    DemoSummary,
)
from tests.conftest import create_database, drop_database

SPEC = DemoSpec(patients=150, months=3, seed=7, today=dt.date(2026, 3, 18))  # a Wednesday
ZONE = ZoneInfo("Africa/Harare")
NOW = dt.datetime.combine(SPEC.today, FIXED_CLOCK, tzinfo=ZONE)  # type: ignore[arg-type]
FINGERPRINTED = (
    "patient",
    "referring_doctor",
    "appointment",
    "appointment_status_change",
    "payment",
    "medical_aid_claim",
    "report",
    "patient_feedback",
)
HOLDING_SLOT = "('pending', 'confirmed', 'arrived', 'in_progress', 'completed')"


@pytest.fixture
def loaded(database: Database) -> tuple[Database, DemoSummary, list[tuple[int, int, str]]]:
    calls: list[tuple[int, int, str]] = []
    summary = load_demo(database.session_factory, SPEC, progress=lambda *call: calls.append(call))
    return database, summary, calls


@pytest.fixture
def other_database(server_url: URL, template_database: str) -> Iterator[Database]:
    url = create_database(server_url, template_database)
    db = Database(Connection(url, DatabaseKind.EMBEDDED))
    yield db
    db.dispose()
    drop_database(url)


def _scalar(db: Database, sql: str) -> object:
    with db.session() as session:
        return session.scalar(text(sql))


def _rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    with db.session() as session:
        return [tuple(row) for row in session.execute(text(sql))]


def _fingerprint(db: Database) -> dict[str, str]:
    """An md5 per table over the columns the generator writes (no hashes, no server values)."""
    with db.session() as session:
        session.execute(text("SET TIME ZONE 'UTC'"))
        return {
            table: session.scalar(
                text(
                    f"SELECT md5(string_agg(row_text, E'\\n' ORDER BY id)) FROM "
                    f"(SELECT id, ({', '.join(COLUMNS[table])})::text AS row_text FROM {table}) t"
                )
            )
            for table in FINGERPRINTED
        }


def test_loads_a_small_clinic(loaded: tuple[Database, DemoSummary, list]) -> None:
    db, summary, calls = loaded
    assert _scalar(db, "SELECT count(*) FROM patient") == SPEC.patients
    assert summary.counts["patient"] == SPEC.patients
    for table in ("appointment", "payment", "report", "patient_feedback", "medical_aid_claim"):
        assert summary.counts[table] > 0, table
        assert _scalar(db, f"SELECT count(*) FROM {table}") == summary.counts[table]
    assert summary.seconds > 0
    assert calls[-1][0] == calls[-1][1] and [c[0] for c in calls] == sorted(c[0] for c in calls)
    settings = _rows(db, "SELECT name, time_zone, currency, address, phone FROM clinic_settings")
    name, zone, currency, address, phone = settings[0]
    assert "Demo" in str(name) and zone == "Africa/Harare" and currency == "USD"
    assert "Harare" in str(address) and str(phone).startswith("+263")
    keys = {row[0] for row in _rows(db, "SELECT key FROM notification_template")}
    assert {"booking_confirmation", "reminder_24h", "report_ready_doctor"} <= keys
    assert (
        _scalar(db, "SELECT count(*) FROM modality WHERE code IN ('XR','CT','MR','US','MG')") == 5
    )
    assert _scalar(db, "SELECT count(*) FROM scan_type") >= 20
    assert _scalar(db, "SELECT count(DISTINCT scan_type_id) FROM scan_type_price") == _scalar(
        db, "SELECT count(*) FROM scan_type"
    )


def test_demo_accounts_log_in_one_per_role(loaded: tuple[Database, DemoSummary, list]) -> None:
    db = loaded[0]
    assert sorted(account.role for account in DEMO_ACCOUNTS) == sorted(Role)
    auth = AuthService(db.session_factory, "test-pc")
    for account in DEMO_ACCOUNTS:
        assert len(account.password) >= 8
        person = auth.login(account.username, account.password)
        assert person.role is account.role
        assert person.full_name == account.full_name
        assert not person.must_change_password
    assert _scalar(db, "SELECT count(*) FROM staff_user WHERE role = 'radiologist'") >= 3
    assert _scalar(db, "SELECT count(*) FROM staff_user WHERE must_change_password") == 0
    assert (
        _scalar(
            db,
            "SELECT count(*) FROM staff_user "
            "WHERE role = 'radiologist' AND professional_title IS NULL",
        )
        == 0
    )


def test_same_spec_gives_the_same_data_and_another_seed_does_not(
    loaded: tuple[Database, DemoSummary, list],
    other_database: Database,
    server_url: URL,
    template_database: str,
) -> None:
    first = _fingerprint(loaded[0])
    load_demo(other_database.session_factory, SPEC)
    assert _fingerprint(other_database) == first

    url = create_database(server_url, template_database)
    third = Database(Connection(url, DatabaseKind.EMBEDDED))
    try:
        load_demo(third.session_factory, DemoSpec(SPEC.patients, SPEC.months, 8, SPEC.today))
        different = _fingerprint(third)
    finally:
        third.dispose()
        drop_database(url)
    assert different["patient"] != first["patient"]
    assert different["appointment"] != first["appointment"]


def test_no_room_is_double_booked_and_slots_are_in_opening_hours(
    loaded: tuple[Database, DemoSummary, list],
) -> None:
    db = loaded[0]
    overlaps = _scalar(
        db,
        f"""
        SELECT count(*) FROM appointment a JOIN appointment b
          ON a.room_id = b.room_id AND a.id < b.id
         AND tstzrange(a.start_at, a.end_at, '[)') && tstzrange(b.start_at, b.end_at, '[)')
        WHERE a.status IN {HOLDING_SLOT} AND b.status IN {HOLDING_SLOT}
        """,
    )
    assert overlaps == 0
    outside = _scalar(
        db,
        """
        SELECT count(*) FROM appointment a
        WHERE NOT EXISTS (
            SELECT 1 FROM room_opening_hours h
            WHERE h.room_id = a.room_id
              AND h.weekday = extract(isodow FROM a.start_at AT TIME ZONE 'Africa/Harare') - 1
              AND (a.start_at AT TIME ZONE 'Africa/Harare')::time >= h.opens_at
              AND (a.end_at AT TIME ZONE 'Africa/Harare')::time <= h.closes_at
              AND (a.end_at AT TIME ZONE 'Africa/Harare')::date
                  = (a.start_at AT TIME ZONE 'Africa/Harare')::date)
        """,
    )
    assert outside == 0
    # CT and MRI need a radiologist on site; the demo books one.
    assert (
        _scalar(
            db,
            """
            SELECT count(*) FROM appointment a JOIN scan_type s ON s.id = a.scan_type_id
            JOIN modality m ON m.id = s.modality_id
            WHERE m.needs_radiologist_on_site AND a.radiologist_id IS NULL
            """,
        )
        == 0
    )


def test_money_adds_up(loaded: tuple[Database, DemoSummary, list]) -> None:
    db = loaded[0]
    assert (
        _scalar(
            db, "SELECT count(*) FROM appointment WHERE medical_aid_cover + patient_copay <> price"
        )
        == 0
    )
    assert _scalar(db, "SELECT count(*) FROM appointment WHERE medical_aid_cover > 0") > 0
    # The price quoted at booking is the scan's price at that time.
    assert (
        _scalar(
            db,
            """
            SELECT count(*) FROM appointment a
            WHERE a.price <> (SELECT p.price FROM scan_type_price p
                              WHERE p.scan_type_id = a.scan_type_id AND p.valid_from <= a.created_at
                              ORDER BY p.valid_from DESC LIMIT 1)
            """,
        )
        == 0
    )
    receipts = [
        row[0] for row in _rows(db, "SELECT receipt_number FROM payment ORDER BY received_at, id")
    ]
    assert receipts == [f"R{n:07d}" for n in range(1, len(receipts) + 1)]
    references = [row[0] for row in _rows(db, "SELECT reference FROM appointment ORDER BY id")]
    assert references == [f"A{n:07d}" for n in range(1, len(references) + 1)]
    counters = dict(_rows(db, "SELECT name, next_value FROM document_counter"))
    assert counters["receipt"] == len(receipts) + 1
    assert counters["appointment"] == len(references) + 1
    assert (
        _scalar(
            db,
            """
            SELECT count(*) FROM medical_aid_claim
            WHERE status IN ('settled', 'rejected')
              AND (settled_amount + shortfall <> claimed_amount OR settled_at IS NULL)
            """,
        )
        == 0
    )
    assert (
        _scalar(
            db,
            """
            SELECT count(*) FROM medical_aid_claim c JOIN appointment a ON a.id = c.appointment_id
            WHERE c.claimed_amount <> a.medical_aid_cover OR a.status <> 'completed'
            """,
        )
        == 0
    )
    assert (
        _scalar(
            db,
            "SELECT count(*) FROM payment WHERE amount < 0 AND (refund_reason IS NULL "
            "OR refund_of_id IS NULL)",
        )
        == 0
    )
    # Nobody has paid more than they owe (co-payments of attended visits + shortfalls).
    overpaid = _scalar(
        db,
        """
        SELECT count(*) FROM patient p
        WHERE (SELECT coalesce(sum(amount), 0) FROM payment WHERE patient_id = p.id)
            > (SELECT coalesce(sum(patient_copay), 0) FROM appointment
               WHERE patient_id = p.id AND status IN ('arrived', 'in_progress', 'completed'))
            + (SELECT coalesce(sum(c.shortfall), 0) FROM medical_aid_claim c
               JOIN appointment a ON a.id = c.appointment_id
               WHERE a.patient_id = p.id AND c.status IN ('settled', 'rejected'))
        """,
    )
    assert overpaid == 0


def test_reports_and_feedback_belong_to_completed_visits(
    loaded: tuple[Database, DemoSummary, list],
) -> None:
    db = loaded[0]
    for table in ("report", "patient_feedback"):
        stray = _scalar(
            db,
            f"SELECT count(*) FROM {table} x JOIN appointment a ON a.id = x.appointment_id "
            "WHERE a.status <> 'completed'",
        )
        assert stray == 0, table
    assert (
        _scalar(
            db,
            "SELECT count(*) FROM appointment a WHERE a.status = 'completed' "
            "AND NOT EXISTS (SELECT 1 FROM report r WHERE r.appointment_id = a.id)",
        )
        == 0
    )
    signed = _rows(
        db,
        "SELECT count(*) FILTER (WHERE signed_name IS NULL OR finalised_at IS NULL), count(*) "
        "FROM report WHERE status IN ('completed', 'reviewed')",
    )[0]
    assert signed[0] == 0 and signed[1] > 0
    # The radiologists' worklist has the latest scans to report.
    assert _scalar(db, "SELECT count(*) FROM report WHERE status IN ('pending', 'in_progress')") > 0
    assert (
        _scalar(
            db,
            "SELECT count(*) FROM report WHERE status = 'in_progress' "
            "AND (radiologist_id IS NULL OR claimed_at IS NULL)",
        )
        == 0
    )


def test_timeline_is_consistent_with_the_simulated_clock(
    loaded: tuple[Database, DemoSummary, list],
) -> None:
    db = loaded[0]
    with db.session() as session:
        latest = [
            session.scalar(text(f"SELECT max({column}) FROM {table}"))
            for table, column in (
                ("patient", "created_at"),
                ("patient", "updated_at"),
                ("appointment", "created_at"),
                ("appointment", "updated_at"),
                ("appointment_status_change", "changed_at"),
                ("payment", "received_at"),
                ("report", "updated_at"),
                ("patient_feedback", "submitted_at"),
                ("staff_user", "created_at"),
                ("scan_type_price", "created_at"),
            )
        ]
        assert all(moment <= NOW for moment in latest)
        assert _statuses_follow_the_clock(session)
    # Every appointment's history ends in its status, starting from nothing.
    assert (
        _scalar(
            db,
            """
            SELECT count(*) FROM appointment a
            WHERE a.status <> (SELECT h.to_status FROM appointment_status_change h
                               WHERE h.appointment_id = a.id ORDER BY h.changed_at DESC, h.id DESC
                               LIMIT 1)
               OR (SELECT h.from_status FROM appointment_status_change h
                   WHERE h.appointment_id = a.id ORDER BY h.changed_at, h.id LIMIT 1) IS NOT NULL
            """,
        )
        == 0
    )
    late = _rows(
        db,
        "SELECT count(*), count(*) FILTER (WHERE cancellation_reason IS NOT NULL "
        "AND cancellation_authorised_by_id = (SELECT id FROM staff_user WHERE role = 'manager' "
        "ORDER BY id LIMIT 1) AND start_at - cancelled_at < interval '24 hours') "
        "FROM appointment WHERE is_late_cancellation",
    )[0]
    assert late[0] == late[1]
    created = _scalar(
        db,
        "SELECT count(*) FROM patient p WHERE p.created_at <> "
        "(SELECT min(a.created_at) FROM appointment a WHERE a.patient_id = p.id)",
    )
    assert created == 0


def _statuses_follow_the_clock(session: Session) -> bool:
    wrong_future = session.scalar(
        text(
            "SELECT count(*) FROM appointment WHERE start_at > :now + interval '30 minutes' "
            "AND status NOT IN ('pending', 'confirmed', 'cancelled')"
        ),
        {"now": NOW},
    )
    wrong_past = session.scalar(
        text(
            "SELECT count(*) FROM appointment WHERE end_at < :now - interval '2 hours' "
            "AND status IN ('pending', 'confirmed', 'arrived', 'in_progress')"
        ),
        {"now": NOW},
    )
    ahead = session.scalar(
        text("SELECT count(*) FROM appointment WHERE start_at > :now + interval '7 days'"),
        {"now": NOW},
    )
    return wrong_future == 0 and wrong_past == 0 and ahead > 0


def test_rates_and_people_look_plausible(loaded: tuple[Database, DemoSummary, list]) -> None:
    db = loaded[0]
    due, no_shows, cancelled = _rows(
        db,
        f"""
        SELECT count(*) FILTER (WHERE status <> 'cancelled'),
               count(*) FILTER (WHERE status = 'no_show'),
               count(*) FILTER (WHERE status = 'cancelled')
        FROM appointment WHERE start_at < '{NOW.isoformat()}'
        """,
    )[0]
    assert 0.02 <= no_shows / due <= 0.14
    assert 0.01 <= cancelled / (due + cancelled) <= 0.12
    covered = _scalar(db, "SELECT avg((medical_aid_plan_id IS NOT NULL)::int) FROM patient")
    assert 0.45 <= float(covered) <= 0.75
    national_id = re.compile(r"^\d{2}-\d{6,7} [A-Z] \d{2}$")
    mobile = re.compile(r"^\+2637[1378]\d{7}$")  # E.164, Zimbabwean mobile networks
    for phone, identity, member, plan in _rows(
        db, "SELECT phone, national_id, medical_aid_member_number, medical_aid_plan_id FROM patient"
    ):
        assert phone is None or mobile.match(str(phone))
        assert identity is None or national_id.match(str(identity))
        assert (member is None) == (plan is None)


def test_refuses_a_database_with_patients_or_staff(
    loaded: tuple[Database, DemoSummary, list],
) -> None:
    db = loaded[0]
    with pytest.raises(DemoDataError, match="empty database"):
        load_demo(db.session_factory, SPEC)
    assert _scalar(db, "SELECT count(*) FROM patient") == SPEC.patients


def test_refuses_staff_only_database(database: Database, staff: dict[str, object]) -> None:
    with pytest.raises(DemoDataError, match="3 staff account"):
        load_demo(database.session_factory, SPEC)
    assert _scalar(database, "SELECT count(*) FROM patient") == 0


def test_a_failure_half_way_leaves_nothing_behind(database: Database) -> None:
    with database.session() as session:
        session.execute(
            text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'feedback refused by the test'; END $$"
            )
        )
        session.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON patient_feedback "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        )
    with pytest.raises(DemoDataError, match="feedback refused"):
        load_demo(database.session_factory, SPEC)
    for table in ("staff_user", "patient", "appointment", "payment", "report"):
        assert _scalar(database, f"SELECT count(*) FROM {table}") == 0, table
    assert _scalar(database, "SELECT name FROM clinic_settings") == "MIC Medical Imaging Centre"


def test_spec_is_checked() -> None:
    with pytest.raises(DemoDataError):
        load_demo(None, DemoSpec(patients=0))  # type: ignore[arg-type]


def test_every_column_is_written_by_the_generator() -> None:
    """No server default (now(), sequences) is left to fill a demo row: data stays reproducible."""
    for table, columns in COLUMNS.items():
        model = Base.metadata.tables[table]
        written = {column.name for column in model.columns if column.computed is None}
        if table == "staff_user":  # the login, kept by the database's staff trigger
            written -= {"db_role", "has_password"}
        assert set(columns) == written, table
