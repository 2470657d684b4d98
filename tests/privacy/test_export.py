"""Export: one JSON document, valid against the published schema, only this organization, no secret."""

from __future__ import annotations

import json

import jsonschema

from callbridge.privacy.export import SCHEMA_PATH, export_schema, stream_export
from tests.factories import make_organization
from tests.privacy.data import CRM_SECRET, fill
from tests.web import objects


def _export(runtime, org_id) -> tuple[dict, int]:
    chunks = list(stream_export(runtime, org_id))
    return json.loads(b"".join(chunks)), len(chunks)


def _fill(runtime, org):
    objects.credential(runtime, org)
    fill(runtime, org)


def test_the_published_schema_is_current():
    assert json.loads(SCHEMA_PATH.read_text()) == export_schema(), "run 'callbridge docs generate'"


def test_export_is_valid_complete_and_holds_only_this_organization(runtime):
    alpha, bravo = make_organization(runtime, "alpha"), make_organization(runtime, "bravo")
    _fill(runtime, alpha)
    _fill(runtime, bravo)
    document, chunks = _export(runtime, alpha.id)
    jsonschema.validate(document, export_schema())
    tables = document["tables"]
    assert [o["slug"] for o in tables["organizations"]] == ["alpha"]
    assert len(tables["memberships"]) == 2 and len(tables["users"]) == 2
    assert [c["key"] for c in tables["communications"]] == ["ringcentral:call:session-alpha"]
    assert [c["connector"] for c in tables["crm_connections"]] == ["hubspot"]
    assert [o["source_id"] for o in tables["archived_objects"]] == ["rec-alpha"]
    assert tables["dead_letters"][0]["kind"] == "test.always-dies"
    assert len(tables["support_sessions"]) == 1
    text = json.dumps(document)
    assert bravo.id not in text and "bravo" not in text
    assert "value-alpha" not in text  # the sealed credential's value
    assert CRM_SECRET.format(slug="alpha") not in text
    assert "ciphertext" not in text and "token_hash" not in text and "wrapped_key" not in text
    assert chunks > 20, "the document is streamed row by row, not built in memory"


def test_export_through_the_api_is_audited(runtime):
    from fastapi.testclient import TestClient

    from callbridge.web.app import create_app

    alpha = make_organization(runtime, "alpha")
    with TestClient(create_app(runtime)) as client:
        response = client.get("/api/v1/organization/export", headers=alpha.auth)
        audit = client.get("/api/v1/audit", headers=alpha.auth, params={"action": "organization.exported"})
    assert response.status_code == 200
    jsonschema.validate(response.json(), export_schema())
    assert len(audit.json()) == 1
