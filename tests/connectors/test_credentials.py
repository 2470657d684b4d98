"""Credentials in the vault; unauthorize revokes at the CRM and deletes them (acceptance 4)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from callbridge.connectors.credentials import MemoryCredentialStore, VaultCredentialStore
from callbridge.db.models import SealedSecret
from callbridge.runtime import Runtime
from tests.connectors.conftest import harness_for
from tests.factories import make_organization

pytestmark = pytest.mark.asyncio


async def test_vault_store_round_trip_sealed_and_tenant_scoped(runtime: Runtime) -> None:
    acme, other = make_organization(runtime, "acme"), make_organization(runtime, "other")
    store = VaultCredentialStore(runtime, acme.id, "crm:hubspot")
    assert await store.get("token") is None
    await store.put("token", {"access_token": "tok-very-secret", "refresh_token": "ref-secret"})
    assert await store.get("token") == {"access_token": "tok-very-secret", "refresh_token": "ref-secret"}
    assert await VaultCredentialStore(runtime, other.id, "crm:hubspot").get("token") is None
    with runtime.db.tenant(acme.id) as session:
        row = session.scalars(select(SealedSecret)).one()
        assert b"tok-very-secret" not in row.ciphertext
    assert "tok-very-secret" not in repr(store)
    assert await store.delete("token") and await store.get("token") is None
    assert not await store.delete("token")


async def test_memory_store_refuses_non_strings() -> None:
    with pytest.raises(TypeError):
        await MemoryCredentialStore().put("x", {"n": 1})  # type: ignore[dict-item]


@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
async def test_unauthorize_revokes_at_the_crm_and_deletes_from_the_vault(runtime: Runtime, crm: str) -> None:
    org = make_organization(runtime, "acme")
    vault_store = VaultCredentialStore(runtime, org.id, f"crm:{crm}")
    async with harness_for(crm) as h:
        connector = h.session.build({"auth": "oauth"}, vault_store)
        await h.session.oauth_connect(connector, {"login_hint": "alice@callbridge.test"})
        token = await vault_store.get("token")
        assert token is not None and token["refresh_token"]
        await connector.get_user_info()
        await connector.unauthorize()
        assert await vault_store.get("token") is None
        with runtime.db.tenant(org.id) as session:
            assert session.scalars(select(SealedSecret)).all() == []
        tokens = {t["token"]: t for t in await _tokens(h)}
        assert tokens[token["access_token"]]["revoked"], "the CRM still accepts the access token"
        served = (await h.session.control("GET", "/requests"))["requests"]
        assert any("revoke" in r["path"] or "refresh-tokens" in r["path"] for r in served)


async def _tokens(h):  # type: ignore[no-untyped-def]
    return (await h.session.control("GET", "/tokens"))["tokens"]
