"""The tables every app's schema has, for its migrations: the outbox and the dedupe records.

The models share them through `OutboxMixin` and `ProcessedEventMixin`; each app's
first migration creates them with these helpers, in its own schema. A helper
here describes the tables as that first revision made them: a later change to
either table is a new revision of each app, never an edit here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from functions.shared.db import UTCDateTime


def create_outbox(schema: str) -> None:
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("partition_key", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema=schema,
    )
    op.create_index(
        f"ix_{schema}_outbox_pending", "outbox", ["published_at", "id"], unique=False, schema=schema
    )


def drop_outbox(schema: str) -> None:
    op.drop_index(f"ix_{schema}_outbox_pending", table_name="outbox", schema=schema)
    op.drop_table("outbox", schema=schema)


def create_processed_events(schema: str) -> None:
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
        schema=schema,
    )


def drop_processed_events(schema: str) -> None:
    op.drop_table("processed_events", schema=schema)
