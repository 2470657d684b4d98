from sqlalchemy import select

from callbridge.db.models import SealedSecret
from callbridge.privacy.pseudonym import PSEUDONYM_KEY_PURPOSE
from tests.factories import make_organization


def test_pseudonyms_are_stable_per_tenant_and_differ_across_tenants(runtime):
    a, b = make_organization(runtime, "alpha"), make_organization(runtime, "bravo")
    with runtime.db.tenant(a.id) as s:
        first = runtime.pseudonyms.pseudonym(s, "extension", "62264425004")
        again = runtime.pseudonyms.pseudonym(s, "extension", 62264425004)
        other_kind = runtime.pseudonyms.pseudonym(s, "user", "62264425004")
    with runtime.db.tenant(b.id) as s:
        in_b = runtime.pseudonyms.pseudonym(s, "extension", "62264425004")
    assert first == again
    assert first != in_b and first != other_kind
    assert "62264425004" not in first and first.startswith("ps1_")


def test_the_pseudonym_key_is_sealed_in_the_vault_and_survives_a_restart(runtime):
    from callbridge.runtime import Runtime

    a = make_organization(runtime, "alpha")
    with runtime.db.tenant(a.id) as s:
        first = runtime.pseudonyms.pseudonym(s, "extension", "101")
        rows = s.scalars(select(SealedSecret).where(SealedSecret.purpose == PSEUDONYM_KEY_PURPOSE)).all()
        assert len(rows) == 1
    restarted = Runtime(runtime.settings, clock=runtime.clock)
    try:
        with restarted.db.tenant(a.id) as s:
            assert restarted.pseudonyms.pseudonym(s, "extension", "101") == first
    finally:
        restarted.close()
