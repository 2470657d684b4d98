"""Every JSON API route, tried with a valid token of organization A against organization B's
objects: reads find nothing (404), writes change nothing. The route list comes from the app, and
a route without an entry below fails the test, so a new route cannot skip it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from callbridge.db.models import (
    ApiToken,
    ChosenConversation,
    DeletionRequest,
    LoggingPreference,
    Membership,
    Organization,
    SealedSecret,
    SupportSession,
)
from callbridge.privacy.support import CONSENT_TEXT
from tests.pipelines.logging import objects as logging_objects
from tests.web import objects


@dataclass
class Attack:
    """How to aim one route at B: path parameters naming B's objects, and a valid request body."""

    params: Callable[[Any, Any], dict[str, str]] = lambda rt, b: {}
    body: dict[str, Any] | None = None
    prepare: Callable[[Any, Any], object] = lambda rt, b: None  # give B something to leak
    expect: int | None = None  # the status A must get when it differs from the default


ATTACKS: dict[tuple[str, str], Attack] = {
    ("GET", "/api/v1/logging/communications"): Attack(prepare=logging_objects.ambiguous_activity),
    ("GET", "/api/v1/logging/communications/{activity_id}"): Attack(
        lambda rt, b: {"activity_id": logging_objects.ambiguous_activity(rt, b)}
    ),
    ("PATCH", "/api/v1/logging/communications/{activity_id}"): Attack(
        lambda rt, b: {"activity_id": logging_objects.ambiguous_activity(rt, b)}, body={"notes": "hijacked"}
    ),
    ("POST", "/api/v1/logging/communications/{activity_id}/resolve"): Attack(
        lambda rt, b: {"activity_id": logging_objects.ambiguous_activity(rt, b)}, body={"candidate": 0}
    ),
    ("POST", "/api/v1/logging/communications/{activity_id}/relog"): Attack(
        lambda rt, b: {"activity_id": logging_objects.ambiguous_activity(rt, b)}
    ),
    ("GET", "/api/v1/logging/connections"): Attack(prepare=logging_objects.ambiguous_activity),
    ("DELETE", "/api/v1/logging/connections/{connection_id}"): Attack(
        lambda rt, b: {"connection_id": _crm_connection(rt, b)}
    ),
    ("GET", "/api/v1/logging/preferences"): Attack(prepare=objects.lookalike_member_settings),
    ("PUT", "/api/v1/logging/preferences/organization"): Attack(
        prepare=objects.lookalike_member_settings, body={"log_sms": False}
    ),
    # B's directory has an extension with A's owner email: only a lookup across tenants finds one
    ("PUT", "/api/v1/logging/preferences/me"): Attack(
        prepare=objects.lookalike_member_settings, body={"log_fax": True}, expect=409
    ),
    ("GET", "/api/v1/logging/conversations"): Attack(prepare=objects.lookalike_member_settings),
    ("POST", "/api/v1/logging/conversations"): Attack(
        prepare=objects.lookalike_member_settings, body={"number": "+16505550199", "scope": "me"}, expect=409
    ),
    ("DELETE", "/api/v1/logging/conversations/{conversation_id}"): Attack(
        lambda rt, b: {"conversation_id": objects.chosen_conversation(rt, b)}
    ),
    ("GET", "/api/v1/me"): Attack(),
    ("GET", "/api/v1/organization"): Attack(),
    ("PATCH", "/api/v1/organization"): Attack(body={"name": "Hijacked"}),
    ("GET", "/api/v1/members"): Attack(),
    ("POST", "/api/v1/members"): Attack(body={"email": "intruder@alpha.example", "role": "admin"}),
    ("GET", "/api/v1/members/{member_id}"): Attack(lambda rt, b: {"member_id": objects.new_member(rt, b)}),
    ("PATCH", "/api/v1/members/{member_id}"): Attack(
        lambda rt, b: {"member_id": objects.new_member(rt, b)}, body={"role": "admin"}
    ),
    ("DELETE", "/api/v1/members/{member_id}"): Attack(lambda rt, b: {"member_id": objects.new_member(rt, b)}),
    ("GET", "/api/v1/tokens"): Attack(),
    ("POST", "/api/v1/tokens"): Attack(body={"name": "mine"}),
    ("GET", "/api/v1/tokens/{token_id}"): Attack(lambda rt, b: {"token_id": objects.owner_token_id(rt, b)}),
    ("DELETE", "/api/v1/tokens/{token_id}"): Attack(
        lambda rt, b: {"token_id": objects.owner_token_id(rt, b)}
    ),
    ("GET", "/api/v1/jobs"): Attack(),
    ("POST", "/api/v1/jobs/selftest"): Attack(),
    ("GET", "/api/v1/jobs/{job_id}"): Attack(lambda rt, b: {"job_id": objects.dead_job(rt, b)}),
    ("POST", "/api/v1/jobs/{job_id}/retry"): Attack(lambda rt, b: {"job_id": objects.dead_job(rt, b)}),
    ("GET", "/api/v1/audit"): Attack(),
    ("GET", "/api/v1/credentials"): Attack(),
    ("PUT", "/api/v1/credentials"): Attack(body={"purpose": "crm:test:api-key", "name": "x", "value": "v"}),
    ("DELETE", "/api/v1/credentials/{credential_id}"): Attack(
        lambda rt, b: {"credential_id": objects.credential(rt, b)}
    ),
    ("GET", "/api/v1/organization/export"): Attack(prepare=objects.support_session),
    ("GET", "/api/v1/organization/deletion"): Attack(prepare=objects.scheduled_deletion, expect=404),
    ("POST", "/api/v1/organization/deletion"): Attack(prepare=objects.scheduled_deletion),
    ("DELETE", "/api/v1/organization/deletion"): Attack(prepare=objects.scheduled_deletion, expect=404),
    ("GET", "/api/v1/support-sessions/consent"): Attack(),
    ("POST", "/api/v1/support-sessions"): Attack(body={"consent": True, "consent_text": CONSENT_TEXT}),
    ("GET", "/api/v1/support-sessions"): Attack(prepare=objects.support_session),
    ("GET", "/api/v1/support-sessions/{session_id}"): Attack(
        lambda rt, b: {"session_id": objects.support_session(rt, b)}
    ),
}


def _crm_connection(runtime, org) -> str:
    from tests.web.test_disconnect import crm_connection

    return crm_connection(runtime, org)


def api_routes(app) -> list[tuple[str, str]]:
    paths = app.openapi()["paths"]
    return sorted(
        (method.upper(), path) for path, item in paths.items() if path.startswith("/api/") for method in item
    )


def _b_state(runtime, bravo) -> dict[str, Any]:
    with runtime.db.tenant(bravo.id) as s:
        return {
            "org": s.get_one(Organization, bravo.id).name,
            "members": sorted((m.id, m.role.value) for m in s.scalars(select(Membership))),
            "tokens": sorted((t.id, t.revoked_at) for t in s.scalars(select(ApiToken))),
            "secrets": sorted((c.id, c.updated_at) for c in s.scalars(select(SealedSecret))),
            "deletions": sorted((d.id, d.cancelled_at) for d in s.scalars(select(DeletionRequest))),
            "support": sorted(x.id for x in s.scalars(select(SupportSession))),
            "preferences": sorted((p.scope, str(p.settings)) for p in s.scalars(select(LoggingPreference))),
            "chosen": sorted((c.id, c.scope) for c in s.scalars(select(ChosenConversation))),
        }


def test_every_api_route_has_an_attack_written_for_it(app):
    missing = [r for r in api_routes(app) if r not in ATTACKS]
    assert missing == [], f"add an isolation attack for {missing}"
    stale = [r for r in ATTACKS if r not in api_routes(app)]
    assert stale == [], f"remove attacks for routes that are gone: {stale}"


@pytest.mark.parametrize("route", sorted(ATTACKS))
def test_a_token_of_one_organization_cannot_reach_another(runtime, app, client, alpha, bravo, route):
    method, path = route
    attack = ATTACKS[route]
    params = attack.params(runtime, bravo)
    prepared = attack.prepare(runtime, bravo)
    b_job = objects.dead_job(runtime, bravo)
    before = _b_state(runtime, bravo)
    b_ids = [*params.values(), bravo.id, b_job, bravo.owner_membership_id]
    if isinstance(prepared, str):
        b_ids.append(prepared)

    response = client.request(method, path.format(**params), headers=alpha.auth, json=attack.body)

    if attack.expect is not None:
        assert response.status_code == attack.expect, f"{method} {path} answered {response.status_code}"
    elif params:
        assert response.status_code == 404, (
            f"{method} {path} answered {response.status_code}: {response.text}"
        )
        assert response.json()["error"]["code"] == "not_found"
    else:
        assert response.status_code < 400, f"{method} {path} failed for its own organization: {response.text}"
        for b_id in b_ids:
            assert b_id not in response.text, f"{method} {path} leaked {b_id} of organization B"
        assert "bravo" not in response.text
    assert _b_state(runtime, bravo) == before, f"{method} {path} changed organization B"
    assert objects.job_status(runtime, bravo, b_job) == "dead"


@pytest.mark.parametrize("route", sorted(r for r in ATTACKS if r[0] == "GET" and "{" in r[1]))
def test_the_same_objects_are_reachable_by_their_own_organization(runtime, client, bravo, route):
    """The control: B's objects used above are real, so A's 404 means refused, not absent."""
    method, path = route
    params = ATTACKS[route].params(runtime, bravo)
    response = client.request(method, path.format(**params), headers=bravo.auth)
    assert response.status_code == 200, response.text
