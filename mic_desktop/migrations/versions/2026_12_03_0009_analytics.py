"""analytics: daily roll-ups of appointments, completed visits and payments

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:00:00

The dashboard's year view read every appointment, payment and report of the year
several times over. Three tables add appointments, completed visits and payments up
per day in the clinic's time zone, and a fourth keeps each final report's turnaround
beside its signer and scan type; statement triggers keep them current in the
transaction that changes an appointment, claim, payment or report, and rebuild them
when the clinic's time zone changes or a source table is truncated. A partial index
gives the rooms' booked time without reading the appointments' rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 2)

# The rows a source statement changed, +1 for new rows and -1 for old ones.
CHANGED_ROWS = {
    "insert": "SELECT 1 AS sign, * FROM new_rows",
    "update": "SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1 AS sign, * FROM old_rows",
    "delete": "SELECT -1 AS sign, * FROM old_rows",
}

# What a changed appointment, claim or payment adds to a roll-up: a query over the
# changed rows ({changed}), in the columns its roll-up adds up.
COMPLETED_OF_APPOINTMENTS = """
    SELECT a.sign, a.start_at, a.scan_type_id, coalesce(a.medical_aid_plan_id, 0) AS plan_id,
           1 AS appointments, a.price, a.medical_aid_cover, a.patient_copay,
           coalesce(c.claimed_amount, 0) AS claimed, coalesce(c.settled_amount, 0) AS settled,
           coalesce(c.shortfall, 0) AS shortfall,
           (c.status IS NOT DISTINCT FROM 'submitted')::int AS open_claims
    FROM ({changed}) a LEFT JOIN medical_aid_claim c ON c.appointment_id = a.id
    WHERE a.status = 'completed'"""
COMPLETED_OF_CLAIMS = """
    SELECT c.sign, a.start_at, a.scan_type_id, coalesce(a.medical_aid_plan_id, 0) AS plan_id,
           0 AS appointments, 0 AS price, 0 AS medical_aid_cover, 0 AS patient_copay,
           c.claimed_amount AS claimed, coalesce(c.settled_amount, 0) AS settled,
           c.shortfall, (c.status = 'submitted')::int AS open_claims
    FROM ({changed}) c JOIN appointment a ON a.id = c.appointment_id
    WHERE a.status = 'completed'"""
PAYMENTS_OF_PAYMENTS = """
    SELECT p.sign, coalesce(a.scan_type_id, 0) AS scan_type_id, p.received_at, p.method,
           p.amount
    FROM ({changed}) p LEFT JOIN appointment a ON a.id = p.appointment_id"""
# The payments of appointments whose scan type changed, moved to the new one.
PAYMENTS_OF_RETYPED_APPOINTMENTS = """
    SELECT m.sign, m.scan_type_id, p.received_at, p.method, p.amount
    FROM (SELECT 1 AS sign, n.id, n.scan_type_id
          FROM new_rows n JOIN old_rows o ON o.id = n.id
          WHERE o.scan_type_id <> n.scan_type_id
          UNION ALL
          SELECT -1, o.id, o.scan_type_id
          FROM new_rows n JOIN old_rows o ON o.id = n.id
          WHERE o.scan_type_id <> n.scan_type_id) m
    JOIN payment p ON p.appointment_id = m.id"""

# Adds the per-key sums of the contribution query ({rows}) to a roll-up, in key order
# (concurrent writers lock rows in one order), and returns the keys left at zero.
ADD_APPOINTMENTS = """
    WITH changed AS ({rows}),
    delta AS (
        SELECT (start_at AT TIME ZONE zone)::date AS day, scan_type_id, status,
               is_late_cancellation, sum(sign)::int AS appointments
        FROM changed GROUP BY 1, 2, 3, 4 HAVING sum(sign) <> 0
    ),
    saved AS (
        INSERT INTO analytics_appointment_day AS t
            (day, scan_type_id, status, is_late_cancellation, appointments)
        SELECT * FROM delta ORDER BY 1, 2, 3, 4
        ON CONFLICT (day, scan_type_id, status, is_late_cancellation)
        DO UPDATE SET appointments = t.appointments + EXCLUDED.appointments
        RETURNING t.*
    )
    SELECT * FROM saved WHERE appointments = 0"""
ADD_COMPLETED = """
    WITH changed AS ({rows}),
    delta AS (
        SELECT (start_at AT TIME ZONE zone)::date AS day, scan_type_id, plan_id,
               sum(sign * appointments)::int AS appointments, sum(sign * price) AS price,
               sum(sign * medical_aid_cover) AS medical_aid_cover,
               sum(sign * patient_copay) AS patient_copay, sum(sign * claimed) AS claimed,
               sum(sign * settled) AS settled, sum(sign * shortfall) AS shortfall,
               sum(sign * open_claims)::int AS open_claims
        FROM changed GROUP BY 1, 2, 3
        HAVING sum(sign * appointments) <> 0 OR sum(sign * price) <> 0
            OR sum(sign * medical_aid_cover) <> 0 OR sum(sign * patient_copay) <> 0
            OR sum(sign * claimed) <> 0 OR sum(sign * settled) <> 0
            OR sum(sign * shortfall) <> 0 OR sum(sign * open_claims) <> 0
    ),
    saved AS (
        INSERT INTO analytics_completed_day AS t
            (day, scan_type_id, plan_id, appointments, price, medical_aid_cover,
             patient_copay, claimed, settled, shortfall, open_claims)
        SELECT * FROM delta ORDER BY 1, 2, 3
        ON CONFLICT (day, scan_type_id, plan_id) DO UPDATE SET
            appointments = t.appointments + EXCLUDED.appointments,
            price = t.price + EXCLUDED.price,
            medical_aid_cover = t.medical_aid_cover + EXCLUDED.medical_aid_cover,
            patient_copay = t.patient_copay + EXCLUDED.patient_copay,
            claimed = t.claimed + EXCLUDED.claimed,
            settled = t.settled + EXCLUDED.settled,
            shortfall = t.shortfall + EXCLUDED.shortfall,
            open_claims = t.open_claims + EXCLUDED.open_claims
        RETURNING t.*
    )
    SELECT * FROM saved WHERE appointments = 0"""
ADD_PAYMENTS = """
    WITH changed AS ({rows}),
    delta AS (
        SELECT (received_at AT TIME ZONE zone)::date AS day, scan_type_id, method,
               amount < 0 AS is_refund, sum(sign)::int AS payments,
               sum(sign * amount) AS amount
        FROM changed GROUP BY 1, 2, 3, 4
        HAVING sum(sign) <> 0 OR sum(sign * amount) <> 0
    ),
    saved AS (
        INSERT INTO analytics_payment_day AS t
            (day, scan_type_id, method, is_refund, payments, amount)
        SELECT * FROM delta ORDER BY 1, 2, 3, 4
        ON CONFLICT (day, scan_type_id, method, is_refund) DO UPDATE SET
            payments = t.payments + EXCLUDED.payments, amount = t.amount + EXCLUDED.amount
        RETURNING t.*
    )
    SELECT * FROM saved WHERE payments = 0"""
KEYS = {
    "analytics_appointment_day": ("day", "scan_type_id", "status", "is_late_cancellation"),
    "analytics_completed_day": ("day", "scan_type_id", "plan_id"),
    "analytics_payment_day": ("day", "scan_type_id", "method", "is_refund"),
}
COUNTS = {
    "analytics_appointment_day": "appointments",
    "analytics_completed_day": "appointments",
    "analytics_payment_day": "payments",
}


def _add(table: str, add: str, rows: str) -> str:
    """PL/pgSQL adding the contributions ``rows`` (a query) to ``table``, dropping zero rows."""
    match = " AND ".join(f"{key} = zero.{key}" for key in KEYS[table])
    return f"""
    FOR zero IN {add.format(rows=rows)} LOOP
        DELETE FROM {table} WHERE {match} AND {COUNTS[table]} = 0;
    END LOOP;"""


def _trigger_function(name: str, body: str) -> str:
    """A statement trigger's function; the transition tables exist only in its own body."""
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $function$
DECLARE
    zone text := mic_clinic_zone();
    zero record;
    reports int[];
BEGIN{body}
    RETURN NULL;
END
$function$;
"""


def _appointments_changed(event: str) -> str:
    changed = CHANGED_ROWS[event]
    body = _add("analytics_appointment_day", ADD_APPOINTMENTS, changed) + _add(
        "analytics_completed_day",
        ADD_COMPLETED,
        COMPLETED_OF_APPOINTMENTS.format(changed=changed),
    )
    if event == "update":
        body += _add("analytics_payment_day", ADD_PAYMENTS, PAYMENTS_OF_RETYPED_APPOINTMENTS)
        body += """
    SELECT array_agg(r.id) INTO reports
    FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN report r ON r.appointment_id = n.id
    WHERE n.scan_completed_at IS DISTINCT FROM o.scan_completed_at
       OR n.scan_type_id <> o.scan_type_id;
    IF reports IS NOT NULL THEN
        PERFORM mic_analytics_refresh_turnaround(reports);
    END IF;"""
    return body


def _reports_changed(event: str) -> str:
    if event == "update":
        chosen = """SELECT array_agg(n.id) INTO reports
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.finalised_at, n.finalised_by_id, n.radiologist_id, n.appointment_id)
          IS DISTINCT FROM (o.finalised_at, o.finalised_by_id, o.radiologist_id,
                            o.appointment_id);"""
    else:
        rows = "new_rows" if event == "insert" else "old_rows"
        chosen = f"SELECT array_agg(id) INTO reports FROM {rows};"
    return f"""
    {chosen}
    IF reports IS NOT NULL THEN
        PERFORM mic_analytics_refresh_turnaround(reports);
    END IF;"""


BODIES = {
    "appointment": _appointments_changed,
    "medical_aid_claim": lambda event: _add(
        "analytics_completed_day",
        ADD_COMPLETED,
        COMPLETED_OF_CLAIMS.format(changed=CHANGED_ROWS[event]),
    ),
    "payment": lambda event: _add(
        "analytics_payment_day",
        ADD_PAYMENTS,
        PAYMENTS_OF_PAYMENTS.format(changed=CHANGED_ROWS[event]),
    ),
    "report": _reports_changed,
}
TRANSITIONS = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}


FUNCTIONS = """
CREATE FUNCTION mic_clinic_zone() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT time_zone FROM clinic_settings WHERE id = 1), 'Africa/Harare')
$$;

-- The turnaround of the given reports (NULL: of all reports) written again.
CREATE FUNCTION mic_analytics_refresh_turnaround(reports int[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM analytics_report_turnaround WHERE report_id = ANY(reports);
    INSERT INTO analytics_report_turnaround
        (report_id, finalised_at, signer_id, scan_type_id, hours)
    SELECT r.id, r.finalised_at, coalesce(r.finalised_by_id, r.radiologist_id),
           a.scan_type_id, (extract(epoch FROM r.finalised_at - a.scan_completed_at) / 3600)::float8
    FROM report r JOIN appointment a ON a.id = r.appointment_id
    WHERE (reports IS NULL OR r.id = ANY(reports))
      AND r.finalised_at IS NOT NULL AND a.scan_completed_at IS NOT NULL;
$$;

CREATE FUNCTION mic_analytics_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text := mic_clinic_zone();
BEGIN
    DELETE FROM analytics_appointment_day;
    DELETE FROM analytics_completed_day;
    DELETE FROM analytics_payment_day;
    INSERT INTO analytics_appointment_day
        (day, scan_type_id, status, is_late_cancellation, appointments)
    SELECT (start_at AT TIME ZONE zone)::date, scan_type_id, status, is_late_cancellation,
           count(*)
    FROM appointment GROUP BY 1, 2, 3, 4;
    INSERT INTO analytics_completed_day
        (day, scan_type_id, plan_id, appointments, price, medical_aid_cover, patient_copay,
         claimed, settled, shortfall, open_claims)
    SELECT (a.start_at AT TIME ZONE zone)::date, a.scan_type_id,
           coalesce(a.medical_aid_plan_id, 0), count(*), sum(a.price),
           sum(a.medical_aid_cover), sum(a.patient_copay),
           coalesce(sum(c.claimed_amount), 0), coalesce(sum(c.settled_amount), 0),
           coalesce(sum(c.shortfall), 0), count(c.id) FILTER (WHERE c.status = 'submitted')
    FROM appointment a LEFT JOIN medical_aid_claim c ON c.appointment_id = a.id
    WHERE a.status = 'completed'
    GROUP BY 1, 2, 3;
    INSERT INTO analytics_payment_day
        (day, scan_type_id, method, is_refund, payments, amount)
    SELECT (p.received_at AT TIME ZONE zone)::date, coalesce(a.scan_type_id, 0), p.method,
           p.amount < 0, count(*), sum(p.amount)
    FROM payment p LEFT JOIN appointment a ON a.id = p.appointment_id
    GROUP BY 1, 2, 3, 4;
    DELETE FROM analytics_report_turnaround;
    PERFORM mic_analytics_refresh_turnaround(NULL);
END
$$;

-- Rebuilt when the clinic's time zone changes (its days are other days) or a source
-- table is truncated.
CREATE FUNCTION mic_analytics_rebuild_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'clinic_settings' AND TG_OP = 'UPDATE' THEN
        IF OLD.time_zone IS NOT DISTINCT FROM NEW.time_zone THEN
            RETURN NULL;
        END IF;
    END IF;
    PERFORM mic_analytics_rebuild();
    RETURN NULL;
END
$$;
"""
FUNCTIONS += "".join(
    _trigger_function(f"mic_analytics_{table}_{event}", body(event))
    for table, body in BODIES.items()
    for event in TRANSITIONS
)

TABLES = (
    "analytics_appointment_day",
    "analytics_completed_day",
    "analytics_payment_day",
    "analytics_report_turnaround",
)


def upgrade() -> None:
    op.create_table(
        "analytics_appointment_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scan_type_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("is_late_cancellation", sa.Boolean(), nullable=False),
        sa.Column("appointments", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "scan_type_id",
            "status",
            "is_late_cancellation",
            name=op.f("pk_analytics_appointment_day"),
        ),
    )
    op.create_table(
        "analytics_completed_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scan_type_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("appointments", sa.Integer(), nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("medical_aid_cover", MONEY, nullable=False),
        sa.Column("patient_copay", MONEY, nullable=False),
        sa.Column("claimed", MONEY, nullable=False),
        sa.Column("settled", MONEY, nullable=False),
        sa.Column("shortfall", MONEY, nullable=False),
        sa.Column("open_claims", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "scan_type_id", "plan_id", name=op.f("pk_analytics_completed_day")
        ),
    )
    op.create_table(
        "analytics_payment_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scan_type_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("is_refund", sa.Boolean(), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "scan_type_id", "method", "is_refund", name=op.f("pk_analytics_payment_day")
        ),
    )
    op.create_table(
        "analytics_report_turnaround",
        sa.Column("report_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signer_id", sa.Integer(), nullable=True),
        sa.Column("scan_type_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_analytics_report_turnaround")),
    )
    op.create_index(
        "ix_analytics_report_turnaround_finalised_at",
        "analytics_report_turnaround",
        ["finalised_at"],
    )
    op.create_index(
        "ix_appointment_booked_start_at",
        "appointment",
        ["start_at"],
        postgresql_include=["end_at", "room_id"],
        postgresql_where=sa.text("status NOT IN ('cancelled', 'no_show')"),
    )
    op.execute(FUNCTIONS)
    for table in BODIES:
        for event, transition in TRANSITIONS.items():
            op.execute(
                f"CREATE TRIGGER analytics_{event} AFTER {event.upper()} ON {table} "
                f"{transition} FOR EACH STATEMENT EXECUTE FUNCTION mic_analytics_{table}_{event}()"
            )
        op.execute(
            f"CREATE TRIGGER analytics_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION mic_analytics_rebuild_trigger()"
        )
    op.execute(
        "CREATE TRIGGER analytics_time_zone AFTER INSERT OR UPDATE OR DELETE ON clinic_settings "
        "FOR EACH ROW EXECUTE FUNCTION mic_analytics_rebuild_trigger()"
    )
    op.execute("SELECT mic_analytics_rebuild()")


def downgrade() -> None:
    op.execute("DROP TRIGGER analytics_time_zone ON clinic_settings")
    for table in BODIES:
        for event in (*TRANSITIONS, "truncate"):
            op.execute(f"DROP TRIGGER analytics_{event} ON {table}")
    for function in (
        *(f"mic_analytics_{table}_{event}" for table in BODIES for event in TRANSITIONS),
        "mic_analytics_rebuild_trigger",
        "mic_analytics_rebuild",
        "mic_clinic_zone",
    ):
        op.execute(f"DROP FUNCTION {function}()")
    op.execute("DROP FUNCTION mic_analytics_refresh_turnaround(int[])")
    op.drop_index("ix_appointment_booked_start_at", table_name="appointment")
    for table in TABLES:
        op.drop_table(table)
