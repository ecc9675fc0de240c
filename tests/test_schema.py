"""Migrations, the schema they build, and the rules the database itself enforces."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import URL, create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from mic_desktop.db import make_engine
from mic_desktop.models import Base
from mic_desktop.schema import (
    SchemaState,
    WorkstationOutdatedError,
    check_usable,
    grant_application_role,
    head_revision,
    schema_status,
    upgrade,
)


def test_empty_database_migrates_to_head_without_drift(empty_db_url: URL) -> None:
    engine = make_engine(empty_db_url)
    assert schema_status(engine).state is SchemaState.EMPTY
    upgrade(engine)
    status = schema_status(engine)
    assert status.state is SchemaState.CURRENT
    assert status.database_revision == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
        extensions = set(conn.scalars(text("SELECT extname FROM pg_extension")))
    engine.dispose()
    assert diff == []
    assert {"btree_gist", "pg_trgm", "unaccent"} <= extensions


def test_database_ahead_of_workstation_is_refused(db_url: URL) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    with pytest.raises(WorkstationOutdatedError, match="needs updating"):
        check_usable(engine)
    with pytest.raises(WorkstationOutdatedError):
        upgrade(engine)
    engine.dispose()


def _insert_fixture_rows(conn) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    modality = conn.scalar(
        text(
            "INSERT INTO modality (code, name, needs_radiologist_on_site) "
            "VALUES ('CT', 'CT', false) RETURNING id"
        )
    )
    room = conn.scalar(
        text(
            "INSERT INTO room (name, modality_id, is_active, sort_order, version) "
            "VALUES ('CT 1', :m, true, 0, 1) RETURNING id"
        ),
        {"m": modality},
    )
    scan = conn.scalar(
        text(
            "INSERT INTO scan_type (code, name, modality_id, duration_minutes, price, preparation, "
            "requires_preauthorisation, is_active, version) "
            "VALUES ('CTH', 'CT head', :m, 30, 150, '', false, true, 1) RETURNING id"
        ),
        {"m": modality},
    )
    patient = conn.scalar(
        text(
            "INSERT INTO patient (first_name, last_name, date_of_birth, sex, sms_opt_in, "
            "email_opt_in, version) "
            "VALUES ('Tendai', 'Moyo', '1980-01-01', 'F', true, true, 1) RETURNING id"
        )
    )
    return room, scan, patient


def _book(
    conn,
    ref: str,
    room: int,
    scan: int,
    patient: int,
    start: dt.datetime,  # type: ignore[no-untyped-def]
    minutes: int = 30,
) -> int:
    return conn.scalar(
        text(
            "INSERT INTO appointment (reference, patient_id, scan_type_id, room_id, start_at, "
            "end_at, status, urgency, clinical_notes, price, medical_aid_cover, patient_copay, "
            "is_late_cancellation, version) VALUES (:ref, :p, :s, :r, :start, :end, 'confirmed', "
            "'routine', '', 150, 0, 150, false, 1) RETURNING id"
        ),
        {
            "ref": ref,
            "p": patient,
            "s": scan,
            "r": room,
            "start": start,
            "end": start + dt.timedelta(minutes=minutes),
        },
    )


def test_overlapping_bookings_of_a_room_are_refused_by_the_database(db_url: URL) -> None:
    engine = create_engine(db_url)
    start = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
    with engine.begin() as conn:
        room, scan, patient = _insert_fixture_rows(conn)
        first = _book(conn, "A1", room, scan, patient, start)
        _book(conn, "A2", room, scan, patient, start + dt.timedelta(minutes=30))  # touching: fine
    with (
        pytest.raises(IntegrityError, match="appointment_no_double_booking"),
        engine.begin() as conn,
    ):
        _book(conn, "A3", room, scan, patient, start + dt.timedelta(minutes=15))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE appointment SET status = 'cancelled' WHERE id = :id"), {"id": first}
        )
        _book(conn, "A4", room, scan, patient, start + dt.timedelta(minutes=5), minutes=20)
        count = conn.scalar(text("SELECT count(*) FROM appointment"))
    engine.dispose()
    assert count == 3


def test_audit_log_cannot_be_changed_by_the_owner(db_url: URL) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (action, details) VALUES ('test', '{}')"))
    for statement in (
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT action FROM audit_log")) == "test"
    engine.dispose()


def test_an_older_application_role_becomes_the_pre_login_role(db_url: URL) -> None:
    """The shared role every PC held before 0011 keeps only what the login window needs."""
    owner = create_engine(db_url, isolation_level="AUTOCOMMIT")
    role = f"mic_app_{db_url.database[-8:]}"
    with owner.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'app-secret-1'"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role}"))
    grant_application_role(owner, role)
    app = create_engine(db_url.set(username=role, password="app-secret-1"))
    try:
        with app.begin() as conn:
            assert conn.scalar(text("SELECT mic_has_staff()")) is False
            assert conn.scalar(text("SELECT count(*) FROM clinic_settings")) in (0, 1)
        for statement in (
            "INSERT INTO audit_log (action, details) VALUES ('by app', '{}')",
            "SELECT * FROM patient",
            "SELECT * FROM staff_user",
            "UPDATE clinic_settings SET name = 'Renamed'",
        ):
            with pytest.raises(DBAPIError, match="permission denied"), app.begin() as conn:
                conn.execute(text(statement))
        with pytest.raises(DBAPIError, match="must be owner"), app.begin() as conn:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    finally:
        app.dispose()
        with owner.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        owner.dispose()


def test_revisions_read_without_alembic_match_alembics_own() -> None:
    from alembic.script import ScriptDirectory

    from mic_desktop.schema import alembic_config, known_revisions

    script = ScriptDirectory.from_config(alembic_config())
    assert known_revisions() == {r.revision: r.down_revision for r in script.walk_revisions()}
    assert head_revision() == script.get_current_head()
