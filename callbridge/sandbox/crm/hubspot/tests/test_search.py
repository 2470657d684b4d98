"""HubSpot contact search by phone: stored-as-entered vs normalised digits; 0/1/many; shape."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.testing import client_for, real_sample
from callbridge.sandbox.crm.hubspot import HubSpotSandboxConfig, create_app
from callbridge.sandbox.crm.hubspot.config import PRIVATE_APP_TOKEN

AUTH = {"Authorization": f"Bearer {PRIVATE_APP_TOKEN}"}
CALC = "hs_searchable_calculated_phone_number"


def _search(client: TestClient, *filters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"filterGroups": [{"filters": [f]} for f in filters], **extra}
    answer = client.post("/crm/v3/objects/contacts/search", json=body, headers=AUTH)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _names(result: dict[str, Any]) -> list[str]:
    return sorted(r["properties"]["firstname"] for r in result["results"])


@pytest.mark.parametrize(("digits", "expected"), [
    ("6505550100", ["Ada", "Byron"]),      # "(650) 555-0100" twice: many
    ("6505550101", ["Alan"]),              # "6505550101": one
    ("6505550199", []),                    # nobody
    ("16505550102", ["Grace"]),            # "+1 650-555-0102 x12": extension cut
    ("442079460958", ["Tim"]),             # "+44 20 7946 0958"
    ("02079460959", ["Ravi"]),             # national "020 7946 0959"
    ("03012345678", ["Hans"]),             # national "030 12345678"
])
def test_normalised_phone_eq_finds_zero_one_many(
    client: TestClient, digits: str, expected: list[str]
) -> None:
    found = _search(client, {"propertyName": CALC, "operator": "EQ", "value": digits},
                    properties=["firstname", "phone"])
    assert _names(found) == expected
    assert found["total"] == len(expected)


def test_stored_phone_is_matched_as_entered(client: TestClient) -> None:
    exact = {"propertyName": "phone", "operator": "EQ", "value": "(650) 555-0100"}
    assert _names(_search(client, exact, properties=["firstname"])) == ["Ada", "Byron"]
    digits_only = {"propertyName": "phone", "operator": "EQ", "value": "6505550100"}
    assert _search(client, digits_only)["total"] == 0


def test_or_of_groups_finds_number_in_phone_or_mobile(client: TestClient) -> None:
    found = _search(
        client, {"propertyName": CALC, "operator": "EQ", "value": "14155550198"},
        {"propertyName": "hs_searchable_calculated_mobile_number", "operator": "EQ",
         "value": "14155550198"}, properties=["firstname"])
    assert _names(found) == ["Jane"]


def test_in_operator_over_number_variants(client: TestClient) -> None:
    flt = {"propertyName": CALC, "operator": "IN", "values": ["6505550102", "16505550102"]}
    assert _names(_search(client, flt, properties=["firstname"])) == ["Grace"]


def test_national_digits_normaliser_drops_country_code(clock: VirtualClock) -> None:
    client = client_for(create_app(
        HubSpotSandboxConfig(searchable_phone_format="national_digits"), clock))
    flt = {"propertyName": CALC, "operator": "EQ", "value": "6505550102"}
    assert _names(_search(client, flt, properties=["firstname"])) == ["Grace"]


def test_free_text_query_matches_phone_digits_and_names(client: TestClient) -> None:
    assert _names(_search(client, query="6505550101", properties=["firstname"])) == ["Alan"]
    assert _names(_search(client, query="lovel", properties=["firstname"])) == ["Ada", "Byron"]


def test_paging_uses_after_cursor_strings(client: TestClient) -> None:
    first = _search(client, {"propertyName": "lastname", "operator": "HAS_PROPERTY"}, limit=4)
    assert first["paging"]["next"]["after"] == "4"
    second = _search(client, {"propertyName": "lastname", "operator": "HAS_PROPERTY"},
                     limit=4, after=first["paging"]["next"]["after"])
    assert {r["id"] for r in first["results"]}.isdisjoint({r["id"] for r in second["results"]})


def test_too_many_filter_groups_is_a_validation_error(client: TestClient) -> None:
    groups = [{"filters": [{"propertyName": "phone", "operator": "HAS_PROPERTY"}]}] * 6
    answer = client.post("/crm/v3/objects/contacts/search", json={"filterGroups": groups},
                         headers=AUTH)
    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR"
    assert "filter groups" in answer.json()["message"]


def test_search_response_has_the_shape_of_hubspots_own_example(client: TestClient) -> None:
    sample = real_sample("hubspot_contacts_search_response_doc_example.json")
    found = _search(client, {"propertyName": "email", "operator": "CONTAINS_TOKEN",
                             "value": "*@example.com"})
    assert set(found) >= set(sample)
    ours, theirs = found["results"][0], sample["results"][0]
    assert set(theirs) <= set(ours) <= set(theirs) | {"url"}
    assert set(ours["properties"]) == set(theirs["properties"])
    assert all(isinstance(v, str) for v in ours["properties"].values())


def test_search_result_matches_the_recorded_companies_response(client: TestClient) -> None:
    recorded = real_sample("hubspot_companies_search_response_recorded.json")
    answer = client.post("/crm/v3/objects/companies/search", headers=AUTH,
                         json=recorded["request_body"] | {"filterGroups": [{"filters": [
                             {"propertyName": "domain", "operator": "EQ",
                              "value": "example.com"}]}]})
    assert answer.status_code == recorded["status"]
    ours, theirs = answer.json()["results"][0], recorded["response"]["results"][0]
    assert set(ours) == set(theirs)
    assert set(ours["properties"]) == set(theirs["properties"])


def test_search_results_validate_against_the_published_schema(client: TestClient) -> None:
    schemas = real_sample("hubspot_schemas.json")["contacts_components"]["schemas"]
    envelope = schemas["CollectionResponseWithTotalSimplePublicObject"]
    item = schemas["SimplePublicObject"]
    found = _search(client, {"propertyName": "lastname", "operator": "HAS_PROPERTY"}, limit=3)
    assert set(envelope["required"]) <= set(found) <= set(envelope["properties"])
    for result in found["results"]:
        assert set(item["required"]) <= set(result) <= set(item["properties"])
