"""Who may do what in the clinic database: the group roles and their grants.

Each person logs in to PostgreSQL as themselves (a login role made and kept in step
by the ``staff_user`` trigger of revision 0011), member of the group of their job:

- ``mic_reception``: patients, bookings, visits, payments (new rows only), claims;
- ``mic_radiologist``: reports, addenda, report documents, critical findings;
- ``mic_manager``: all of that plus the clinic's set-up, prices, staff and backups;
- ``mic_worker``: the headless worker (messages and replies, reminders, DICOM status
  reports, backups);
- ``mic_login``: the login a workstation uses before anyone logs in: it reads the
  schema revision and the clinic's name and checks logins, nothing else.

Everyone in ``mic_staff`` reads the clinic's tables. Nobody but the schema owner
creates objects, grants or deletes records; the audit log, payments, addenda,
report access, status history and signed reports are protected by triggers too.
:func:`apply_grants` runs as the owner after every upgrade (it is idempotent).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

STAFF, RECEPTION, RADIOLOGIST, MANAGER, WORKER, LOGIN = (
    "mic_staff",
    "mic_reception",
    "mic_radiologist",
    "mic_manager",
    "mic_worker",
    "mic_login",
)
GROUPS = (STAFF, RECEPTION, RADIOLOGIST, MANAGER, WORKER, LOGIN)
JOB_GROUPS = {"reception": RECEPTION, "radiologist": RADIOLOGIST, "manager": MANAGER}

ADD = "INSERT"
EDIT = "INSERT, UPDATE"
EDIT_DELETE = "INSERT, UPDATE, DELETE"

# Rows every person's work adds (the triggers refuse changes to the kept ones).
_EVERYONE = {
    "audit_log": ADD,
    "report_access_log": ADD,
    "appointment_status_change": ADD,
    "outbox_message": EDIT,
    "document_counter": EDIT,
    "critical_finding": EDIT,
}
_RECEPTION = {
    "patient": EDIT,
    "referring_doctor": EDIT,
    "appointment": EDIT,
    "appointment_attachment": EDIT,
    # UPDATE only so a refund may lock the payment it refunds (SELECT ... FOR UPDATE):
    # the payment_kept trigger refuses every change to a payment row.
    "payment": EDIT,
    "medical_aid_claim": EDIT,
    "patient_feedback": EDIT,
    "report": ADD,
}
_RADIOLOGIST = {
    "appointment": EDIT,
    "patient": "UPDATE",  # the reply jobs every PC runs: an SMS opt-out
    "report": EDIT,
    "report_addendum": ADD,
    "report_document": EDIT,
    "radiologist_leave": EDIT_DELETE,
}
_SET_UP = {
    "clinic_settings": EDIT,
    "modality": EDIT_DELETE,
    "room": EDIT_DELETE,
    "room_opening_hours": EDIT_DELETE,
    "closure": EDIT_DELETE,
    "scan_type": EDIT_DELETE,
    "scan_type_price": EDIT_DELETE,
    "medical_aid_scheme": EDIT_DELETE,
    "medical_aid_plan": EDIT_DELETE,
    "coverage_rule": EDIT_DELETE,
    "notification_template": EDIT,
    "radiologist_availability": EDIT_DELETE,
    "radiologist_leave": EDIT_DELETE,
    "backup_record": EDIT,
    "dicom_device": EDIT_DELETE,
}
# The worker also acts on patients' SMS replies (confirm, cancel, opt out, take a freed
# slot) and on the scanners' DICOM status reports.
_WORKER = {
    "appointment": EDIT,
    "appointment_status_change": ADD,
    "patient": "UPDATE",
    "audit_log": ADD,
    "outbox_message": EDIT,
    "backup_record": EDIT,
    "document_counter": EDIT,
}
# A manager may add and edit accounts but never their login name, login or last login.
STAFF_COLUMNS_A_MANAGER_EDITS = (
    "full_name",
    "role",
    "is_active",
    "must_change_password",
    "failed_logins",
    "locked_until",
    "professional_title",
    "version",
)
LOGIN_READS = ("alembic_version", "clinic_settings", "login_settings")
LOGIN_FUNCTIONS = (
    "mic_login_role(text)",
    "mic_has_staff()",
    "mic_login_check(text)",
    "mic_login_failed(text, text, text)",
)
STAFF_FUNCTIONS = (
    *LOGIN_FUNCTIONS,
    "mic_current_staff_id()",
    "mic_login_succeeded(text, text)",
    "mic_change_own_password(text)",
)
MANAGER_FUNCTIONS = ("mic_set_login_password(integer, text, boolean)",)

# Tables this module does not list (added by later revisions) are clinic records any
# person may add to and edit; list a table above to narrow it.
_KNOWN = {
    *_EVERYONE,
    *_RECEPTION,
    *_RADIOLOGIST,
    *_SET_UP,
    *_WORKER,
    "staff_user",
    "login_settings",
    "alembic_version",
}
_READ_ONLY = {"staff_user", "login_settings", "alembic_version"}
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# The group roles, made when missing (a backup restored on a new server names them in
# its grants); the people's logins are made again with ``mic-desktop user passwd``.
ENSURE_GROUP_ROLES = """
DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['mic_staff', 'mic_reception', 'mic_radiologist',
                                'mic_manager', 'mic_worker', 'mic_login'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', name);
        END IF;
    END LOOP;
    IF NOT pg_has_role('mic_reception', 'mic_staff', 'MEMBER') THEN
        GRANT mic_staff TO mic_reception, mic_radiologist, mic_manager;
    END IF;
END
$$
"""


def _writes() -> dict[str, dict[str, str]]:
    manager = {**_EVERYONE, **_RECEPTION, **_RADIOLOGIST, **_SET_UP}
    manager["report_addendum"] = ADD
    return {
        RECEPTION: {**_EVERYONE, **_RECEPTION},
        RADIOLOGIST: {**_EVERYONE, **_RADIOLOGIST},
        MANAGER: manager,
        WORKER: dict(_WORKER),
    }


def check_role_name(role: str) -> str:
    if not _ROLE_NAME.match(role):
        raise ValueError(f"Not a plain role name: {role!r}")
    return role


def apply_grants(
    engine: Engine, *, login_roles: tuple[str, ...] = (), worker_roles: tuple[str, ...] = ()
) -> None:
    """Grant the groups exactly their rights (run as the schema owner, after upgrading).

    ``login_roles`` become pre-login roles (their other rights are taken away: an
    older version's shared application role becomes one); ``worker_roles`` join
    ``mic_worker``.
    """
    from sqlalchemy import inspect, text

    for role in (*login_roles, *worker_roles):
        check_role_name(role)
    with engine.begin() as conn:
        tables = [t for t in inspect(conn).get_table_names()]
        everyone = ", ".join((*GROUPS, "PUBLIC"))
        conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {STAFF}, {WORKER}, {LOGIN}"))
        for table in tables:
            conn.execute(text(f'REVOKE ALL ON "{table}" FROM {everyone}'))
            conn.execute(text(f'GRANT SELECT ON "{table}" TO {STAFF}, {WORKER}'))
        for table in LOGIN_READS:
            conn.execute(text(f'GRANT SELECT ON "{table}" TO {LOGIN}'))
        writes = _writes()
        for group, rights in writes.items():
            for table, privileges in rights.items():
                if table in tables:
                    conn.execute(text(f'GRANT {privileges} ON "{table}" TO {group}'))
        for table in tables:
            if table not in _KNOWN and table not in _READ_ONLY:
                conn.execute(text(f'GRANT {EDIT} ON "{table}" TO {STAFF}, {WORKER}'))
        conn.execute(text(f"GRANT INSERT ON staff_user TO {MANAGER}"))
        columns = ", ".join(STAFF_COLUMNS_A_MANAGER_EDITS)
        conn.execute(text(f"GRANT UPDATE ({columns}) ON staff_user TO {MANAGER}"))
        conn.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {everyone}"))
        conn.execute(
            text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {STAFF}, {WORKER}")
        )
        _grant_functions(conn)
        for role in login_roles:
            _make_login_role(conn, role, tables)
        for role in worker_roles:
            conn.execute(text(f"GRANT {WORKER} TO {role}"))


def _grant_functions(conn: Connection) -> None:
    from sqlalchemy import text

    for function in LOGIN_FUNCTIONS:
        conn.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO {LOGIN}"))
    for function in STAFF_FUNCTIONS:
        conn.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO {STAFF}"))
    for function in MANAGER_FUNCTIONS:
        conn.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO {MANAGER}"))
    conn.execute(text(f"GRANT EXECUTE ON FUNCTION mic_login_succeeded(text, text) TO {WORKER}"))


def _make_login_role(conn: Connection, role: str, tables: list[str]) -> None:
    """An older version's application role keeps only what the login window needs."""
    from sqlalchemy import text

    for table in tables:
        conn.execute(text(f'REVOKE ALL ON "{table}" FROM {role}'))
    conn.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}"))
    for group in GROUPS:
        if group != LOGIN:
            conn.execute(text(f"REVOKE {group} FROM {role}"))
    conn.execute(text(f"GRANT {LOGIN} TO {role}"))


def login_prefix(conn: Connection) -> str:
    """What the database puts before a username to name the person's login role."""
    from sqlalchemy import text

    return str(conn.scalar(text("SELECT prefix FROM login_settings")))


def scram_verifier(conn: Connection, password: str, role: str) -> str:
    """The SCRAM-SHA-256 verifier of ``password``, made here so the server never sees it."""
    raw = conn.connection.driver_connection  # psycopg's connection
    verifier = raw.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
    return bytes(verifier).decode()


def accounts_without_password(engine: Engine) -> list[str] | None:
    """Usernames whose login has no password yet; ``None`` before revision 0011."""
    from sqlalchemy import text

    with engine.connect() as conn:
        if conn.scalar(text("SELECT to_regclass('login_settings')")) is None:
            return None
        return list(
            conn.scalars(
                text("SELECT username FROM staff_user WHERE NOT has_password ORDER BY username")
            )
        )
