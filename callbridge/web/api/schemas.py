"""Request and response bodies of the JSON API (requests forbid unknown fields)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from callbridge.db.models import JobStatus, Role


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganizationOut(BaseModel):
    id: str
    name: str
    slug: str
    default_region: str
    created_at: datetime


class OrganizationPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    default_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class MeOut(BaseModel):
    user_id: str
    email: str
    role: Role
    organization: OrganizationOut


class MemberOut(BaseModel):
    id: str
    user_id: str
    email: str
    role: Role
    created_at: datetime


class MemberIn(Strict):
    email: str = Field(max_length=320)
    role: Role = Role.member


class MemberPatch(Strict):
    role: Role


class TokenOut(BaseModel):
    id: str
    name: str
    membership_id: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=100)


class TokenCreated(TokenOut):
    token: str = Field(description="Shown once; callbridge keeps only its hash")


class JobOut(BaseModel):
    id: str
    kind: str
    status: JobStatus
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


class AuditOut(BaseModel):
    id: str
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str | None
    details: dict[str, Any]


class CredentialOut(BaseModel):
    id: str
    purpose: str
    name: str
    key_id: str
    created_at: datetime
    updated_at: datetime


class CredentialIn(Strict):
    purpose: str = Field(pattern=r"^[a-z0-9][a-z0-9:._-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    value: str = Field(min_length=1, max_length=16384, repr=False)
