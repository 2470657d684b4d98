"""OAuth flows: JWT, authorization code + PKCE, expiry, refresh rotation with grace, revoke."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

from .conftest import ACC, Sandbox, build

TOKEN = "/restapi/oauth/token"
REDIRECT = "http://localhost:8080/oauth/callback/ringcentral"


def _token_fields(body: dict[str, object]) -> None:
    for key in ("access_token", "expires_in", "scope", "token_type", "session_id",
                "refresh_token", "refresh_token_expires_in", "owner_id", "endpoint_id"):
        assert key in body, key
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["refresh_token_expires_in"] == 604800 and isinstance(body["owner_id"], str)


def test_jwt_grant_and_bad_jwt(sbx: Sandbox) -> None:
    _token_fields(sbx.login())
    cfg = sbx.state.config.auth
    bad = sbx.client.post(TOKEN, auth=(cfg.client_id, cfg.client_secret),
                          data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                "assertion": "not-the-jwt"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    wrong_secret = sbx.client.post(TOKEN, auth=(cfg.client_id, "nope"),
                                   data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                         "assertion": cfg.jwt})
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"


def test_authorization_code_with_pkce() -> None:
    sandbox = build(days=1)
    cfg = sandbox.state.config.auth
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode()
    resp = sandbox.client.get("/restapi/oauth/authorize", params={
        "response_type": "code", "client_id": cfg.client_id, "redirect_uri": REDIRECT,
        "state": "xyz", "code_challenge": challenge.rstrip("="),
        "code_challenge_method": "S256", "login_hint": "102"})
    assert resp.status_code == 302
    location = urlsplit(resp.headers["location"])
    query = parse_qs(location.query)
    assert location.path == "/oauth/callback/ringcentral" and query["state"] == ["xyz"]
    code = query["code"][0]
    wrong = sandbox.client.post(TOKEN, data={"grant_type": "authorization_code", "code": code,
                                             "redirect_uri": REDIRECT, "client_id": cfg.client_id,
                                             "code_verifier": "w" * 64})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # the code was consumed by the failed attempt: get a fresh one
    resp = sandbox.client.get("/restapi/oauth/authorize", params={
        "response_type": "code", "client_id": cfg.client_id, "redirect_uri": REDIRECT,
        "code_challenge": challenge.rstrip("="), "code_challenge_method": "S256",
        "login_hint": "102"})
    code = parse_qs(urlsplit(resp.headers["location"]).query)["code"][0]
    ok = sandbox.client.post(TOKEN, data={"grant_type": "authorization_code", "code": code,
                                          "redirect_uri": REDIRECT, "client_id": cfg.client_id,
                                          "code_verifier": verifier})
    assert ok.status_code == 200, ok.text
    _token_fields(ok.json())
    assert ok.json()["owner_id"] == str(sandbox.state.extension_by_number("102").id)
    reuse = sandbox.client.post(TOKEN, data={"grant_type": "authorization_code", "code": code,
                                             "redirect_uri": REDIRECT, "client_id": cfg.client_id,
                                             "code_verifier": verifier})
    assert reuse.status_code == 400


def test_consent_page_when_auto_approve_is_off() -> None:
    sandbox = build(days=1)
    sandbox.state.config.auth.auto_approve = False
    params = {"response_type": "code", "client_id": sandbox.state.config.auth.client_id,
              "redirect_uri": REDIRECT}
    page = sandbox.client.get("/restapi/oauth/authorize", params=params)
    assert page.status_code == 200 and "<form" in page.text
    approved = sandbox.client.post("/restapi/oauth/authorize", data=params)
    assert approved.status_code == 302 and "code=" in approved.headers["location"]


def test_access_token_expires(sbx: Sandbox) -> None:
    assert sbx.get(f"{ACC}/extension/~").status_code == 200
    sbx.clock.advance(3600)
    expired = sbx.get(f"{ACC}/extension/~")
    assert expired.status_code == 401
    body = expired.json()
    assert body["errorCode"] == "TokenInvalid"
    assert body["errors"][0] == {"errorCode": "OAU-128", "message": "Access token expired"}


def test_short_access_token_ttl(sbx: Sandbox) -> None:
    token = sbx.login(access_token_ttl="600")
    assert token["expires_in"] == 600
    sbx.clock.advance(601)
    assert sbx.get(f"{ACC}/extension/~").status_code == 401


def test_refresh_rotates_with_grace_for_the_same_pair(sbx: Sandbox) -> None:
    cfg = sbx.state.config.auth
    sbx.state.config.rate_limits.enabled = False  # six token calls exceed the Auth group's 5
    first = sbx.login()

    def refresh(token: str) -> object:
        return sbx.client.post(TOKEN, auth=(cfg.client_id, cfg.client_secret),
                               data={"grant_type": "refresh_token", "refresh_token": token})

    second = refresh(first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    old = sbx.client.get(f"{ACC}/extension/~",
                         headers={"Authorization": f"Bearer {first['access_token']}"})
    assert old.status_code == 401 and old.json()["errors"][0]["errorCode"] == "OAU-129"
    # Never used yet: the old refresh token returns the same new pair.
    again = refresh(first["refresh_token"]).json()
    assert again["access_token"] == second["access_token"]
    sbx.client.get(f"{ACC}/extension/~",
                   headers={"Authorization": f"Bearer {second['access_token']}"})
    sbx.clock.advance(5)
    assert refresh(first["refresh_token"]).json()["access_token"] == second["access_token"]
    sbx.clock.advance(6)  # > 10 s after the new access token was first used
    late = refresh(first["refresh_token"])
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    gone = sbx.client.get(f"{ACC}/extension/~",
                          headers={"Authorization": f"Bearer {first['access_token']}"})
    assert gone.json()["errors"][0] == {"errorCode": "OAU-213", "message": "Token not found"}
    third = refresh(second["refresh_token"])
    assert third.status_code == 200


def test_refresh_token_expires(sbx: Sandbox) -> None:
    cfg = sbx.state.config.auth
    token = sbx.login()
    sbx.clock.advance(604800)
    resp = sbx.client.post(TOKEN, auth=(cfg.client_id, cfg.client_secret),
                           data={"grant_type": "refresh_token",
                                 "refresh_token": token["refresh_token"]})
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_grant",
                           "errors": [{"errorCode": "OAU-210", "message": "Token expired"}],
                           "error_description": "Token expired"}


def test_revoke_ends_the_session(sbx: Sandbox) -> None:
    cfg = sbx.state.config.auth
    token = sbx.login()
    resp = sbx.client.post("/restapi/oauth/revoke", auth=(cfg.client_id, cfg.client_secret),
                           data={"token": token["access_token"]})
    assert resp.status_code == 200
    denied = sbx.get(f"{ACC}/extension/~")
    assert denied.status_code == 401 and denied.json()["errors"][0]["errorCode"] == "OAU-213"
    refresh = sbx.client.post(TOKEN, auth=(cfg.client_id, cfg.client_secret),
                              data={"grant_type": "refresh_token",
                                    "refresh_token": token["refresh_token"]})
    assert refresh.status_code == 400


def test_missing_token_and_missing_permission(sbx: Sandbox) -> None:
    anon = sbx.client.get(f"{ACC}/call-log")
    assert anon.status_code == 401
    sbx.state.config.auth.app_permissions.remove("ReadCallLog")
    denied = sbx.get(f"{ACC}/call-log")
    assert denied.status_code == 403
    body = denied.json()
    assert body["errorCode"] == "InsufficientPermissions"
    assert body["errors"][0]["errorCode"] == "CMN-401"
    assert body["errors"][0]["permissionName"] == "ReadCallLog"
