"""Who may call what: compared against a table written here, not one derived from the code."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from callbridge.db.models import ApiToken, Role
from callbridge.privacy.support import CONSENT_TEXT
from callbridge.tenancy import hash_token
from tests.factories import member_token
from tests.pipelines.logging import objects as logging_objects
from tests.web import objects
from tests.web.test_tenant_isolation import api_routes

ALL = {"owner", "admin", "member", "auditor"}
MANAGERS = {"owner", "admin"}
READERS = {"owner", "admin", "auditor"}

EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", "/api/v1/logging/communications"): ALL,
    ("GET", "/api/v1/logging/communications/{activity_id}"): ALL,
    ("PATCH", "/api/v1/logging/communications/{activity_id}"): {"owner", "admin", "member"},
    ("POST", "/api/v1/logging/communications/{activity_id}/resolve"): {"owner", "admin", "member"},
    ("POST", "/api/v1/logging/communications/{activity_id}/relog"): {"owner", "admin", "member"},
    ("GET", "/api/v1/logging/connections"): READERS,
    ("DELETE", "/api/v1/logging/connections/{connection_id}"): MANAGERS,
    ("GET", "/api/v1/logging/preferences"): ALL,
    ("PUT", "/api/v1/logging/preferences/organization"): MANAGERS,
    ("PUT", "/api/v1/logging/preferences/me"): {"owner", "admin", "member"},
    ("GET", "/api/v1/logging/conversations"): ALL,
    ("POST", "/api/v1/logging/conversations"): {"owner", "admin", "member"},
    ("DELETE", "/api/v1/logging/conversations/{conversation_id}"): {"owner", "admin", "member"},
    ("GET", "/api/v1/me"): ALL,
    ("GET", "/api/v1/organization"): ALL,
    ("PATCH", "/api/v1/organization"): MANAGERS,
    ("GET", "/api/v1/members"): ALL,
    ("POST", "/api/v1/members"): MANAGERS,
    ("GET", "/api/v1/members/{member_id}"): ALL,
    ("PATCH", "/api/v1/members/{member_id}"): MANAGERS,
    ("DELETE", "/api/v1/members/{member_id}"): MANAGERS,
    ("GET", "/api/v1/tokens"): ALL,
    ("POST", "/api/v1/tokens"): ALL,
    ("GET", "/api/v1/tokens/{token_id}"): ALL,
    ("DELETE", "/api/v1/tokens/{token_id}"): ALL,
    ("GET", "/api/v1/jobs"): READERS,
    ("POST", "/api/v1/jobs/selftest"): MANAGERS,
    ("GET", "/api/v1/jobs/{job_id}"): READERS,
    ("POST", "/api/v1/jobs/{job_id}/retry"): MANAGERS,
    ("GET", "/api/v1/audit"): READERS,
    ("GET", "/api/v1/credentials"): MANAGERS,
    ("PUT", "/api/v1/credentials"): MANAGERS,
    ("DELETE", "/api/v1/credentials/{credential_id}"): MANAGERS,
    ("GET", "/api/v1/organization/export"): MANAGERS,
    ("GET", "/api/v1/organization/deletion"): MANAGERS,
    ("POST", "/api/v1/organization/deletion"): {"owner"},
    ("DELETE", "/api/v1/organization/deletion"): {"owner"},
    ("GET", "/api/v1/support-sessions/consent"): ALL,
    ("POST", "/api/v1/support-sessions"): MANAGERS,
    ("GET", "/api/v1/support-sessions"): MANAGERS,
    ("GET", "/api/v1/support-sessions/{session_id}"): MANAGERS,
}

BODIES = {
    ("PATCH", "/api/v1/logging/communications/{activity_id}"): {"notes": "Call back Tuesday."},
    ("POST", "/api/v1/logging/communications/{activity_id}/resolve"): {"candidate": 0},
    ("PUT", "/api/v1/logging/preferences/organization"): {"log_voicemail": False},
    ("PUT", "/api/v1/logging/preferences/me"): {"log_voicemail": False},
    ("POST", "/api/v1/logging/conversations"): {"number": "+16505550123", "scope": "me"},
    ("PATCH", "/api/v1/organization"): {"name": "Renamed"},
    ("POST", "/api/v1/members"): {"email": "new@alpha.example", "role": "member"},
    ("PATCH", "/api/v1/members/{member_id}"): {"role": "auditor"},
    ("POST", "/api/v1/tokens"): {"name": "extra"},
    ("PUT", "/api/v1/credentials"): {"purpose": "crm:test:api-key", "name": "n", "value": "v"},
    ("POST", "/api/v1/support-sessions"): {"consent": True, "consent_text": CONSENT_TEXT},
}
# Routes that act on something the organization must have first.
PREPARE = {
    ("GET", "/api/v1/organization/deletion"): objects.scheduled_deletion,
    ("DELETE", "/api/v1/organization/deletion"): objects.scheduled_deletion,
    # a member's own settings need their phone extension (found by email)
    ("PUT", "/api/v1/logging/preferences/me"): objects.members_with_extensions,
    ("POST", "/api/v1/logging/conversations"): objects.members_with_extensions,
}


def _own_token_id(runtime, org, token):
    with runtime.db.tenant(org.id) as s:
        return s.scalars(select(ApiToken.id).where(ApiToken.token_hash == hash_token(token))).one()


def _params(runtime, org, path, caller_token):
    if "{member_id}" in path:
        return {"member_id": objects.new_member(runtime, org)}
    if "{token_id}" in path:
        return {"token_id": _own_token_id(runtime, org, caller_token)}
    if "{job_id}" in path:
        return {"job_id": objects.dead_job(runtime, org)}
    if "{credential_id}" in path:
        return {"credential_id": objects.credential(runtime, org)}
    if "{activity_id}" in path:
        return {"activity_id": logging_objects.ambiguous_activity(runtime, org)}
    if "{session_id}" in path:
        return {"session_id": objects.support_session(runtime, org)}
    if "{conversation_id}" in path:  # the caller's own: a member may remove it
        return {"conversation_id": objects.own_chosen_conversation(runtime, org, caller_token)}
    if "{connection_id}" in path:
        from tests.web.test_disconnect import crm_connection

        return {"connection_id": crm_connection(runtime, org)}
    return {}


def test_the_table_covers_every_route(app):
    assert sorted(EXPECTED) == api_routes(app)


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize("route", sorted(EXPECTED))
def test_each_role_gets_exactly_what_the_table_says(runtime, client, alpha, role, route):
    method, path = route
    if role == "owner":
        token = alpha.token
    else:
        _, token = member_token(runtime, alpha, f"{role}@alpha.example", Role(role))
    params = _params(runtime, alpha, path, token)
    if route in PREPARE:
        PREPARE[route](runtime, alpha)
    response = client.request(
        method, path.format(**params), headers={"Authorization": f"Bearer {token}"}, json=BODIES.get(route)
    )
    if role in EXPECTED[route]:
        assert response.status_code < 400, f"{role} refused on {method} {path}: {response.text}"
    else:
        assert response.status_code == 403, f"{role} allowed on {method} {path}: {response.status_code}"
        assert response.json()["error"]["code"] == "forbidden"
        assert "ask an organization" in response.json()["error"]["hint"]
