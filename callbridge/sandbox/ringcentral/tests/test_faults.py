"""Injected faults and the control API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from callbridge.clock import SystemClock
from callbridge.sandbox.ringcentral import RingCentralSandboxConfig, create_app
from callbridge.sandbox.ringcentral.faults import SandboxConnectionReset

from .conftest import ACC, Sandbox


def test_fail_next_gives_5xx_then_recovers(sbx: Sandbox) -> None:
    sbx.client.post("/_sandbox/faults", json={"fail_next": 2, "error_status": 503})
    assert [sbx.get(f"{ACC}/extension/~").status_code for _ in range(3)] == [503, 503, 200]
    body = sbx.get(f"{ACC}/extension/~").json()
    assert body["id"] == sbx.state.admin_extension().id


def test_error_rate_is_seeded(sbx: Sandbox) -> None:
    sbx.state.config.rate_limits.enabled = False
    sbx.client.post("/_sandbox/faults", json={"error_rate": 0.5, "seed": 9})
    first = [sbx.get(f"{ACC}/extension/~").status_code for _ in range(30)]
    sbx.client.post("/_sandbox/faults", json={"seed": 9})
    second = [sbx.get(f"{ACC}/extension/~").status_code for _ in range(30)]
    assert first == second and 200 in first and 503 in first
    sbx.client.delete("/_sandbox/faults")
    assert all(sbx.get(f"{ACC}/extension/~").status_code == 200 for _ in range(5))


def test_connection_reset(sbx: Sandbox) -> None:
    sbx.client.post("/_sandbox/faults", json={"reset_next": 1, "path_contains": "/call-log"})
    with pytest.raises(SandboxConnectionReset):
        sbx.get(f"{ACC}/call-log")
    assert sbx.get(f"{ACC}/call-log").status_code == 200


def test_latency(sbx: Sandbox) -> None:
    sbx.client.post("/_sandbox/faults", json={"latency_seconds": 0.01})
    assert sbx.get(f"{ACC}/extension/~").status_code == 200
    assert sbx.client.get("/_sandbox/faults").json()["injected"]["latency"] == 1


def test_revoke_and_expire_tokens(sbx: Sandbox) -> None:
    assert sbx.client.post("/_sandbox/tokens/revoke").json()["revoked_sessions"] == 1
    assert sbx.get(f"{ACC}/extension/~").json()["errors"][0]["errorCode"] == "OAU-213"
    sbx.login()
    sbx.client.post("/_sandbox/tokens/expire")
    assert sbx.get(f"{ACC}/extension/~").json()["errors"][0]["errorCode"] == "OAU-128"


def test_clock_control(sbx: Sandbox) -> None:
    before = sbx.clock.now()
    moved = sbx.client.post("/_sandbox/clock", json={"advance_seconds": 90}).json()
    assert moved["virtual"] is True
    assert (sbx.clock.now() - before).total_seconds() == 90
    back = sbx.client.post("/_sandbox/clock", json={"set": "2020-01-01T00:00:00Z"})
    assert back.status_code == 400
    real = TestClient(create_app(RingCentralSandboxConfig(), SystemClock()))
    refused = real.post("/_sandbox/clock", json={"advance_seconds": 1})
    assert refused.status_code == 409 and "system clock" in refused.json()["detail"]


def test_usable_in_process_with_asgi_transport() -> None:
    from callbridge.clock import VirtualClock

    app = create_app(RingCentralSandboxConfig(), VirtualClock(datetime(2026, 2, 1, tzinfo=UTC)))

    async def scenario() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rc") as client:
            gen = await client.post("/_sandbox/generate", json={"seed": 2, "days": 2,
                                                                "extensions": 2})
            creds = (await client.get("/_sandbox/credentials")).json()
            tok = await client.post(
                "/restapi/oauth/token", auth=(creds["client_id"], creds["client_secret"]),
                data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                      "assertion": creds["jwt"]})
            headers = {"Authorization": f"Bearer {tok.json()['access_token']}"}
            resp = await client.get(f"{ACC}/call-log", headers=headers,
                                    params={"dateFrom": "2026-01-01T00:00:00Z"})
            assert resp.json()["records"][0]["uri"].startswith("http://rc/restapi/v1.0/")
            return gen.json()["calls"]["total"], resp.json()["paging"]["totalElements"]

    generated, listed = asyncio.run(scenario())
    assert generated > 0 and listed > 0
