"""Generic CRM: API key / Basic / OAuth, phone lookup, activities, and App Connect's sample."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.testing import (
    authorize_code,
    client_for,
    code_grant_form,
    real_sample,
)
from callbridge.sandbox.crm.generic import GenericSandboxConfig, create_app
from callbridge.sandbox.crm.generic.config import API_KEY

KEY = {"X-API-Key": API_KEY}


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def client(clock: VirtualClock) -> TestClient:
    return client_for(create_app(None, clock))


def _render(value: Any, ctx: dict[str, Any]) -> Any:
    """Fill ``{{a.b}}`` templates the way the proxy format documents (test-local helper)."""
    if isinstance(value, dict):
        return {k: _render(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, ctx) for v in value]
    if not isinstance(value, str):
        return value

    def lookup(path: str) -> Any:
        current: Any = ctx
        for part in path.strip().split("."):
            current = current.get(part) if isinstance(current, dict) else None
        return current

    whole = re.fullmatch(r"\{\{([^}]+)\}\}", value)
    if whole:
        return lookup(whole.group(1))
    return re.sub(r"\{\{([^}]+)\}\}", lambda m: str(lookup(m.group(1)) or ""), value)


def _path(body: Any, path: str) -> Any:
    current: Any = {"body": body}
    for part in path.split("."):
        current = current[int(part)] if isinstance(current, list) else current[part]
    return current


def test_app_connect_proxy_sample_runs_against_the_generic_crm(client: TestClient) -> None:
    sample = real_sample("appconnect_proxy_sample.json")
    ctx: dict[str, Any] = {"apiKey": API_KEY, "secretKey": "s", "phoneNumber": "6505550101",
                           "newContactName": "New Caller", "newContactType": "Contact",
                           "subject": "Call", "composedLogDetails": "Details [cbm-1]",
                           "startTime": "2026-01-05T09:00:00Z", "endTime": "2026-01-05T09:05:00Z"}
    auth = sample["auth"]
    credential = base64.b64encode(_render(auth["credentialTemplate"], ctx).encode()).decode()
    headers = {auth["headerName"]: f"{auth['scheme']} {credential}",
               **_render(sample["requestDefaults"]["defaultHeaders"], ctx)}

    def run(name: str) -> Any:
        op = sample["operations"][name]
        answer = client.request(op["method"], _render(op["url"], ctx), headers={
            **headers, **_render(op.get("headers", {}), ctx)},
            params=_render(op.get("query"), ctx), json=_render(op.get("body"), ctx))
        assert answer.status_code < 300, (name, answer.text)
        return answer.json()

    user = run("getUserInfo")
    assert _path(user, sample["operations"]["getUserInfo"]["responseMapping"]["idPath"])
    found = run("findContact")
    mapping = sample["operations"]["findContact"]["responseMapping"]
    contacts = _path(found, mapping["listPath"])
    assert [c[mapping["item"]["namePath"]] for c in contacts] == ["Alan Turing"]
    ctx["contactInfo"] = {"id": contacts[0]["id"], "name": contacts[0]["name"]}
    created = run("createContact")
    assert _path(created, sample["operations"]["createContact"]["responseMapping"]["idPath"])
    log = run("createCallLog")
    ctx["thirdPartyLogId"] = _path(
        log, sample["operations"]["createCallLog"]["responseMapping"]["idPath"])
    ctx["composedLogDetails"] = "Details [cbm-1] + recording"
    run("updateCallLog")
    got = run("getCallLog")
    mapping = sample["operations"]["getCallLog"]["responseMapping"]
    assert _path(got, mapping["fullBodyPath"]) == "Details [cbm-1] + recording"
    ctx.update({"creationTime": "2026-01-05T10:00:00Z",
                "message": {"subject": "hi", "direction": "Inbound",
                            "from": {"phoneNumber": "+16505550101"}}})
    message = run("createMessageLog")
    ctx["thirdPartyLogId"] = message["activity"]["id"]
    run("updateMessageLog")


def test_phone_lookup_zero_one_many_across_formats(client: TestClient) -> None:
    def names(phone: str) -> list[str]:
        answer = client.get("/contacts", headers=KEY, params={"phone": phone})
        return sorted(c["name"] for c in answer.json()["contacts"])

    assert names("+1 (650) 555-0100") == ["Ada Lovelace", "Byron Lovelace"]
    assert names("+16505550102") == ["Grace Hopper"]
    assert names("+442079460959") == []  # stored nationally with its trunk 0
    assert names("02079460959") == ["Ravi Kumar"]
    assert names("+16505550199") == []


def test_external_id_is_unique_and_findable(client: TestClient) -> None:
    body = {"subject": "Call", "external_id": "rc-session-1", "description": "[cbm-2]"}
    first = client.post("/activities", headers=KEY, json=body)
    assert first.status_code == 201
    again = client.post("/activities", headers=KEY, json=body)
    assert again.status_code == 409
    assert again.json()["id"] == first.json()["activity"]["id"]
    found = client.get("/activities", headers=KEY, params={"external_id": "rc-session-1"})
    assert len(found.json()["activities"]) == 1
    assert len(client.get("/activities", headers=KEY,
                          params={"q": "cbm-2"}).json()["activities"]) == 1
    activity_id = first.json()["activity"]["id"]
    edited = client.post(f"/_sandbox/edit/activities/{activity_id}", json={"note": "by hand"})
    assert edited.json()["updated_at"] >= first.json()["activity"]["updated_at"]
    assert client.get(f"/activities/{activity_id}", headers=KEY).json()["activity"]["note"] == (
        "by hand")


def test_oauth_rotation_revocation_and_sign_out(client: TestClient, clock: VirtualClock) -> None:
    code = authorize_code(client, "/oauth/authorize")
    body = client.post("/oauth/token", data=code_grant_form(code)).json()
    assert body["expires_in"] == 3600
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/authentication", headers=bearer).status_code == 200
    clock.advance(3600)
    assert client.get("/authentication", headers=bearer).status_code == 401
    form = {**code_grant_form(code), "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"]}
    rotated = client.post("/oauth/token", data=form).json()
    assert rotated["refresh_token"] != body["refresh_token"]
    assert client.post("/oauth/token", data=form).status_code == 400
    fresh = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert client.delete("/authentication", headers=fresh).status_code == 204
    assert client.get("/authentication", headers=fresh).status_code == 401


def test_secret_key_rate_limit_and_faults(clock: VirtualClock) -> None:
    cfg = GenericSandboxConfig(secret_key="sek", rate_limit_per_minute=1)
    client = client_for(create_app(cfg, clock))
    assert client.get("/users", headers=KEY).status_code == 401
    headers = {**KEY, "X-Secret-Key": "sek"}
    assert client.get("/users", headers=headers).status_code == 200
    limited = client.get("/users", headers=headers)
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    assert limited.headers["Retry-After"] == "60"
    clock.advance(60)
    client.post("/_sandbox/faults", json={"fail_next": 1})
    assert client.get("/users", headers=headers).status_code == 500
