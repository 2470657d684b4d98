"""Organizations, members and API tokens: creating them and finding who a token belongs to."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.clock import Clock
from callbridge.db.models import ApiToken, Membership, Organization, Role, User
from callbridge.db.session import Database
from callbridge.errors import Conflict, InvalidInput, Unauthenticated
from callbridge.privacy.audit import record_audit

__all__ = [
    "TOKEN_PREFIX",
    "Principal",
    "add_member",
    "authenticate",
    "create_organization",
    "hash_token",
    "issue_token",
]

TOKEN_PREFIX = "cbt_"  # noqa: S105 - a prefix, not a secret
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a member of one organization, with a role."""

    organization_id: str
    user_id: str
    membership_id: str
    role: Role
    token_id: str

    @property
    def actor(self) -> str:
        return f"user:{self.user_id}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an email address.", field="email", hint="use name@example.com")
    return email


def create_organization(
    db: Database, clock: Clock, *, name: str, slug: str, owner_email: str
) -> tuple[str, str]:
    """Create an organization and its owner; returns ``(organization_id, membership_id)``."""
    if not SLUG.match(slug):
        raise InvalidInput(
            f"{slug!r} is not a valid organization slug.",
            field="slug",
            hint="use 2-63 lowercase letters, digits and dashes, starting with a letter or digit",
        )
    if not name.strip():
        raise InvalidInput("The organization name is empty.", field="name", hint="give a name")
    email = _check_email(owner_email)
    now = clock.now()
    with db.anonymous() as session:
        if session.scalars(select(Organization.id).where(Organization.slug == slug)).first():
            raise Conflict(
                f"An organization with slug {slug!r} exists.", field="slug", hint="pick another slug"
            )
        org = Organization(name=name.strip(), slug=slug, created_at=now)
        session.add(org)
        user = session.scalars(select(User).where(User.email == email)).one_or_none()
        if user is None:
            user = User(email=email, display_name=email.split("@")[0], created_at=now)
            session.add(user)
        session.flush()
        org_id, user_id = org.id, user.id
    with db.tenant(org_id) as session:
        membership = Membership(user_id=user_id, role=Role.owner, created_at=now)
        session.add(membership)
        session.flush()
        record_audit(
            session,
            clock,
            actor=f"user:{user_id}",
            action="organization.created",
            object_type="organization",
            object_id=org_id,
        )
        return org_id, membership.id


def add_member(session: Session, clock: Clock, *, email: str, role: Role, actor: str) -> Membership:
    """Add a person to the session's organization (creating the user if new)."""
    email = _check_email(email)
    now = clock.now()
    user = session.scalars(select(User).where(User.email == email)).one_or_none()
    if user is None:
        user = User(email=email, display_name=email.split("@")[0], created_at=now)
        session.add(user)
        session.flush()
    elif session.scalars(select(Membership.id).where(Membership.user_id == user.id)).first():
        raise Conflict(f"{email} is already a member.", field="email")
    membership = Membership(user_id=user.id, role=role, created_at=now)
    session.add(membership)
    session.flush()
    record_audit(
        session,
        clock,
        actor=actor,
        action="member.added",
        object_type="membership",
        object_id=membership.id,
        role=role.value,
    )
    return membership


def issue_token(
    session: Session, clock: Clock, *, membership_id: str, name: str, actor: str
) -> tuple[ApiToken, str]:
    """Create an API token; the plain token is returned once and only its hash is kept."""
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise InvalidInput(f"No member {membership_id!r} in this organization.", field="membership_id")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        membership_id=membership.id,
        name=name[:100] or "token",
        token_hash=hash_token(plain),
        created_at=clock.now(),
    )
    session.add(token)
    session.flush()
    record_audit(
        session, clock, actor=actor, action="token.created", object_type="api_token", object_id=token.id
    )
    return token, plain


def authenticate(db: Database, clock: Clock, token: str | None) -> Principal:
    """The principal behind a bearer token, or Unauthenticated with what to do about it."""
    if not token:
        raise Unauthenticated(
            "No API token was sent.",
            hint="send 'Authorization: Bearer cbt_…'; create a token with 'callbridge token create'",
        )
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated("That is not a callbridge API token.", hint="tokens start with 'cbt_'")
    digest = hash_token(token)
    with db.anonymous() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).one_or_none()
        if row is None or row.revoked_at is not None:
            raise Unauthenticated(
                "This API token is unknown or revoked.",
                hint="create a new one with 'callbridge token create'",
            )
        org_id, membership_id, token_id = row.organization_id, row.membership_id, row.id
    with db.tenant(org_id) as session:
        membership = session.get(Membership, membership_id)
        if membership is None:
            raise Unauthenticated("The member this token belonged to was removed.")
        token_row = session.get_one(ApiToken, token_id)
        now = clock.now()
        # A write per request would serialize every reader on SQLite; a minute's precision is plenty.
        if token_row.last_used_at is None or now - token_row.last_used_at > timedelta(minutes=1):
            token_row.last_used_at = now
        return Principal(org_id, membership.user_id, membership.id, membership.role, token_id)
