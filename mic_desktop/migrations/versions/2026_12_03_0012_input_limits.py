"""text limits and safe attachments: addresses, notes, comments and reasons have a length limit

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 11:00:00

Each limit is a CHECK constraint added NOT VALID (new and changed rows are checked
at once, without scanning the table under a lock), then validated when no existing
row is longer. A clinic whose database already holds a longer text keeps the
constraint NOT VALID and is told which (a warning in the upgrade's log): nothing is
cut and the text stays readable, but such a row is saved again only once that text is
shortened.
The limits are the services' (mic_desktop.services.text_checks), repeated here
because a migration must not change when the code does.
"""

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
log = logging.getLogger("alembic.runtime.migration")

ADDRESS_MAX = 500
NOTES_MAX = 2000
LIMITS = (
    ("patient", "address", ADDRESS_MAX),
    ("clinic_settings", "address", ADDRESS_MAX),
    ("appointment", "clinical_notes", NOTES_MAX),
    ("appointment", "cancellation_reason", NOTES_MAX),
    ("appointment_status_change", "reason", NOTES_MAX),
    ("payment", "refund_reason", NOTES_MAX),
    ("medical_aid_claim", "notes", NOTES_MAX),
    ("patient_feedback", "comments", NOTES_MAX),
)


def constraint_name(table: str, column: str) -> str:
    return f"ck_{table}_{column}_length"


def upgrade() -> None:
    bind = op.get_bind()
    for table, column, limit in LIMITS:
        name = constraint_name(table, column)
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} "
            f"CHECK (char_length({column}) <= {limit}) NOT VALID"
        )
        longer = bind.execute(
            text(f"SELECT count(*) FROM {table} WHERE char_length({column}) > {limit}")
        ).scalar_one()
        if longer:
            log.warning(
                "%d row(s) of %s.%s are longer than %d characters and were kept as they are; "
                "such a row can be saved again only once that text is shortened "
                "(constraint %s stays NOT VALID).",
                longer,
                table,
                column,
                limit,
                name,
            )
        else:
            op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def downgrade() -> None:
    for table, column, _limit in reversed(LIMITS):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint_name(table, column)}")
