"""No way to read or write a tenant-owned table without a tenant, and never another tenant's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased

from callbridge.db.models import ApiToken, AuditEntry, Membership, Organization, SealedSecret
from callbridge.errors import TenantScopeMissing
from callbridge.privacy.audit import record_audit
from tests.factories import make_organization


@pytest.fixture
def two_orgs(runtime):
    a, b = make_organization(runtime, "alpha"), make_organization(runtime, "bravo")
    for org in (a, b):
        with runtime.db.tenant(org.id) as s:
            record_audit(s, runtime.clock, actor="t", action=f"mark.{org.slug}", object_type="x")
    return a, b


def test_a_tenant_sees_only_its_rows(runtime, two_orgs):
    a, _ = two_orgs
    with runtime.db.tenant(a.id) as s:
        actions = set(s.scalars(select(AuditEntry.action)))
        assert "mark.alpha" in actions and "mark.bravo" not in actions
        assert s.scalar(select(func.count()).select_from(Membership)) == 1
        assert [o.slug for o in s.scalars(select(Organization))] == ["alpha"]
        other = aliased(AuditEntry)
        assert "mark.bravo" not in set(s.scalars(select(other.action)))


def test_get_by_id_of_another_tenants_row_finds_nothing(runtime, two_orgs):
    a, b = two_orgs
    with runtime.db.tenant(b.id) as s:
        b_entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "mark.bravo")).one().id
    with runtime.db.tenant(a.id) as s:
        assert s.get(AuditEntry, b_entry) is None
        assert s.get(Organization, b.id) is None


def test_reading_a_tenant_table_without_a_tenant_is_refused(runtime, two_orgs):
    with runtime.db.anonymous() as s, pytest.raises(TenantScopeMissing, match="AuditEntry"):
        s.scalars(select(AuditEntry)).all()
    with runtime.db.anonymous() as s, pytest.raises(TenantScopeMissing):
        s.scalars(select(SealedSecret.id)).all()


def test_writing_without_a_tenant_is_refused_and_nothing_is_written(runtime, two_orgs):
    a, _ = two_orgs
    with pytest.raises(TenantScopeMissing), runtime.db.anonymous() as s:
        s.add(
            AuditEntry(
                organization_id=a.id, at=runtime.clock.now(), actor="x", action="sneak", object_type="x"
            )
        )
    with runtime.db.tenant(a.id) as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "sneak")).first() is None


def test_writing_into_another_tenant_is_refused(runtime, two_orgs):
    a, b = two_orgs
    with pytest.raises(TenantScopeMissing, match="another organization"), runtime.db.tenant(a.id) as s:
        s.add(
            AuditEntry(
                organization_id=b.id, at=runtime.clock.now(), actor="x", action="sneak", object_type="x"
            )
        )


def test_bulk_update_and_delete_stay_in_the_tenant(runtime, two_orgs):
    a, b = two_orgs
    with runtime.db.tenant(a.id) as s:  # (audit entries are append-only: a token's name is rewritten)
        s.execute(update(ApiToken).values(name="rewritten"))
        s.execute(delete(Membership))
    with runtime.db.tenant(b.id) as s:
        assert set(s.scalars(select(ApiToken.name))) == {"test"}
        assert s.scalar(select(func.count()).select_from(Membership)) == 1


def test_bulk_update_without_tenant_is_refused(runtime, two_orgs):
    with pytest.raises(TenantScopeMissing), runtime.db.anonymous() as s:
        s.execute(update(AuditEntry).values(actor="everyone"))


def test_token_lookup_is_the_one_anonymous_read(runtime, two_orgs):
    with runtime.db.anonymous() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 2


def test_system_scope_sees_across_tenants(runtime, two_orgs):
    with runtime.db.system("test: cross-tenant count") as s:
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"mark.alpha", "mark.bravo"} <= actions


def test_system_scope_needs_a_reason(runtime):
    with pytest.raises(TenantScopeMissing, match="reason"), runtime.db.system(" "):
        pass
