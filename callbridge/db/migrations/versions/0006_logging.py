"""logging: CRM connections, one activity row per connection and communication, preferences

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import callbridge.db.base

revision: str = "0006"
down_revision: str | None = "0005"
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
        "crm_connections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("connector", sa.String(length=64), nullable=False),
        sa.Column("owner_ref", sa.String(length=64), nullable=True),
        sa.Column("status", sa.Enum("active", "paused", name="connectionstatus", native_enum=False,
                                    length=16), nullable=False),
        sa.Column("paused_reason", sa.String(length=1000), nullable=True),
        sa.Column("paused_at", UTC, nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("credential_purpose", sa.String(length=64), nullable=False),
        sa.Column("user_map", sa.JSON(), nullable=False),
        sa.Column("last_success_at", UTC, nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("last_error_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        _org_fk("crm_connections"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_connections")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_crm_connections_organization_id")),
    )
    with op.batch_alter_table("crm_connections") as batch:
        batch.create_index(batch.f("ix_crm_connections_organization_id"), ["organization_id"], unique=False)
    op.create_table(
        "crm_activities",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("communication_key", sa.String(length=300), nullable=False),
        sa.Column("communication_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.Enum("reserved", "creating", "created", "ambiguous", "waiting", "skipped",
                                    "failed", name="activitystatus", native_enum=False, length=16),
                  nullable=False),
        sa.Column("marker", sa.String(length=64), nullable=False),
        sa.Column("crm_activity_id", sa.String(length=128), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("contact_id", sa.String(length=128), nullable=True),
        sa.Column("contact_type", sa.String(length=64), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("disposition", sa.String(length=255), nullable=True),
        sa.Column("last_written", sa.JSON(), nullable=False),
        sa.Column("last_written_body", sa.Text(), nullable=True),
        sa.Column("desired_hash", sa.String(length=64), nullable=True),
        sa.Column("needs_sync", sa.Boolean(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UTC, nullable=True),
        sa.Column("create_started_at", UTC, nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("synced_at", UTC, nullable=True),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["crm_connections.id"],
                                name=op.f("fk_crm_activities_connection_id_crm_connections"),
                                ondelete="CASCADE"),
        _org_fk("crm_activities"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_activities")),
        sa.UniqueConstraint("organization_id", "connection_id", "communication_key",
                            name=op.f("uq_crm_activities_organization_id")),
    )
    with op.batch_alter_table("crm_activities") as batch:
        batch.create_index(batch.f("ix_crm_activities_organization_id"), ["organization_id"], unique=False)
        batch.create_index(batch.f("ix_crm_activities_connection_id"), ["connection_id"], unique=False)
        batch.create_index(batch.f("ix_crm_activities_communication_id"), ["communication_id"], unique=False)
        batch.create_index(batch.f("ix_crm_activities_status"), ["status"], unique=False)
        batch.create_index(batch.f("ix_crm_activities_needs_sync"), ["needs_sync"], unique=False)
    op.create_table(
        "logging_preferences",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        _org_fk("logging_preferences"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logging_preferences")),
        sa.UniqueConstraint("organization_id", "scope", name=op.f("uq_logging_preferences_organization_id")),
    )
    with op.batch_alter_table("logging_preferences") as batch:
        batch.create_index(batch.f("ix_logging_preferences_organization_id"), ["organization_id"],
                           unique=False)


def downgrade() -> None:
    op.drop_table("logging_preferences")
    op.drop_table("crm_activities")
    op.drop_table("crm_connections")
