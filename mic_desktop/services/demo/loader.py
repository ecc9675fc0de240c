"""Loading the demo clinic: a busy Harare radiology clinic for demos, trials and charts.

:func:`load_demo` fills an *empty* clinic database in one transaction: staff with
one login per role (:data:`DEMO_ACCOUNTS`), rooms and scan menu, medical aids,
referring doctors, patients and ``months`` of appointments up to ``today`` plus
three weeks of bookings ahead, with their status history, payments, medical-aid
claims, reports and feedback.

The same :class:`DemoSpec` (seed and ``today``) always gives the same rows: all
randomness comes from one ``random.Random(seed)`` and every timestamp is set
here, none by the server. With a fixed ``today`` the simulated clock stands at
10:30 that morning; without one it is the real time in the clinic's time zone.

Rows are generated into lists and written with PostgreSQL ``COPY`` using ids
assigned here (the sequences are moved on afterwards), so 100,000 patients
take minutes, not hours. This module runs the phases in their fixed order
(:mod:`.setup`, :mod:`.appointments` with :mod:`.patients`, :mod:`.money`,
:mod:`.reports`), writes each table as soon as it is complete and finishes with the
clinic settings, notification templates, document counters and sequences.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import insert, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mic_desktop.models import AuditLog, ClinicSettings, DocumentCounter, NotificationTemplate
from mic_desktop.services.accounts.passwords import hash_password
from mic_desktop.services.demo import catalogue as cat
from mic_desktop.services.demo.appointments import build_appointment_rows, simulate_visits
from mic_desktop.services.demo.money import build_money
from mic_desktop.services.demo.patients import build_patient_rows
from mic_desktop.services.demo.reports import build_feedback, build_reports
from mic_desktop.services.demo.setup import build_setup
from mic_desktop.services.demo.spec import (
    DEFAULT_DEMO,
    DEMO_ACCOUNTS,
    DemoDataError,
    DemoSpec,
    DemoSummary,
    Progress,
)
from mic_desktop.services.demo.state import DemoClinic, Row
from mic_desktop.services.messaging.templates import DEFAULT_TEMPLATES

LOCK_KEY = 0x4D4943_0DE3  # pg_advisory_xact_lock: one demo load per database at a time

_PHASES = (
    "Setting up the clinic, staff and scan menu",
    "Simulating patients and appointments",
    "Writing patients and appointments",
    "Medical-aid claims and payments",
    "Reports",
    "Patient feedback",
    "Finishing",
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "staff_user": (
        "id", "username", "full_name", "role", "password_hash", "must_change_password",
        "is_active", "failed_logins", "locked_until", "last_login_at", "professional_title",
        "created_at", "version",
    ),
    "radiologist_availability": ("id", "radiologist_id", "weekday", "starts_at", "ends_at"),
    "radiologist_leave": ("id", "radiologist_id", "starts_at", "ends_at", "reason"),
    "modality": ("id", "code", "name", "needs_radiologist_on_site", "is_active"),
    "room": ("id", "name", "modality_id", "is_active", "sort_order", "version"),
    "room_opening_hours": ("id", "room_id", "weekday", "opens_at", "closes_at"),
    "scan_type": (
        "id", "code", "name", "modality_id", "duration_minutes", "price", "preparation",
        "requires_preauthorisation", "is_active", "version",
    ),
    "scan_type_price": ("id", "scan_type_id", "price", "valid_from", "changed_by_id", "created_at"),
    "medical_aid_scheme": ("id", "name", "code", "claims_phone", "claims_email", "is_active"),
    "medical_aid_plan": (
        "id", "scheme_id", "name", "default_coverage_percent", "is_active", "version",
    ),
    "coverage_rule": (
        "id", "plan_id", "scan_type_id", "coverage_percent", "cap_amount",
        "requires_preauthorisation",
    ),
    "referring_doctor": (
        "id", "full_name", "practice_name", "practice_number", "phone", "email", "is_active",
        "created_at",
    ),
    "patient": (
        "id", "mrn", "first_name", "last_name", "date_of_birth", "sex", "national_id", "phone",
        "email", "address", "medical_aid_plan_id", "medical_aid_member_number", "sms_opt_in",
        "email_opt_in", "created_at", "updated_at", "deleted_at", "version",
    ),
    "appointment": (
        "id", "reference", "patient_id", "scan_type_id", "room_id", "radiologist_id",
        "referring_doctor_id", "start_at", "end_at", "status", "urgency", "clinical_notes",
        "preauthorisation_number", "price", "medical_aid_plan_id", "medical_aid_cover",
        "patient_copay", "checked_in_at", "scan_started_at", "scan_completed_at",
        "cancelled_at", "cancellation_reason", "is_late_cancellation",
        "cancellation_authorised_by_id", "created_by_id", "created_at", "updated_at", "version",
        "study_instance_uid", "calendar_sequence",
    ),
    "appointment_status_change": (
        "id", "appointment_id", "from_status", "to_status", "changed_by_id", "changed_at",
        "reason", "workstation", "changed_by_modality",
    ),
    "medical_aid_claim": (
        "id", "appointment_id", "plan_id", "member_number", "claimed_amount", "status",
        "submitted_at", "settled_amount", "settled_at", "shortfall", "notes", "version",
    ),
    "payment": (
        "id", "receipt_number", "patient_id", "appointment_id", "method", "amount",
        "amount_tendered", "reference", "refund_of_id", "refund_reason", "received_by_id",
        "received_at", "workstation",
    ),
    "report": (
        "id", "appointment_id", "status", "radiologist_id", "claimed_at", "findings",
        "impression", "finalised_at", "finalised_by_id", "signed_name", "reviewed_at",
        "reviewed_by_id", "created_at", "updated_at", "updated_by_id", "version", "delivery",
        "private_note",
    ),
    "report_addendum": ("id", "report_id", "text", "created_by_id", "signed_name", "created_at"),
    "critical_finding": (
        "id", "report_id", "description", "flagged_by_id", "flagged_at", "communicated_to",
        "communication_method", "communicated_at", "acknowledged_by_id", "acknowledged_at",
    ),
    "report_access_log": (
        "id", "report_id", "staff_id", "action", "detail", "workstation", "accessed_at",
    ),
    "patient_feedback": (
        "id", "appointment_id", "overall", "professionalism", "cleanliness", "report_clarity",
        "would_recommend", "comments", "submitted_at",
    ),
}  # fmt: skip

# A database with rows in any of these is not empty; the ids used here would clash.
_MUST_BE_EMPTY = (
    "staff_user",
    "patient",
    "modality",
    "room",
    "scan_type",
    "medical_aid_scheme",
    "referring_doctor",
    "appointment",
    "payment",
    "report",
)


# --- Public entry point -----------------------------------------------------------------------


def load_demo(
    session_factory: sessionmaker[Session],
    spec: DemoSpec = DEFAULT_DEMO,
    progress: Progress | None = None,
) -> DemoSummary:
    """Load the demo clinic into an empty clinic database, all in one transaction."""
    _check_spec(spec)
    started = time.perf_counter()
    report = progress or _no_progress
    total = len(_PHASES)
    report(0, total, _PHASES[0])
    # Hashing is slow by design: once per distinct password, outside the transaction.
    hashes = {account.password: hash_password(account.password) for account in DEMO_ACCOUNTS}
    clinic = DemoClinic(spec, hashes)
    counts: dict[str, int] = {}
    try:
        with session_factory.begin() as session:
            _refuse_unless_owner(session)
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            _refuse_unless_empty(session)
            connection = session.connection().connection.driver_connection

            def write(*tables: str) -> None:
                with connection.cursor() as cursor:  # type: ignore[union-attr]
                    for table in tables:
                        counts[table] = _copy(cursor, table, clinic.rows.pop(table))

            build_setup(clinic)
            write(
                "staff_user", "radiologist_availability", "radiologist_leave", "modality",
                "room", "room_opening_hours", "scan_type", "scan_type_price",
                "medical_aid_scheme", "medical_aid_plan", "coverage_rule", "referring_doctor",
            )  # fmt: skip
            report(1, total, _PHASES[1])
            simulate_visits(clinic)
            report(2, total, _PHASES[2])
            build_patient_rows(clinic)
            build_appointment_rows(clinic)
            write("patient", "appointment", "appointment_status_change")
            report(3, total, _PHASES[3])
            build_money(clinic)
            write("medical_aid_claim", "payment")
            report(4, total, _PHASES[4])
            build_reports(clinic)
            write("report", "report_addendum", "critical_finding", "report_access_log")
            report(5, total, _PHASES[5])
            build_feedback(clinic)
            write("patient_feedback")
            report(6, total, _PHASES[6])
            counts.update(_finish(session, clinic, counts))
    except (SQLAlchemyError, psycopg.Error) as exc:
        raise DemoDataError(f"The demo data could not be written: {exc}") from exc
    report(total, total, "Demo data loaded")
    return DemoSummary(counts=counts, seconds=time.perf_counter() - started)


def _no_progress(done: int, total: int, what: str) -> None:
    pass


def _check_spec(spec: DemoSpec) -> None:
    if spec.patients < 1:
        raise DemoDataError("The demo needs at least one patient.")
    if not 1 <= spec.months <= 120:
        raise DemoDataError("The demo covers between 1 and 120 months.")


def _refuse_unless_owner(session: Session) -> None:
    """The loader writes ids and moves sequences: only the schema's owner role may."""
    row = session.execute(
        text(
            "SELECT current_user AS me, pg_get_userbyid(c.relowner) AS owner, "
            "pg_has_role(current_user, c.relowner, 'USAGE') AS may "
            "FROM pg_class c WHERE c.oid = 'public.patient'::regclass"
        )
    ).one()
    if not row.may:
        raise DemoDataError(
            f"The demo data must be loaded as the schema's owner role ({row.owner}), not as "
            f"{row.me}: run demo-data with --database-url for {row.owner}, as for db upgrade."
        )


def _refuse_unless_empty(session: Session) -> None:
    filled = [
        table
        for table in _MUST_BE_EMPTY
        if session.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {table})"))
    ]
    if not filled:
        return
    patients = session.scalar(text("SELECT count(*) FROM patient"))
    staff = session.scalar(text("SELECT count(*) FROM staff_user"))
    if patients or staff:
        held = f"{patients} patient(s) and {staff} staff account(s)"
    else:
        held = "rows in " + ", ".join(filled)
    raise DemoDataError(
        f"The demo clinic can only be loaded into an empty database; this one already has "
        f"{held}; load it into a new, empty database."
    )


def _copy(cursor: Any, table: str, rows: list[Row]) -> int:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, COLUMNS[table]))
    )
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


def _finish(session: Session, clinic: DemoClinic, counts: dict[str, int]) -> dict[str, int]:
    """Settings, templates, counters and sequences; returns the extra row counts."""
    values = dict(cat.CLINIC_SETTINGS)
    changed = session.execute(
        update(ClinicSettings)
        .where(ClinicSettings.id == 1)
        .values(**values, version=ClinicSettings.version + 1)
    ).rowcount
    if not changed:
        session.execute(insert(ClinicSettings).values(id=1, **values))
    templates = session.execute(
        pg_insert(NotificationTemplate)
        .values(
            [
                {
                    "key": t.key,
                    "name": t.name,
                    "channel": t.channel.value,
                    "subject": t.subject,
                    "body": t.body,
                    "is_active": True,
                    "version": 1,
                }
                for t in DEFAULT_TEMPLATES
            ]
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(NotificationTemplate.id)
    ).all()
    counters = pg_insert(DocumentCounter).values(
        [
            {"name": "appointment", "next_value": counts["appointment"] + 1},
            {"name": "receipt", "next_value": counts["payment"] + 1},
        ]
    )
    session.execute(
        counters.on_conflict_do_update(
            index_elements=["name"], set_={"next_value": counters.excluded.next_value}
        )
    )
    for table in COLUMNS:
        session.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :value, :called)"),
            {"table": table, "value": max(counts[table], 1), "called": counts[table] > 0},
        )
    session.execute(
        text("SELECT setval('patient_mrn_seq', :value)"),
        {"value": clinic.mrn_base + counts["patient"]},
    )
    session.execute(
        insert(AuditLog).values(
            at=clinic.now,
            username="(demo data)",
            action="demo_data_loaded",
            entity="clinic_settings",
            entity_id="1",
            details={
                "patients": clinic.spec.patients,
                "months": clinic.spec.months,
                "seed": clinic.spec.seed,
                "today": clinic.today.isoformat(),
            },
        )
    )
    return {"notification_template": len(templates), "document_counter": 2, "audit_log": 1}
