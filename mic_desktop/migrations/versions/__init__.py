"""Alembic revisions of the clinic schema, oldest first by file name."""
