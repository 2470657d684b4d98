"""Real objects an organization owns, made through the product's own code, for route tests."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from callbridge.db.models import ApiToken, Job, Role
from callbridge.jobs.builtin import SELFTEST
from callbridge.jobs.registry import GiveUp
from callbridge.jobs.runner import run_one
from callbridge.runtime import Runtime
from tests.factories import OrgFixture, member_token


def new_member(runtime: Runtime, org: OrgFixture, role: Role = Role.member) -> str:
    membership_id, _ = member_token(runtime, org, f"{uuid.uuid4().hex[:8]}@{org.slug}.example", role)
    return membership_id


def owner_token_id(runtime: Runtime, org: OrgFixture) -> str:
    with runtime.db.tenant(org.id) as s:
        return s.scalars(select(ApiToken.id).where(ApiToken.membership_id == org.owner_membership_id)).first()


def dead_job(runtime: Runtime, org: OrgFixture) -> str:
    """A job that has died, so that a replay would be allowed if the route leaked across tenants."""
    kind = "test.always-dies"
    if kind not in runtime.registry:

        @runtime.registry.task(kind, max_attempts=1)
        def always_dies(ctx):
            raise GiveUp("dies for the test")

    job, _ = runtime.submit(org.id, kind, {}, key=uuid.uuid4().hex)
    run_one(runtime, job.id, worker_id="test")
    return job.id


def pending_job(runtime: Runtime, org: OrgFixture) -> str:
    job, _ = runtime.submit(org.id, SELFTEST, {}, key=uuid.uuid4().hex)
    return job.id


def credential(runtime: Runtime, org: OrgFixture) -> str:
    with runtime.db.tenant(org.id) as s:
        return runtime.vault.put(s, "crm:test:api-key", uuid.uuid4().hex, "value-" + org.slug).id


def job_status(runtime: Runtime, org: OrgFixture, job_id: str) -> str:
    with runtime.db.tenant(org.id) as s:
        return s.get_one(Job, job_id).status.value


def owner_principal(runtime: Runtime, org: OrgFixture):
    from callbridge.tenancy import authenticate

    return authenticate(runtime.db, runtime.clock, org.token)


def scheduled_deletion(runtime: Runtime, org: OrgFixture) -> str:
    from callbridge.privacy.lifecycle import request_deletion

    return request_deletion(runtime, owner_principal(runtime, org)).id


def support_session(runtime: Runtime, org: OrgFixture) -> str:
    from callbridge.privacy.support import CONSENT_TEXT, create_support_session

    who = owner_principal(runtime, org)
    return create_support_session(runtime, who, consent=True, consent_text=CONSENT_TEXT).id


def give_extension(runtime: Runtime, org: OrgFixture, email: str, *, extension_type: str = "User") -> str:
    """A phone extension with ``email`` in ``org``'s extension directory; returns its pseudonym."""
    from callbridge.platforms.ringcentral.directory import Extension, store_extension

    ext = Extension(id=str(uuid.uuid4().int % 10**9), email=email, name="Extension", type=extension_type,
                    status="Enabled")
    with runtime.db.tenant(org.id) as s:
        row = store_extension(s, runtime.vault, lambda i: runtime.pseudonyms.pseudonym(s, "extension", i),
                              "default", ext, runtime.clock.now())
        return row.ref


def members_with_extensions(runtime: Runtime, org: OrgFixture) -> None:
    """Every member of ``org`` gets a phone extension with their email (those without one yet)."""
    from callbridge.db.models import Membership, User
    from callbridge.pipelines.logging.preferences import find_member_extension

    with runtime.db.tenant(org.id) as s:
        people = s.execute(select(User.id, User.email).join(Membership, Membership.user_id == User.id)).all()
        missing = [email for user_id, email in people
                   if find_member_extension(runtime, s, user_id)[0] is None]
    for email in missing:
        give_extension(runtime, org, email)


def chosen_conversation(runtime: Runtime, org: OrgFixture) -> str:
    """An SMS conversation on the organization's chosen list; returns its id."""
    from callbridge.db.models import ChosenConversation
    from callbridge.pipelines.logging.preferences import choose_conversation

    ref = choose_conversation(runtime, org.id, f"+1650555{uuid.uuid4().int % 10**4:04d}", actor="test")
    with runtime.db.tenant(org.id) as s:
        return s.scalars(select(ChosenConversation.id).where(ChosenConversation.phone_ref == ref)).one()


def own_chosen_conversation(runtime: Runtime, org: OrgFixture, token: str) -> str:
    """An SMS conversation on the token holder's own list (they get an extension if needed)."""
    from callbridge.db.models import ChosenConversation
    from callbridge.pipelines.logging.preferences import choose_conversation, member_extension
    from callbridge.tenancy import authenticate

    members_with_extensions(runtime, org)
    who = authenticate(runtime.db, runtime.clock, token)
    with runtime.db.tenant(org.id) as s:
        owner_ref = member_extension(runtime, s, who.user_id)
    ref = choose_conversation(runtime, org.id, f"+1650555{uuid.uuid4().int % 10**4:04d}", owner_ref=owner_ref,
                              actor=who.actor)
    with runtime.db.tenant(org.id) as s:
        return s.scalars(select(ChosenConversation.id).where(ChosenConversation.phone_ref == ref,
                                                             ChosenConversation.scope != "org")).one()


def lookalike_member_settings(runtime: Runtime, org: OrgFixture) -> str:
    """``org``'s directory lists an extension with another organization's owner email (``owner@alpha
    .example``), with own preferences and a chosen conversation: only a lookup that crossed
    tenants would find them. Returns the extension's pseudonym."""
    from callbridge.pipelines.logging.preferences import choose_conversation, save_preferences, user_scope

    ref = give_extension(runtime, org, "owner@alpha.example")
    with runtime.db.tenant(org.id) as s:
        save_preferences(s, runtime.clock, user_scope(ref), {"log_fax": False}, actor="test")
    choose_conversation(runtime, org.id, "+16505550199", owner_ref=ref, actor="test")
    return ref
