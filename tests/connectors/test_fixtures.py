"""Fixture-first: each connector parses answers shaped like the real API (checked against the
vendor samples in ../shared/fixtures/real) through an httpx MockTransport."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from callbridge.clock import VirtualClock
from callbridge.connectors.credentials import MemoryCredentialStore
from callbridge.connectors.registry import ConnectorContext, get_connector

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2] / "callbridge" / "connectors"


def fixture(crm: str, name: str) -> object:
    return json.loads((ROOT / crm / "fixtures" / name).read_text())


def keys(value: object, prefix: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            found |= {path} | keys(inner, path)
    elif isinstance(value, list):
        for item in value:
            found |= keys(item, f"{prefix}[]")
    return found


@pytest.mark.parametrize(
    ("crm", "ours", "real"),
    [
        ("hubspot", "contacts_search__one_match.json", "hubspot_contacts_search_response_doc_example.json"),
        ("salesforce", "sosl_search__contact_and_lead.json", "sf_sosl_search_response_doc_example.json"),
    ],
)
async def test_fixtures_have_the_real_shape(shared_fixtures: Path, crm: str, ours: str, real: str) -> None:
    sample = json.loads((shared_fixtures / real).read_text())
    shape = {k for k in keys(sample) if ".properties." not in k and not k.startswith("searchRecords[].")}
    assert shape <= keys(fixture(crm, ours))


def connector_over(crm: str, answers: dict[str, object]):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        for path, body in answers.items():
            if request.url.path.endswith(path):
                return httpx.Response(200, json=body)
        return httpx.Response(404, json={"message": "not in this fixture test"})

    store = MemoryCredentialStore(
        {
            "api_key:org": {"api_key": "k"},
            "token": {"access_token": "t", "instance_url": "https://acme.my.salesforce.com"},
        }
    )
    options = {"auth": "api_key", "account_id": "24681357"} if crm == "hubspot" else {"auth": "oauth"}
    return get_connector(crm).build(
        ConnectorContext(store, options, VirtualClock(), transport=httpx.MockTransport(handler))
    )


async def test_hubspot_contact_search_fixture() -> None:
    connector = connector_over(
        "hubspot",
        {
            "/contacts/search": fixture("hubspot", "contacts_search__one_match.json"),
            "/contacts/51000000004": {"id": "51000000004", "properties": {}},
        },
    )
    [alan] = await connector.find_contact("+16505550101")
    assert (alan.id, alan.type, alan.name) == ("51000000004", "contact", "Alan Turing")
    assert alan.url == "https://app.hubspot.com/contacts/24681357/record/0-1/51000000004"
    await connector.aclose()


async def test_salesforce_sosl_fixture_contact_and_lead() -> None:
    connector = connector_over(
        "salesforce", {"/search": fixture("salesforce", "sosl_search__contact_and_lead.json")}
    )
    found = await connector.find_contact("+16505550101")
    assert [(m.type, m.name) for m in found] == [("Contact", "Alan Turing"), ("Lead", "Al Turing")]
    assert found[1].url == "https://acme.my.salesforce.com/lightning/r/00Q5e00000000GBAAY/view"
    await connector.aclose()
