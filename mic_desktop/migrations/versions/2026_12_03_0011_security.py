"""per-person database logins, group roles, row-change audit, immutable records

Each staff account becomes a PostgreSQL login role (``<prefix><username>``, the prefix
being ``<database>_user_``), member of
the group role of its job (``mic_reception``, ``mic_radiologist``, ``mic_manager``, all
members of ``mic_staff``); the headless worker has ``mic_worker``; workstations reach
the login window through a ``mic_login`` role that can only check logins. A trigger
on ``staff_user`` keeps each login in step with its row (job, disabled, locked).
Passwords are checked by PostgreSQL (SCRAM); the Argon2id hashes are dropped, so
every person of a landed clinic needs a new password once (``mic-desktop user passwd``).

Row-change triggers write who changed patients, appointments, payments, reports and
staff into the audit log with the database's ``session_user``; payments, addenda,
report access, status history and signed reports cannot be changed.

The schema owner needs CREATEROLE for this revision and for staff management.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GROUPS = ("mic_staff", "mic_reception", "mic_radiologist", "mic_manager", "mic_worker", "mic_login")
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15

ROLES = """
DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY[{groups}] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', name);
        END IF;
    END LOOP;
END
$$;
GRANT mic_staff TO mic_reception, mic_radiologist, mic_manager;
"""

TABLES = """
CREATE TABLE login_settings (
    id integer PRIMARY KEY DEFAULT 1 CONSTRAINT ck_login_settings_single_row CHECK (id = 1),
    prefix varchar(40) NOT NULL
        CONSTRAINT ck_login_settings_prefix CHECK (prefix ~ '^[a-z][a-z0-9_]*$')
);
INSERT INTO login_settings (prefix)
VALUES (left(regexp_replace(lower(current_database()), '[^a-z0-9_]', '_', 'g'), 30) || '_user_');
ALTER TABLE staff_user ADD COLUMN db_role varchar(63);
CREATE UNIQUE INDEX uq_staff_user_db_role ON staff_user (db_role);
ALTER TABLE audit_log ADD COLUMN db_user text;
ALTER TABLE audit_log ALTER COLUMN db_user SET DEFAULT session_user;
ALTER TABLE audit_log ADD COLUMN txid bigint;
ALTER TABLE audit_log ALTER COLUMN txid SET DEFAULT txid_current();
CREATE INDEX ix_audit_log_txid ON audit_log (txid);
"""

DEFINER = "SECURITY DEFINER SET search_path = public, pg_temp"

FUNCTIONS = f"""
CREATE FUNCTION mic_login_role(username text) RETURNS text
LANGUAGE sql STABLE {DEFINER} AS $$
    SELECT prefix || lower(btrim(username)) FROM login_settings
$$;

CREATE FUNCTION mic_is_administrator() RETURNS boolean
LANGUAGE sql STABLE {DEFINER} AS $$
    SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = session_user
$$;

CREATE FUNCTION mic_current_staff_id() RETURNS integer
LANGUAGE sql STABLE {DEFINER} AS $$
    SELECT id FROM staff_user WHERE db_role = session_user
$$;

CREATE FUNCTION mic_staff_login_sync() RETURNS trigger
LANGUAGE plpgsql {DEFINER} AS $$
DECLARE
    wanted text := mic_login_role(NEW.username);
    job text := 'mic_' || NEW.role;
    other text;
    blocked boolean := NOT NEW.is_active
        OR (NEW.locked_until IS NOT NULL AND NEW.locked_until > now());
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.db_role = wanted AND NEW.db_role = wanted
            AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted)
            AND (NEW.role, NEW.is_active, NEW.locked_until, NEW.has_password)
                IS NOT DISTINCT FROM
                (OLD.role, OLD.is_active, OLD.locked_until, OLD.has_password) THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.db_role IS NOT NULL AND OLD.db_role <> wanted
            AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = OLD.db_role) THEN
        EXECUTE format('ALTER ROLE %I RENAME TO %I', OLD.db_role, wanted);
    ELSIF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted) THEN
        EXECUTE format('CREATE ROLE %I LOGIN INHERIT VALID UNTIL %L', wanted, 'epoch');
    ELSIF wanted = ANY (ARRAY['mic_staff', 'mic_reception', 'mic_radiologist', 'mic_manager',
                               'mic_worker', 'mic_login'])
            OR NOT EXISTS (SELECT 1 FROM staff_user WHERE id = NEW.id AND db_role = wanted) THEN
        -- Never take over a role this database did not make for this person.
        RAISE EXCEPTION 'The server already has a role named %: choose another username', wanted
            USING ERRCODE = 'duplicate_object';
    END IF;
    NEW.db_role := wanted;
    FOREACH other IN ARRAY ARRAY['mic_reception', 'mic_radiologist', 'mic_manager'] LOOP
        IF other <> job AND EXISTS (
            SELECT 1 FROM pg_auth_members m
            JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
            WHERE g.rolname = other AND u.rolname = wanted
        ) THEN
            EXECUTE format('REVOKE %I FROM %I', other, wanted);
        END IF;
    END LOOP;
    IF NOT EXISTS (
        SELECT 1 FROM pg_auth_members m
        JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
        WHERE g.rolname = job AND u.rolname = wanted
    ) THEN
        EXECUTE format('GRANT %I TO %I', job, wanted);
    END IF;
    -- An expired password fails like a wrong one, so a locked or disabled account
    -- never tells whether the password typed was right.
    EXECUTE format(
        'ALTER ROLE %I %s VALID UNTIL %L',
        wanted,
        CASE WHEN NEW.is_active THEN 'LOGIN' ELSE 'NOLOGIN' END,
        CASE WHEN blocked OR NOT NEW.has_password THEN 'epoch' ELSE 'infinity' END
    );
    RETURN NEW;
END
$$;

CREATE FUNCTION mic_set_login_password(staff integer, verifier text, must_change boolean)
RETURNS void LANGUAGE plpgsql {DEFINER} AS $$
DECLARE
    login text;
BEGIN
    IF NOT (pg_has_role(session_user, 'mic_manager', 'MEMBER') OR mic_is_administrator()) THEN
        RAISE EXCEPTION 'Only a manager may set another person''s password'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
        RAISE EXCEPTION 'A password is set as a SCRAM verifier, never as plain text'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A database restored on another server has its people but not their logins:
    -- touching the row makes the login again.
    UPDATE staff_user SET db_role = NULL WHERE id = staff
    RETURNING db_role INTO login;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'No staff account %', staff USING ERRCODE = 'no_data_found';
    END IF;
    EXECUTE format('ALTER ROLE %I PASSWORD %L', login, verifier);
    UPDATE staff_user
    SET has_password = true, must_change_password = must_change,
        failed_logins = 0, locked_until = NULL
    WHERE id = staff;
END
$$;

CREATE FUNCTION mic_change_own_password(verifier text) RETURNS integer
LANGUAGE plpgsql {DEFINER} AS $$
DECLARE
    staff integer := mic_current_staff_id();
BEGIN
    IF staff IS NULL THEN
        RAISE EXCEPTION 'This login is not a staff account' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
        RAISE EXCEPTION 'A password is set as a SCRAM verifier, never as plain text'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('ALTER ROLE %I PASSWORD %L', session_user, verifier);
    UPDATE staff_user SET must_change_password = false WHERE id = staff;
    RETURN staff;
END
$$;

CREATE FUNCTION mic_has_staff() RETURNS boolean
LANGUAGE sql STABLE {DEFINER} AS $$
    SELECT EXISTS (SELECT 1 FROM staff_user)
$$;

CREATE FUNCTION mic_login_check(username text) RETURNS void
LANGUAGE plpgsql {DEFINER} AS $$
BEGIN
    UPDATE staff_user SET locked_until = NULL, failed_logins = 0
    WHERE lower(staff_user.username) = lower(btrim(mic_login_check.username))
      AND locked_until IS NOT NULL AND locked_until <= now();
END
$$;

CREATE FUNCTION mic_login_failed(username text, workstation text, path text) RETURNS text
LANGUAGE plpgsql {DEFINER} AS $$
DECLARE
    account staff_user%ROWTYPE;
    failures integer;
    action text := CASE path WHEN 'unlock' THEN 'unlock_failed'
        WHEN 'authorisation' THEN 'authorisation_failed' ELSE 'login_failed' END;
    place text := left(workstation, 64);
BEGIN
    SELECT * INTO account FROM staff_user
    WHERE lower(staff_user.username) = lower(btrim(mic_login_failed.username)) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO audit_log (action, entity, details, workstation)
        VALUES (action, 'staff_user',
                jsonb_build_object('reason', 'unknown user', 'path', path), place);
        RETURN 'failed';
    END IF;
    IF account.locked_until IS NOT NULL AND account.locked_until > now() THEN
        INSERT INTO audit_log (action, staff_id, username, entity, entity_id, details, workstation)
        VALUES ('login_refused_locked', account.id, account.username, 'staff_user',
                account.id::text, jsonb_build_object('path', path), place);
        RETURN 'locked:' || ceil(extract(epoch FROM account.locked_until - now()) / 60)::int;
    END IF;
    IF NOT account.is_active THEN
        INSERT INTO audit_log (action, staff_id, username, entity, entity_id, details, workstation)
        VALUES ('login_refused_disabled', account.id, account.username, 'staff_user',
                account.id::text, jsonb_build_object('path', path), place);
        RETURN 'failed';
    END IF;
    failures := account.failed_logins + 1;
    INSERT INTO audit_log (action, staff_id, username, entity, entity_id, details, workstation)
    VALUES (action, account.id, account.username, 'staff_user', account.id::text,
            jsonb_build_object('failures', failures, 'path', path), place);
    IF failures >= {MAX_FAILED_LOGINS} THEN
        UPDATE staff_user
        SET failed_logins = 0, locked_until = now() + interval '{LOCK_MINUTES} minutes'
        WHERE id = account.id;
        INSERT INTO audit_log (action, staff_id, username, entity, entity_id, details, workstation)
        VALUES ('account_locked', account.id, account.username, 'staff_user', account.id::text,
                jsonb_build_object('failures', failures, 'path', path), place);
        RETURN 'locked:{LOCK_MINUTES}';
    END IF;
    UPDATE staff_user SET failed_logins = failures WHERE id = account.id;
    RETURN 'failed';
END
$$;

CREATE FUNCTION mic_login_succeeded(workstation text, path text) RETURNS integer
LANGUAGE plpgsql {DEFINER} AS $$
DECLARE
    account staff_user%ROWTYPE;
    action text := CASE path WHEN 'unlock' THEN 'unlock'
        WHEN 'authorisation' THEN 'authorisation_given' ELSE 'login' END;
BEGIN
    SELECT * INTO account FROM staff_user WHERE db_role = session_user FOR UPDATE;
    IF NOT FOUND OR NOT account.is_active THEN
        RAISE EXCEPTION 'This login is not an active staff account'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE staff_user
    SET failed_logins = 0,
        last_login_at = CASE WHEN path = 'login' THEN now() ELSE last_login_at END
    WHERE id = account.id;
    INSERT INTO audit_log (action, staff_id, username, entity, entity_id, details, workstation)
    VALUES (action, account.id, account.username, 'staff_user', account.id::text,
            CASE WHEN path = 'login' THEN '{{}}'::jsonb
                 ELSE jsonb_build_object('path', path) END,
            left(workstation, 64));
    RETURN account.id;
END
$$;

CREATE FUNCTION mic_audit_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.db_user := session_user;
    NEW.txid := txid_current();
    IF NEW.workstation IS NULL THEN
        NEW.workstation := left(nullif(current_setting('mic.workstation', true), ''), 64);
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION mic_audit_row() RETURNS trigger
LANGUAGE plpgsql {DEFINER} AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    old_values jsonb := '{{}}';
    new_values jsonb := '{{}}';
    column_name text;
    actor staff_user%ROWTYPE;
BEGIN
    IF current_setting('mic.bulk_load', true) = 'on' AND pg_has_role(
            session_user, (SELECT relowner FROM pg_class WHERE oid = 'audit_log'::regclass),
            'MEMBER') THEN
        RETURN NULL;  -- the demo loader, as the schema owner (who could drop the trigger)
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_row := to_jsonb(OLD) - 'content' - 'logo_png';
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_row := to_jsonb(NEW) - 'content' - 'logo_png';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        FOR column_name IN SELECT jsonb_object_keys(new_row) LOOP
            IF column_name NOT IN ('version', 'updated_at', 'last_login_at', 'failed_logins')
                    AND new_row -> column_name IS DISTINCT FROM old_row -> column_name THEN
                old_values := old_values || jsonb_build_object(column_name, old_row -> column_name);
                new_values := new_values || jsonb_build_object(column_name, new_row -> column_name);
            END IF;
        END LOOP;
        IF new_values = '{{}}' THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        new_values := new_row;
    ELSE
        old_values := old_row;
    END IF;
    SELECT * INTO actor FROM staff_user WHERE db_role = session_user;
    INSERT INTO audit_log (action, staff_id, username, entity, entity_id, details)
    VALUES ('row.' || lower(TG_OP), actor.id, actor.username, TG_TABLE_NAME,
            coalesce(new_row, old_row) ->> 'id',
            jsonb_build_object('before', old_values, 'after', new_values));
    RETURN NULL;
END
$$;

CREATE FUNCTION mic_refuse_record_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are kept as written: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION mic_protect_signed_report() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('completed', 'reviewed') THEN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'A signed report is never deleted'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.status NOT IN ('completed', 'reviewed')
                OR (NEW.appointment_id, NEW.findings, NEW.impression, NEW.finalised_at,
                    NEW.finalised_by_id, NEW.signed_name, NEW.radiologist_id)
                   IS DISTINCT FROM
                   (OLD.appointment_id, OLD.findings, OLD.impression, OLD.finalised_at,
                    OLD.finalised_by_id, OLD.signed_name, OLD.radiologist_id) THEN
            RAISE EXCEPTION 'A signed report is not changed: add an addendum'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION mic_check_cancellation_authorisation() RETURNS trigger
LANGUAGE plpgsql {DEFINER} AS $$
BEGIN
    IF NEW.cancellation_authorised_by_id IS NOT NULL
            AND NEW.cancellation_authorised_by_id IS DISTINCT FROM OLD.cancellation_authorised_by_id
            AND NOT pg_has_role(session_user,
                (SELECT relowner FROM pg_class WHERE oid = 'appointment'::regclass), 'MEMBER')
            AND NOT EXISTS (
                SELECT 1 FROM audit_log a JOIN staff_user s ON s.db_role = a.db_user
                WHERE a.action = 'authorisation_given'
                  AND s.id = NEW.cancellation_authorised_by_id AND s.role = 'manager'
                  AND a.at > now() - interval '10 minutes') THEN
        -- Only the manager's own login writes 'authorisation_given' (mic_login_succeeded).
        RAISE EXCEPTION 'A late cancellation needs a manager''s authorisation, given just now'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION mic_protect_report_document() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM report WHERE id = OLD.report_id
                   AND status IN ('completed', 'reviewed')) THEN
            RAISE EXCEPTION 'The documents of a signed report are never deleted'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF (NEW.report_id, NEW.addendum_id, NEW.filename, NEW.source, NEW.content, NEW.size_bytes,
        NEW.sha256, NEW.uploaded_by_id, NEW.uploaded_at)
       IS DISTINCT FROM
       (OLD.report_id, OLD.addendum_id, OLD.filename, OLD.source, OLD.content, OLD.size_bytes,
        OLD.sha256, OLD.uploaded_by_id, OLD.uploaded_at) THEN
        RAISE EXCEPTION 'A stored report document is kept as it was stored'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
"""

AUDITED_TABLES = (
    "patient",
    "appointment",
    "payment",
    "medical_aid_claim",
    "report",
    "report_addendum",
    "report_document",
    "critical_finding",
    "staff_user",
    "scan_type_price",
)
KEPT_AS_WRITTEN = (
    "payment",
    "report_addendum",
    "report_access_log",
    "appointment_status_change",
)
DEFINER_FUNCTIONS = (
    "mic_login_role(text)",
    "mic_is_administrator()",
    "mic_current_staff_id()",
    "mic_set_login_password(integer, text, boolean)",
    "mic_change_own_password(text)",
    "mic_has_staff()",
    "mic_login_check(text)",
    "mic_login_failed(text, text, text)",
    "mic_login_succeeded(text, text)",
)


def _check_owner_may_create_roles() -> None:
    bind = op.get_bind()
    owner, allowed = bind.execute(
        sa.text("SELECT current_user, rolsuper OR rolcreaterole FROM pg_roles "
                "WHERE rolname = current_user")
    ).one()
    if not allowed:
        raise RuntimeError(
            "MIC Desktop now gives each person their own database login, so the schema "
            f"owner must be allowed to create roles. As a superuser, run once:\n"
            f"    ALTER ROLE {owner} CREATEROLE;\n"
            "then run `mic-desktop db upgrade` again."
        )


def upgrade() -> None:
    _check_owner_may_create_roles()
    op.execute(ROLES.format(groups=", ".join(f"'{group}'" for group in GROUPS)))
    op.execute(TABLES)
    op.execute("ALTER TABLE staff_user ADD COLUMN has_password boolean NOT NULL DEFAULT false")
    op.execute(FUNCTIONS)
    for function in DEFINER_FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    op.execute(
        "CREATE TRIGGER staff_user_login BEFORE INSERT OR UPDATE ON staff_user "
        "FOR EACH ROW EXECUTE FUNCTION mic_staff_login_sync()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_stamp BEFORE INSERT ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION mic_audit_stamp()"
    )
    for table in AUDITED_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_audit AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION mic_audit_row()"
        )
    for table in KEPT_AS_WRITTEN:
        op.execute(
            f"CREATE TRIGGER {table}_kept BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION mic_refuse_record_change()"
        )
    op.execute(
        "CREATE TRIGGER report_signed BEFORE UPDATE OR DELETE ON report "
        "FOR EACH ROW EXECUTE FUNCTION mic_protect_signed_report()"
    )
    op.execute(
        "CREATE TRIGGER report_document_kept BEFORE UPDATE OR DELETE ON report_document "
        "FOR EACH ROW EXECUTE FUNCTION mic_protect_report_document()"
    )
    op.execute(
        "CREATE TRIGGER appointment_authorisation BEFORE UPDATE OF cancellation_authorised_by_id"
        " ON appointment FOR EACH ROW EXECUTE FUNCTION mic_check_cancellation_authorisation()"
    )
    # The roll-up triggers write the analytics tables for whoever changed the data.
    op.execute("""
        DO $$
        DECLARE f regprocedure;
        BEGIN
            FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = 'public' AND p.proname LIKE 'mic\\_analytics\\_%'
            LOOP
                EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = public, pg_temp', f);
            END LOOP;
        END
        $$
    """)
    # A landed clinic's people get their logins now, without a password until the
    # administrator sets one (`mic-desktop user passwd NAME`).
    op.execute("ALTER TABLE staff_user DROP COLUMN password_hash")
    op.execute("UPDATE staff_user SET must_change_password = true")


def downgrade() -> None:
    op.execute("ALTER TABLE staff_user ADD COLUMN password_hash varchar(255) NOT NULL DEFAULT ''")
    op.execute("DROP TRIGGER appointment_authorisation ON appointment")
    op.execute("DROP TRIGGER report_document_kept ON report_document")
    op.execute("DROP TRIGGER report_signed ON report")
    for table in KEPT_AS_WRITTEN:
        op.execute(f"DROP TRIGGER {table}_kept ON {table}")
    for table in AUDITED_TABLES:
        op.execute(f"DROP TRIGGER {table}_audit ON {table}")
    op.execute("DROP TRIGGER audit_log_stamp ON audit_log")
    op.execute("DROP TRIGGER staff_user_login ON staff_user")
    for function in (
        *DEFINER_FUNCTIONS,
        "mic_staff_login_sync()",
        "mic_audit_stamp()",
        "mic_audit_row()",
        "mic_refuse_record_change()",
        "mic_protect_signed_report()",
        "mic_protect_report_document()",
        "mic_check_cancellation_authorisation()",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.execute("ALTER TABLE staff_user DROP COLUMN has_password")
    op.execute("DROP INDEX ix_audit_log_txid")
    op.execute("ALTER TABLE audit_log DROP COLUMN txid")
    op.execute("ALTER TABLE audit_log DROP COLUMN db_user")
    op.execute("DROP INDEX uq_staff_user_db_role")
    op.execute("ALTER TABLE staff_user DROP COLUMN db_role")
    op.execute("DROP TABLE login_settings")
    # The group roles and the people's logins are cluster-wide: they stay.
