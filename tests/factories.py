"""Builders of real objects for tests (no mocks of our own storage)."""

from __future__ import annotations

from dataclasses import dataclass

from callbridge.db.models import Role
from callbridge.runtime import Runtime
from callbridge.tenancy import add_member, create_organization, issue_token


@dataclass
class OrgFixture:
    """An organization with an owner and the owner's API token."""

    id: str
    slug: str
    owner_membership_id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_organization(runtime: Runtime, slug: str) -> OrgFixture:
    org_id, membership_id = create_organization(
        runtime.db, runtime.clock, name=f"{slug.title()} Inc.", slug=slug, owner_email=f"owner@{slug}.example"
    )
    with runtime.db.tenant(org_id) as session:
        _, token = issue_token(session, runtime.clock, membership_id=membership_id, name="test", actor="test")
    return OrgFixture(org_id, slug, membership_id, token)


def member_token(runtime: Runtime, org: OrgFixture, email: str, role: Role) -> tuple[str, str]:
    """Add a member with ``role``; returns ``(membership_id, token)``."""
    with runtime.db.tenant(org.id) as session:
        membership = add_member(session, runtime.clock, email=email, role=role, actor="test")
        _, token = issue_token(session, runtime.clock, membership_id=membership.id, name="test", actor="test")
        return membership.id, token
