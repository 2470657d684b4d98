"""logging: placeholder contacts reserved before they are created

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import callbridge.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "placeholder_contacts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("phone_ref", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.String(length=128), nullable=True),
        sa.Column("contact_type", sa.String(length=64), nullable=True),
        sa.Column("reserved_at", callbridge.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["crm_connections.id"],
            name=op.f("fk_placeholder_contacts_connection_id_crm_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_placeholder_contacts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placeholder_contacts")),
        sa.UniqueConstraint(
            "organization_id",
            "connection_id",
            "phone_ref",
            name=op.f("uq_placeholder_contacts_organization_id"),
        ),
    )
    with op.batch_alter_table("placeholder_contacts") as batch:
        batch.create_index(batch.f("ix_placeholder_contacts_connection_id"), ["connection_id"], unique=False)
        batch.create_index(
            batch.f("ix_placeholder_contacts_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("placeholder_contacts")
