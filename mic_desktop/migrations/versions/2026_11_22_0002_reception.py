"""reception: patient search indexes and booking/payment additions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 13:20:00

Search-as-you-type over 100,000 patients needs indexes on normalised text:

- ``mic_unaccent(text)``: an IMMUTABLE wrapper around unaccent (which is only
  STABLE because its dictionary could change, so it cannot be indexed directly);
- ``mic_search_key(text)``: lower case, accents removed, apostrophes dropped,
  spaces and ASCII punctuation folded to one space ("O'Brien-Núñez" -> "obrien nunez");
- ``mic_patient_name_key(first, last)``: the searchable name, padded with spaces
  so that "% mo%" finds a word starting with "mo"; stored in the generated column
  ``patient.name_key`` with a trigram GIN index;
- ``mic_id_key(text)``: upper-case letters and digits only, for national IDs and
  medical-aid member numbers typed with or without dashes and spaces.

Prefix look-ups (MRN, phone, IDs) use btree indexes with the pattern operator
classes, queried as a byte-wise range (``~>=~ prefix AND ~<~ next prefix``) that,
unlike ``LIKE 'prefix%'``, uses the index with bound parameters and prepared
statements too; phone fragments use a trigram index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FUNCTIONS = (
    """
    CREATE FUNCTION mic_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
    """,
    """
    CREATE FUNCTION mic_search_key(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
        SELECT btrim(regexp_replace(
            regexp_replace(lower(public.mic_unaccent($1)), '[''`´‘’ʼ]', '', 'g'),
            '[[:space:]!-/:-@[-`{-~]+', ' ', 'g'))
    $$
    """,
    """
    CREATE FUNCTION mic_patient_name_key(text, text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT ' ' || public.mic_search_key($1 || ' ' || $2) || ' ' $$
    """,
    """
    CREATE FUNCTION mic_id_key(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT upper(regexp_replace($1, '[^A-Za-z0-9]+', '', 'g')) $$
    """,
)

INDEXES = (
    (
        "ix_patient_name_trgm",
        "CREATE INDEX ix_patient_name_trgm ON patient USING gin (name_key gin_trgm_ops)",
    ),
    (
        "ix_patient_phone_trgm",
        "CREATE INDEX ix_patient_phone_trgm ON patient USING gin (phone gin_trgm_ops)",
    ),
    (
        "ix_patient_phone_prefix",
        "CREATE INDEX ix_patient_phone_prefix ON patient (phone varchar_pattern_ops)",
    ),
    (
        "ix_patient_mrn_prefix",
        "CREATE INDEX ix_patient_mrn_prefix ON patient (mrn varchar_pattern_ops)",
    ),
    (
        "ix_patient_national_id_key",
        "CREATE INDEX ix_patient_national_id_key ON patient "
        "(mic_id_key(national_id) text_pattern_ops)",
    ),
    (
        "ix_patient_member_number_key",
        "CREATE INDEX ix_patient_member_number_key ON patient "
        "(mic_id_key(medical_aid_member_number) text_pattern_ops)",
    ),
    (
        "ix_patient_name_dob",
        "CREATE INDEX ix_patient_name_dob ON patient "
        "(date_of_birth, mic_search_key(last_name), mic_search_key(first_name))",
    ),
)


def upgrade() -> None:
    connection = op.get_bind()
    for statement in FUNCTIONS:
        # Straight to the driver: text() would read "[:space:]" as a bind parameter.
        connection.exec_driver_sql(statement)
    # Stored, so a search re-checks trigram hits without recomputing the key per row.
    op.execute(
        "ALTER TABLE patient ADD COLUMN name_key text "
        "GENERATED ALWAYS AS (mic_patient_name_key(first_name, last_name)) STORED"
    )
    for _name, statement in INDEXES:
        op.execute(statement)
    op.create_index(
        "ix_appointment_radiologist_start",
        "appointment",
        ["radiologist_id", "start_at"],
        unique=False,
    )
    op.create_index(op.f("ix_payment_refund_of_id"), "payment", ["refund_of_id"], unique=False)
    op.execute(
        "INSERT INTO document_counter (name, next_value) "
        "VALUES ('appointment', 1), ('receipt', 1) ON CONFLICT (name) DO NOTHING"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_refund_of_id"), table_name="payment")
    op.drop_index("ix_appointment_radiologist_start", table_name="appointment")
    for name, _statement in reversed(INDEXES):
        op.execute(f"DROP INDEX {name}")
    op.drop_column("patient", "name_key")
    for function in (
        "mic_id_key(text)",
        "mic_patient_name_key(text, text)",
        "mic_search_key(text)",
        "mic_unaccent(text)",
    ):
        op.execute(f"DROP FUNCTION {function}")
