"""extension directory; CRM user mapping time; chosen SMS conversations

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import callbridge.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "extension_directory",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("connection", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("extension_type", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("has_email", sa.Boolean(), nullable=False),
        sa.Column("synced_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_extension_directory_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_directory")),
        sa.UniqueConstraint(
            "organization_id", "connection", "ref", name=op.f("uq_extension_directory_organization_id")
        ),
    )
    with op.batch_alter_table("extension_directory") as batch:
        batch.create_index(batch.f("ix_extension_directory_organization_id"), ["organization_id"], unique=False)
        batch.create_index(batch.f("ix_extension_directory_ref"), ["ref"], unique=False)

    op.create_table(
        "chosen_conversations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("phone_ref", sa.String(length=64), nullable=False),
        sa.Column("created_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_chosen_conversations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chosen_conversations")),
        sa.UniqueConstraint(
            "organization_id", "scope", "phone_ref", name=op.f("uq_chosen_conversations_organization_id")
        ),
    )
    with op.batch_alter_table("chosen_conversations") as batch:
        batch.create_index(
            batch.f("ix_chosen_conversations_organization_id"), ["organization_id"], unique=False
        )

    with op.batch_alter_table("crm_connections") as batch:
        batch.add_column(
            sa.Column("users_mapped_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("crm_connections") as batch:
        batch.drop_column("users_mapped_at")
    op.drop_table("chosen_conversations")
    op.drop_table("extension_directory")
