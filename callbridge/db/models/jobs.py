"""Work as data: every pending piece of work is a row with status, attempts and a due time."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped

from callbridge.db.base import Base, SystemOrTenantOwned, col, new_id


class JobStatus(enum.StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    dead = "dead"


class Job(SystemOrTenantOwned, Base):
    """One piece of background work: payload of ids, attempts, and when it is next due."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "next_attempt_at"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    kind: Mapped[str] = col(String(100), inventory="operational")
    idempotency_key: Mapped[str] = col(String(200), unique=True, inventory="operational")
    payload: Mapped[dict[str, Any]] = col(JSON, default=dict, inventory="operational")
    status: Mapped[JobStatus] = col(
        Enum(JobStatus, native_enum=False, length=16, validate_strings=True),
        default=JobStatus.pending,
        inventory="operational",
    )
    attempts: Mapped[int] = col(Integer, default=0, inventory="operational")
    max_attempts: Mapped[int] = col(Integer, inventory="operational")
    next_attempt_at: Mapped[datetime] = col(inventory="operational")
    lease_owner: Mapped[str | None] = col(String(100), nullable=True, inventory="operational")
    lease_until: Mapped[datetime | None] = col(nullable=True, inventory="operational")
    last_error: Mapped[str | None] = col(Text, nullable=True, inventory="operational")
    created_at: Mapped[datetime] = col(inventory="operational")
    updated_at: Mapped[datetime] = col(inventory="operational")
    finished_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")


class DeadLetter(SystemOrTenantOwned, Base):
    """A job that used up its attempts, kept for an admin to read and replay."""

    __tablename__ = "dead_letters"

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    job_id: Mapped[str] = col(
        String(32), ForeignKey("jobs.id", ondelete="CASCADE"), index=True, inventory="identifier"
    )
    kind: Mapped[str] = col(String(100), inventory="operational")
    attempts: Mapped[int] = col(Integer, inventory="operational")
    error: Mapped[str] = col(Text, inventory="operational")
    died_at: Mapped[datetime] = col(inventory="operational")
    replayed_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")


class AppliedEffect(SystemOrTenantOwned, Base):
    """Marks an effect as applied; written in the same transaction as the effect itself."""

    __tablename__ = "applied_effects"

    key: Mapped[str] = col(String(200), primary_key=True, inventory="operational")
    job_id: Mapped[str | None] = col(String(32), nullable=True, inventory="identifier")
    applied_at: Mapped[datetime] = col(inventory="operational")
