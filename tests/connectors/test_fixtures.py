"""Fixture-first: each connector parses answers shaped like the real API through an httpx
MockTransport. HubSpot's and Salesforce's are checked against the vendor samples in
../shared/fixtures/real; Pipedrive's and Clio's (no vendor samples) are shaped from
../shared/reference/crm.md, fields beyond it only where the connector reads them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from callbridge.clock import VirtualClock
from callbridge.connectors.base import (
    ActivityDraft,
    ActivityKind,
    AuthExpired,
    Conflict,
    ConnectorError,
    ContactMatch,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Related,
)
from callbridge.connectors.credentials import MemoryCredentialStore
from callbridge.connectors.registry import ConnectorContext, get_connector

pytestmark = pytest.mark.asyncio
ROOT = Path(__file__).resolve().parents[2] / "callbridge" / "connectors"
OPTIONS: dict[str, dict[str, str]] = {
    "hubspot": {"auth": "api_key", "account_id": "24681357"},
    "pipedrive": {"auth": "api_key", "company_domain": "acme"},
}
WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MARKER_SECTION = "[callbridge:ref]\ncbma0d0ece7393adb02790d8eb5\n[/callbridge:ref]"  # rc-session-42


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


@dataclass(frozen=True)
class Reply:
    """A fixture body answered with a status other than 200 (and headers)."""

    status: int
    body: object
    headers: Mapping[str, str] = field(default_factory=dict)


def _route(key: str) -> tuple[str | None, str, dict[str, str]]:
    """``"/path"``, ``"GET /path"`` or ``"GET /path?param=value"`` (params the request must carry)."""
    method, _, rest = key.rpartition(" ")
    path, _, query = rest.partition("?")
    return method or None, path, dict(parse_qsl(query))


def connector_over(crm: str, answers: Mapping[str, object], seen: list[httpx.Request] | None = None):  # type: ignore[no-untyped-def]
    """``crm``'s connector over a MockTransport answering from ``answers`` (most specific route first)."""
    routes = sorted(((_route(k), v) for k, v in answers.items()), key=lambda r: -len(r[0][2]))

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        params = dict(request.url.params)
        for (method, path, query), answer in routes:
            if (method in (None, request.method) and request.url.path.endswith(path)
                    and query.items() <= params.items()):
                reply = answer if isinstance(answer, Reply) else Reply(200, answer)
                return httpx.Response(reply.status, json=reply.body, headers=dict(reply.headers))
        return httpx.Response(404, json={"message": "not in this fixture test"})

    store = MemoryCredentialStore(
        {
            "api_key:org": {"api_key": "k"},
            "token": {"access_token": "t", "instance_url": "https://acme.my.salesforce.com"},
        }
    )
    clock = VirtualClock()

    async def sleep(seconds: float) -> None:  # retries move the virtual clock
        clock.advance(seconds)

    options = OPTIONS.get(crm, {"auth": "oauth"})
    return get_connector(crm).build(
        ConnectorContext(store, options, clock, transport=httpx.MockTransport(handler), sleep=sleep)
    )


def draft(contact: ContactMatch, related: tuple[Related, ...],
          kind: ActivityKind = "call") -> ActivityDraft:
    return ActivityDraft(kind=kind, marker="rc-session-42",
                         subject="Call with Ada", occurred_at=WHEN, contact=contact, related=related,
                         owner_id="11", direction="outbound", duration_seconds=90,
                         body_sections={"summary": "Discussed the renewal."})


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


# -- Pipedrive (api/v2 persons and activities, v1 notes) ---------------------------------
PD = "pipedrive"
ADA_PD = ContactMatch("101", "Person", "Ada Lovelace", "+1 650-555-0100")
DEAL = (Related("7", "deal", "Renewal 2026"),)


async def test_pipedrive_persons_search_two_matches_with_their_open_deals() -> None:
    connector = connector_over(PD, {
        "GET /api/v2/persons/search": fixture(PD, "persons_search__two_matches.json"),
        "GET /api/v2/deals?person_id=101": fixture(PD, "deals_list__open_and_won.json"),
        "GET /api/v2/deals?person_id=102": fixture(PD, "deals_list__none.json"),
    })
    ada, byron = await connector.find_contact("+16505550100")
    assert (ada.id, ada.type, ada.name, ada.phone) == ("101", "Person", "Ada Lovelace", "+1 650-555-0100")
    assert ada.related == DEAL and ada.url == "https://acme.pipedrive.com/person/101"
    assert (byron.name, byron.phone, byron.related) == ("Byron Lovelace", "(650) 555-0100", ())
    await connector.aclose()


async def test_pipedrive_persons_search_loose_hit_on_another_number_is_no_match() -> None:
    connector = connector_over(PD, {"/persons/search": fixture(PD, "persons_search__loose_hit.json")})
    assert await connector.find_contact("+16505550100") == []  # "+49 30 6505550100" holds the digits
    await connector.aclose()


async def test_pipedrive_persons_search_no_match() -> None:
    connector = connector_over(PD, {"/persons/search": fixture(PD, "persons_search__no_match.json")})
    assert await connector.find_contact("+16505550199") == []
    await connector.aclose()


async def test_pipedrive_activity_create_call() -> None:
    seen: list[httpx.Request] = []
    connector = connector_over(PD, {"POST /api/v2/activities": fixture(PD, "activities_create__call.json")},
                               seen)
    call = await connector.create_call_log(draft(ADA_PD, DEAL))
    assert (call.id, call.url) == ("9001", "https://acme.pipedrive.com/activities/9001")
    assert call.fields == {"subject": "Call with Ada", "type": "call", "due_date": "2026-01-05",
                           "due_time": "09:00", "duration": "00:02", "done": True, "deal_id": 7,
                           "person_id": 101}
    assert MARKER_SECTION in call.body
    sent = json.loads(seen[-1].content)
    assert sent["participants"] == [{"person_id": 101, "primary": True}] and sent["deal_id"] == 7
    await connector.aclose()


async def test_pipedrive_activity_get_edited_in_pipedrive() -> None:
    connector = connector_over(PD, {"GET /api/v2/activities/9001": fixture(
        PD, "activities_get__edited_in_pipedrive.json")})
    call = await connector.get_call_log("9001")
    assert call.fields["subject"] == "Renewal call (edited)"
    assert call.body.endswith("Ada wants a quote by Friday.") and MARKER_SECTION in call.body
    await connector.aclose()


async def test_pipedrive_note_create_on_person_and_deal() -> None:
    connector = connector_over(PD, {"POST /v1/notes": fixture(PD, "notes_create__on_person_and_deal.json")})
    note = await connector.create_message_log(draft(ADA_PD, DEAL, kind="message"))
    assert (note.id, note.kind, note.fields) == ("501", "message", {"deal_id": 7, "person_id": 101})
    assert note.url == "https://acme.pipedrive.com/person/101" and MARKER_SECTION in note.body
    await connector.aclose()


async def test_pipedrive_notes_list_pages_by_additional_data_pagination() -> None:
    connector = connector_over(PD, {
        "GET /v1/notes?start=0": fixture(PD, "notes_list__first_page_more.json"),
        "GET /v1/notes?start=500": fixture(PD, "notes_list__last_page_with_marker.json"),
    })
    found = await connector.find_activity_by_marker("rc-session-42", "message")
    assert found is not None and found.id == "501"
    assert await connector.find_activity_by_marker("rc-session-43", "message") is None
    await connector.aclose()


PD_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."


@pytest.mark.parametrize(("name", "status", "error", "said"), [
    ("error__unauthorized.json", 401, AuthExpired, "unauthorized access"),
    # the real 403 names no scope: the connector's scope rule words the message itself
    ("error__scope_mismatch.json", 403, PermissionDenied, "lacks the permission for this"),
    ("error__activity_not_found.json", 404, NotFound, "Activity not found"),
    ("error__rate_limited.json", 429, RateLimited, "Request over limit"),
])
async def test_pipedrive_error_body(name: str, status: int, error: type[ConnectorError],
                                    said: str) -> None:
    reply = Reply(status, fixture(PD, name), {"Retry-After": "2"} if status == 429 else {})
    connector = connector_over(PD, {"/api/v2/activities/9001": reply})
    with pytest.raises(error) as caught:
        await connector.get_call_log("9001")
    text = str(caught.value)
    assert text.startswith("Pipedrive: ") and said in text and caught.value.hint, text
    if isinstance(caught.value, PermissionDenied):
        assert caught.value.scope is None
    else:
        assert f"({said}: {PD_INFO})" in text, text
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after.total_seconds() == 2
    await connector.aclose()


# -- Clio (api/v4 contacts, matters, communications) -------------------------------------
CLIO = "clio"
ADA_CLIO = ContactMatch("2001", "Person", "Ada Lovelace", "(650) 555-0100")
MATTER = (Related("3001", "matter", "00012-Lovelace"),)


async def test_clio_contacts_query_follows_paging_next_and_keeps_same_number() -> None:
    seen: list[httpx.Request] = []
    page_two = fixture(CLIO, "contacts_search__last_page.json")  # at meta.paging.next of page one
    connector = connector_over(CLIO, {
        "GET /api/v4/contacts.json?query=6505550100": fixture(CLIO, "contacts_search__first_page.json"),
        "GET /api/v4/contacts.json?query=6505550100&page_token=Mg": page_two,
        "GET /api/v4/matters.json?client_id=2001": fixture(CLIO, "matters_list__open_and_closed.json"),
        "GET /api/v4/matters.json?client_id=2002": fixture(CLIO, "matters_list__none.json"),
    }, seen)
    ada, company = await connector.find_contact("+16505550100")  # 2003 only shares digits in its name
    assert (ada.id, ada.type, ada.name, ada.phone) == ("2001", "Person", "Ada Lovelace", "(650) 555-0100")
    assert ada.related == MATTER and ada.url == "https://app.clio.com/nc/#/contacts/2001"
    assert (company.type, company.phone, company.related) == ("Company", "+1 650-555-0100 x12", ())
    assert seen[0].url.params["fields"] == "id,name,type,phone_numbers{name,number}"
    await connector.aclose()


async def test_clio_contacts_query_no_match() -> None:
    connector = connector_over(CLIO, {"/contacts.json": fixture(CLIO, "contacts_search__no_match.json")})
    assert await connector.find_contact("+16505550199") == []
    await connector.aclose()


async def test_clio_communication_create_phone_call() -> None:
    seen: list[httpx.Request] = []
    connector = connector_over(CLIO, {"POST /api/v4/communications.json": fixture(
        CLIO, "communications_create__phone_call.json")}, seen)
    call = await connector.create_call_log(draft(ADA_CLIO, MATTER))
    assert (call.id, call.url) == ("4001", "https://app.clio.com/nc/#/communications/4001")
    assert call.fields == {"type": "PhoneCommunication", "subject": "Call with Ada",
                           "received_at": "2026-01-05T09:00:00Z", "matter_id": "3001"}
    assert MARKER_SECTION in call.body
    sent = json.loads(seen[-1].content)["data"]
    assert sent["receivers"] == [{"id": 2001, "type": "Contact"}] and sent["matter"] == {"id": 3001}
    await connector.aclose()


async def test_clio_communication_get_gives_the_etag_sent_as_if_match() -> None:
    seen: list[httpx.Request] = []
    edited = fixture(CLIO, "communications_get__edited_in_clio.json")
    connector = connector_over(CLIO, {"/api/v4/communications/4001.json": edited}, seen)
    call = await connector.get_call_log("4001")
    assert call.fields["subject"] == "Renewal call (edited)" and MARKER_SECTION in call.body
    await connector.update_call_log("4001", {}, call.body + "\nmore")
    assert (seen[-1].method, seen[-1].headers["If-Match"]) == ("PATCH", '"8d2e51f07a6c4b90"')
    await connector.aclose()


@pytest.mark.parametrize(("name", "status", "error", "said"), [
    ("error__forbidden.json", 403, PermissionDenied, "Forbidden: You do not have permission"),
    ("error__record_not_found.json", 404, NotFound, "RecordNotFound: The requested record"),
    ("error__api_version_gone.json", 410, InvalidInput, "API version is invalid or has been retired"),
    ("error__precondition_failed.json", 412, Conflict, "PreconditionFailed: The resource has been"),
    ("error__rate_limited.json", 429, RateLimited, "RateLimited: Rate limit exceeded"),
])
async def test_clio_error_body(name: str, status: int, error: type[ConnectorError], said: str) -> None:
    reply = Reply(status, fixture(CLIO, name), {"Retry-After": "12"} if status == 429 else {})
    connector = connector_over(CLIO, {"/api/v4/communications/4001.json": reply})
    with pytest.raises(error) as caught:
        await connector.get_call_log("4001")
    text = str(caught.value)
    assert text.startswith("Clio: ") and said in text and caught.value.hint, text
    if isinstance(caught.value, InvalidInput):
        assert caught.value.field == "api_version"
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after.total_seconds() == 12
    await connector.aclose()
