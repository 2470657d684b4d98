"""classify_response: status codes to typed errors, with short, actionable messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from callbridge.connectors.base import (
    AuthExpired,
    Conflict,
    ConnectorError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from callbridge.connectors.http import classify_response

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def answer(status: int, body: object = None, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers, request=httpx.Request("GET", "https://x.test/"))


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"category": "INVALID_AUTHENTICATION", "message": "revoked"}, AuthExpired),
        (
            403,
            {"category": "MISSING_SCOPES", "context": {"requiredGranularScopes": ["a.b"]}},
            PermissionDenied,
        ),
        (404, [{"errorCode": "NOT_FOUND", "message": "gone"}], NotFound),
        (410, None, NotFound),
        (409, {"message": "exists"}, Conflict),
        (300, ["/a", "/b"], Conflict),
        (400, {"success": False, "error": "bad", "error_info": "more"}, InvalidInput),
        (422, {"error": {"message": "nope", "type": "x"}}, InvalidInput),
        (423, {}, RateLimited),
        (429, {"errorType": "RATE_LIMIT", "policyName": "DAILY"}, RateLimited),
        (500, None, Unavailable),
        (503, "down", Unavailable),
    ],
)
def test_status_codes_become_typed_errors(status: int, body: object, error: type[ConnectorError]) -> None:
    with pytest.raises(error) as caught:
        classify_response("ExampleCRM", answer(status, body), action="log the call", now=NOW)
    assert str(caught.value).startswith("ExampleCRM: ")
    assert caught.value.hint, "every error says what to do"
    assert error.retryable == (error in (RateLimited, Unavailable))


def test_success_passes() -> None:
    classify_response("ExampleCRM", answer(201, {"id": "1"}))


def test_scope_and_field_are_named() -> None:
    with pytest.raises(PermissionDenied) as denied:
        classify_response(
            "HubSpot",
            answer(
                403,
                {
                    "category": "MISSING_SCOPES",
                    "context": {"requiredGranularScopes": ["crm.objects.contacts.write"]},
                },
            ),
            action="create a placeholder contact",
            permission_hint="reconnect with it or turn off placeholder contacts",
        )
    assert denied.value.scope == "crm.objects.contacts.write"
    assert "lacks the crm.objects.contacts.write scope" in str(denied.value)
    with pytest.raises(InvalidInput) as invalid:
        classify_response(
            "Salesforce",
            answer(400, [{"errorCode": "INVALID_FIELD", "message": "No such column", "fields": ["Foo__c"]}]),
        )
    assert invalid.value.field == "Foo__c" and "in field Foo__c" in str(invalid.value)


def test_retry_after_is_honoured() -> None:
    with pytest.raises(RateLimited) as caught:
        classify_response("X", answer(429, {}, {"Retry-After": "7"}), now=NOW)
    assert caught.value.retry_after == timedelta(seconds=7)


def test_bodies_are_never_echoed_whole() -> None:
    secret_body = {"message": "m" * 1000, "debug": {"access_token": "tok-secret-123"}}
    with pytest.raises(InvalidInput) as caught:
        classify_response("X", answer(400, secret_body))
    assert "tok-secret-123" not in str(caught.value)
    assert len(str(caught.value)) < 400


def test_extra_rules_come_first() -> None:
    def rule(crm: str, detail: object, action: str) -> ConnectorError | None:
        return RateLimited(crm, "limit", retry_after=timedelta(minutes=15), hint="wait")

    with pytest.raises(RateLimited):
        classify_response("Salesforce", answer(403, [{"errorCode": "REQUEST_LIMIT_EXCEEDED"}]), rules=[rule])


def test_a_listing_that_never_ends_is_an_outage_not_a_loop():
    from callbridge.connectors.base import Unavailable
    from callbridge.connectors.http import pages

    followed = []
    with pytest.raises(Unavailable, match="kept returning further pages after 3") as caught:
        for n in pages("Clio", "find a contact", limit=3):
            followed.append(n)
    assert followed == [0, 1, 2]
    assert "report it to the CRM" in (caught.value.hint or "")
