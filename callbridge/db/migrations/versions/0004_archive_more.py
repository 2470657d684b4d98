"""archive: messages deleted from the platform after a verified archive

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import callbridge.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = callbridge.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("archived_messages") as batch:
        batch.add_column(sa.Column("platform_deleted_at", UTC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("archived_messages") as batch:
        batch.drop_column("platform_deleted_at")
