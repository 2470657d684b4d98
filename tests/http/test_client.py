"""The outbound HTTP layer, against an in-process transport (no network, no sleeping)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest

from callbridge.clock import VirtualClock
from callbridge.http.client import HttpClient, TransportFailure, parse_retry_after


class Script:
    """Answers requests from a list of responses (or exceptions), recording what was sent."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def sleeps():
    return []


def _client(script, sleeps, **kwargs):
    async def fake_sleep(seconds):
        sleeps.append(seconds)

    return HttpClient(
        "TestCRM",
        base_url="https://crm.test",
        transport=httpx.MockTransport(script),
        sleep=fake_sleep,
        clock=VirtualClock(datetime(2026, 5, 1, tzinfo=UTC)),
        **kwargs,
    )


async def test_a_get_is_retried_on_5xx_then_succeeds(sleeps):
    script = Script(httpx.Response(502), httpx.Response(500), httpx.Response(200, json={"ok": True}))
    async with _client(script, sleeps) as client:
        response = await client.get("/contacts")
    assert response.status_code == 200
    assert len(script.requests) == 3
    assert len(sleeps) == 2 and sleeps[1] >= sleeps[0] * 0.5


async def test_a_post_is_not_resent_after_a_500(sleeps):
    script = Script(httpx.Response(500), httpx.Response(201))
    async with _client(script, sleeps) as client:
        response = await client.post("/calls", json={})
    assert response.status_code == 500
    assert len(script.requests) == 1


async def test_a_post_may_be_resent_when_the_caller_says_it_is_an_upsert(sleeps):
    script = Script(httpx.Response(500), httpx.Response(200))
    async with _client(script, sleeps) as client:
        response = await client.post("/upsert", json={}, retry_unsafe=True)
    assert response.status_code == 200


async def test_429_waits_for_retry_after_even_for_a_post(sleeps):
    script = Script(httpx.Response(429, headers={"Retry-After": "37"}), httpx.Response(201))
    async with _client(script, sleeps) as client:
        response = await client.post("/calls", json={})
    assert response.status_code == 201
    assert sleeps == [37.0]


async def test_retry_after_as_an_http_date(sleeps):
    script = Script(
        httpx.Response(503, headers={"Retry-After": "Fri, 01 May 2026 00:02:00 GMT"}), httpx.Response(200)
    )
    async with _client(script, sleeps) as client:
        await client.get("/x")
    assert sleeps == [120.0]


async def test_gives_up_after_max_retries_and_returns_the_last_response(sleeps):
    script = Script(*[httpx.Response(503)] * 3)
    async with _client(script, sleeps, max_retries=2) as client:
        response = await client.get("/x")
    assert response.status_code == 503
    assert len(script.requests) == 3


async def test_connection_failures_are_retried_then_reported_clearly(sleeps):
    request = httpx.Request("GET", "https://crm.test/x?access_token=at-secret")
    script = Script(*[httpx.ConnectError("refused", request=request)] * 3)
    async with _client(script, sleeps, max_retries=2) as client:
        with pytest.raises(TransportFailure) as caught:
            await client.get("/x", params={"access_token": "at-secret"})
    message = str(caught.value)
    assert "TestCRM could not be reached (ConnectError)" in message
    assert "at-secret" not in message
    assert len(script.requests) == 3


async def test_a_read_timeout_on_a_post_is_not_retried(sleeps):
    request = httpx.Request("POST", "https://crm.test/calls")
    script = Script(httpx.ReadTimeout("slow", request=request), httpx.Response(201))
    async with _client(script, sleeps) as client:
        with pytest.raises(TransportFailure):
            await client.post("/calls", json={})
    assert len(script.requests) == 1


async def test_4xx_is_returned_at_once(sleeps):
    script = Script(httpx.Response(404))
    async with _client(script, sleeps) as client:
        assert (await client.get("/x")).status_code == 404
    assert sleeps == []


async def test_logs_never_carry_tokens_or_authorization(sleeps, caplog):
    from callbridge.http.redaction import RedactingFilter

    caplog.handler.addFilter(RedactingFilter())
    caplog.set_level(logging.INFO, logger="callbridge.http")
    script = Script(httpx.Response(200))
    async with _client(script, sleeps, headers={"Authorization": "Bearer hdr-secret-1"}) as client:
        await client.get("/x", params={"api_key": "q-secret-2"})
    assert script.requests[0].headers["Authorization"] == "Bearer hdr-secret-1"
    assert "TestCRM GET" in caplog.text
    assert "hdr-secret-1" not in caplog.text and "q-secret-2" not in caplog.text


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120), ("0", 0), ("-5", 0), ("99999", 3600), ("soon", None), (None, None), ("1.5", 1.5)],
)
def test_parse_retry_after(value, seconds):
    parsed = parse_retry_after(value, datetime(2026, 5, 1, tzinfo=UTC))
    assert (parsed.total_seconds() if parsed is not None else None) == seconds
