"""The JSON API: one error shape, clear errors for bad input and tokens, and nothing written on error."""

from __future__ import annotations

from sqlalchemy import func, select

from callbridge.db.models import AuditEntry, Membership, Organization


def _error(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field", "hint"}
    return body["error"]


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"]["status"] == "ok"
    assert ready.json()["checks"]["jobs"]["status"] == "ok"


def test_readyz_says_which_dependency_is_down(backend):
    from fastapi.testclient import TestClient

    from callbridge.runtime import Runtime
    from callbridge.web.app import create_app

    broken = Runtime(backend.settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    try:
        with TestClient(create_app(broken)) as client:
            response = client.get("/readyz")
    finally:
        broken.close()
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["status"] == "failed"
    assert "CALLBRIDGE_DATABASE_URL" in checks["database"]["hint"]
    assert checks["jobs"]["status"] == "ok"


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/members/{member_id}" in paths


def test_no_token_unknown_token_and_wrong_scheme_are_401_with_a_hint(client):
    missing = client.get("/api/v1/me")
    assert missing.status_code == 401
    assert _error(missing)["code"] == "unauthenticated"
    assert "callbridge token create" in _error(missing)["hint"]
    unknown = client.get("/api/v1/me", headers={"Authorization": "Bearer cbt_not-a-real-token"})
    assert unknown.status_code == 401
    assert "unknown or revoked" in _error(unknown)["message"]
    foreign = client.get("/api/v1/me", headers={"Authorization": "Bearer ghp_abc"})
    assert "start with 'cbt_'" in _error(foreign)["hint"]


def test_me_shows_the_caller(client, alpha):
    body = client.get("/api/v1/me", headers=alpha.auth).json()
    assert body["email"] == "owner@alpha.example"
    assert body["role"] == "owner"
    assert body["organization"]["slug"] == "alpha"


def test_bad_input_names_the_field_and_writes_nothing(runtime, client, alpha):
    response = client.post(
        "/api/v1/members", headers=alpha.auth, json={"email": "x@alpha.example", "role": "boss"}
    )
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "invalid_input"
    assert error["field"] == "role"
    assert "boss" not in error["hint"] and "schema" in error["hint"]
    unknown = client.patch("/api/v1/organization", headers=alpha.auth, json={"name": "New", "colour": "red"})
    assert _error(unknown)["field"] == "colour"
    assert "remove 'colour'" in _error(unknown)["hint"]
    bad_email = client.post("/api/v1/members", headers=alpha.auth, json={"email": "not-an-email"})
    assert bad_email.status_code == 422 and _error(bad_email)["field"] == "email"
    with runtime.db.tenant(alpha.id) as s:
        assert s.scalar(select(func.count()).select_from(Membership)) == 1
        assert s.get_one(Organization, alpha.id).name == "Alpha Inc."
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action != "organization.created")
            )
            == 1
        )


def test_unknown_route_and_method_use_the_same_error_shape(client, alpha):
    assert _error(client.get("/api/v1/nothing", headers=alpha.auth))["code"] == "not_found"
    assert _error(client.put("/healthz"))["code"] == "method_not_allowed"


def test_changes_are_audited(runtime, client, alpha):
    client.patch(
        "/api/v1/organization", headers=alpha.auth, json={"name": "Alpha GmbH", "default_region": "DE"}
    )
    entries = client.get(
        "/api/v1/audit", headers=alpha.auth, params={"action": "organization.updated"}
    ).json()
    assert len(entries) == 1
    assert entries[0]["details"] == {"fields": ["default_region", "name"]}
    assert entries[0]["actor"].startswith("user:")


def test_credentials_are_write_only(client, alpha):
    stored = client.put(
        "/api/v1/credentials",
        headers=alpha.auth,
        json={"purpose": "crm:hubspot:api-key", "name": "shared", "value": "pat-na1-secret"},
    )
    assert stored.status_code == 200
    assert "pat-na1-secret" not in stored.text
    listing = client.get("/api/v1/credentials", headers=alpha.auth)
    assert "pat-na1-secret" not in listing.text
    assert [c["purpose"] for c in listing.json()] == ["crm:hubspot:api-key"]


def test_a_revoked_token_stops_working(client, alpha):
    token_id = client.get("/api/v1/tokens", headers=alpha.auth).json()[0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=alpha.auth).status_code == 204
    assert client.get("/api/v1/me", headers=alpha.auth).status_code == 401


def test_a_new_token_is_shown_once_and_stored_hashed(runtime, client, alpha):
    created = client.post("/api/v1/tokens", headers=alpha.auth, json={"name": "ci"}).json()
    assert created["token"].startswith("cbt_")
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"}).status_code == 200
    )
    listed = client.get(f"/api/v1/tokens/{created['id']}", headers=alpha.auth).json()
    assert "token" not in listed


def test_the_last_owner_cannot_be_demoted(client, alpha):
    error = client.patch(
        f"/api/v1/members/{alpha.owner_membership_id}", headers=alpha.auth, json={"role": "admin"}
    )
    assert error.status_code == 409
    assert "at least one owner" in _error(error)["message"]


def test_selftest_job_through_the_api(runtime, client, alpha):
    from callbridge.jobs.worker import Worker

    job = client.post("/api/v1/jobs/selftest", headers=alpha.auth).json()
    assert job["status"] == "pending"
    Worker(runtime).tick()
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=alpha.auth).json()["status"] == "done"
