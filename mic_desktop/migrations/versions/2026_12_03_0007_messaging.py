"""messaging: e-mail in doubt, lease renewal

A message whose request may have reached the provider is never sent again
blindly. ``in_flight`` marks the attempt whose provider call has begun (set just
before the call, cleared with the outcome): a row still ``sending`` with it set
after its lease ran out is looked up at Twilio (SMS) or shown to reception as
``unknown`` (e-mail). ``claim_token`` names one claim, so a dispatcher only
records outcomes on, and renews the lease of, the claim it holds.
``provider_message_id`` widens to hold an e-mail's whole Message-ID, fixed at the
first attempt and kept by every resend. Reception's problem list now includes
e-mails in doubt, so its index follows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROBLEM_BEFORE = "status = 'failed' OR delivery_status IN ('undelivered', 'failed')"
PROBLEM_AFTER = (
    "status = 'failed' OR delivery_status IN ('undelivered', 'failed') "
    "OR (status = 'unknown' AND channel = 'email')"
)


def _problem_index(predicate: str) -> None:
    op.drop_index("ix_outbox_message_problem", table_name="outbox_message")
    op.create_index(
        "ix_outbox_message_problem",
        "outbox_message",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text(predicate),
    )


def upgrade() -> None:
    op.add_column(
        "outbox_message",
        sa.Column("in_flight", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("outbox_message", sa.Column("claim_token", sa.String(length=32), nullable=True))
    op.alter_column(
        "outbox_message",
        "provider_message_id",
        type_=sa.String(length=255),
        existing_type=sa.String(length=64),
        existing_nullable=True,
    )
    # Rows a dispatcher of the previous version held: their request may have gone out.
    op.execute(
        "UPDATE outbox_message SET in_flight = true "
        "WHERE status = 'sending' AND last_attempt_at IS NOT NULL"
    )
    _problem_index(PROBLEM_AFTER)


def downgrade() -> None:
    _problem_index(PROBLEM_BEFORE)
    # The previous version resent e-mails in doubt; keep them in front of a person.
    op.execute(
        "UPDATE outbox_message SET status = 'failed', last_error = 'May have been sent "
        "(the mail server did not confirm it); check with the recipient before resending.' "
        "WHERE status = 'unknown' AND channel = 'email'"
    )
    op.alter_column(
        "outbox_message",
        "provider_message_id",
        type_=sa.String(length=64),
        existing_type=sa.String(length=255),
        existing_nullable=True,
        postgresql_using="left(provider_message_id, 64)",
    )
    op.drop_column("outbox_message", "claim_token")
    op.drop_column("outbox_message", "in_flight")
