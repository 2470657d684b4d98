"""ingest: webhook inbox, merged communications, webhook subscriptions, sync cursors

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import callbridge.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "communications",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner_ref", sa.String(length=64), nullable=True),
        sa.Column("started_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_communications_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communications")),
        sa.UniqueConstraint("organization_id", "key", name=op.f("uq_communications_organization_id")),
    )
    with op.batch_alter_table("communications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_communications_kind"), ["kind"], unique=False)
        batch_op.create_index(
            "ix_communications_org_started", ["organization_id", "started_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_communications_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_communications_owner_ref"), ["owner_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_communications_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "inbox_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("event_path", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("body_bytes", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("received_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inbox_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_events")),
        sa.UniqueConstraint("organization_id", "dedupe_key", name=op.f("uq_inbox_events_organization_id")),
    )
    with op.batch_alter_table("inbox_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_events_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index("ix_inbox_events_status_received", ["status", "received_at"], unique=False)

    op.create_table(
        "ingest_cursors",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("connection", sa.String(length=64), nullable=False),
        sa.Column("dataset", sa.String(length=32), nullable=False),
        sa.Column("position", callbridge.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ingest_cursors_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_cursors")),
        sa.UniqueConstraint(
            "organization_id", "connection", "dataset", name=op.f("uq_ingest_cursors_organization_id")
        ),
    )
    with op.batch_alter_table("ingest_cursors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ingest_cursors_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("connection", sa.String(length=64), nullable=False),
        sa.Column("route_key", sa.String(length=64), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_webhook_subscriptions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
        sa.UniqueConstraint("route_key", name=op.f("uq_webhook_subscriptions_route_key")),
    )
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_subscriptions_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_subscriptions_organization_id"))

    op.drop_table("webhook_subscriptions")
    with op.batch_alter_table("ingest_cursors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_cursors_organization_id"))

    op.drop_table("ingest_cursors")
    with op.batch_alter_table("inbox_events", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_events_status_received")
        batch_op.drop_index(batch_op.f("ix_inbox_events_organization_id"))

    op.drop_table("inbox_events")
    with op.batch_alter_table("communications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_communications_updated_at"))
        batch_op.drop_index(batch_op.f("ix_communications_owner_ref"))
        batch_op.drop_index(batch_op.f("ix_communications_organization_id"))
        batch_op.drop_index("ix_communications_org_started")
        batch_op.drop_index(batch_op.f("ix_communications_kind"))

    op.drop_table("communications")
