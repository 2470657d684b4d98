"""privacy: deletion requests and receipts, support sessions

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import callbridge.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = callbridge.db.base.UTCDateTime(timezone=True)


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organization_id"],
        ["organizations.id"],
        name=op.f(f"fk_{table}_organization_id_organizations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "deletion_requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("cancelled_at", UTC, nullable=True),
        sa.Column("cancelled_by", sa.String(length=32), nullable=True),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        _org_fk("deletion_requests"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_requests")),
    )
    with op.batch_alter_table("deletion_requests") as batch:
        batch.create_index(batch.f("ix_deletion_requests_organization_id"), ["organization_id"], unique=False)
    op.create_table(
        "deletion_receipts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("organization_ref", sa.String(length=64), nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("executed_at", UTC, nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_receipts")),
    )
    with op.batch_alter_table("deletion_receipts") as batch:
        batch.create_index(
            batch.f("ix_deletion_receipts_organization_ref"), ["organization_ref"], unique=False
        )
    op.create_table(
        "support_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("consented_by", sa.String(length=32), nullable=False),
        sa.Column("consent_text", sa.String(length=500), nullable=False),
        sa.Column("bundle", sa.JSON(), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        _org_fk("support_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_sessions")),
    )
    with op.batch_alter_table("support_sessions") as batch:
        batch.create_index(batch.f("ix_support_sessions_expires_at"), ["expires_at"], unique=False)
        batch.create_index(batch.f("ix_support_sessions_organization_id"), ["organization_id"], unique=False)


def downgrade() -> None:
    op.drop_table("support_sessions")
    op.drop_table("deletion_receipts")
    op.drop_table("deletion_requests")
