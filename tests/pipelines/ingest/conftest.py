"""A RingCentral sandbox wired to a callbridge app: webhooks in-process, jobs through run_due."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import callbridge.pipelines.ingest.platform as ingest_platform
from callbridge.web.app import create_app
from tests.factories import OrgFixture, make_organization
from tests.platforms.ringcentral.support import connect, sandbox, virtual_sleep


class Recorder(httpx.AsyncBaseTransport):
    """Forwards the sandbox's webhook deliveries to callbridge and keeps a copy to replay."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[tuple[str, dict[str, str], bytes]] = []
        self.enabled = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if body:
            self.sent.append((str(request.url), dict(request.headers), body))
        if not self.enabled:
            raise httpx.ConnectError("callbridge is down", request=request)
        return await self.inner.handle_async_request(request)


@dataclass
class Wired:
    rc: FastAPI
    cb: FastAPI
    org: OrgFixture
    recorder: Recorder
    control: TestClient

    def control_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.control.post(path, json=body)
        assert resp.status_code < 300, resp.text
        return resp.json()


@pytest.fixture
def wired(runtime, clock, monkeypatch):
    runtime.settings.public_url = "http://callbridge.test"
    cb = create_app(runtime)
    recorder = Recorder(httpx.ASGITransport(app=cb))
    rc = sandbox(clock)
    rc.state.sandbox.webhooks.transport = recorder
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, rc)
    real_open = ingest_platform.open_ringcentral

    def open_in_process(rt, org_id, **kw):
        kw["transport"] = httpx.ASGITransport(app=rc)
        kw["sleep"] = virtual_sleep(clock)
        return real_open(rt, org_id, **kw)

    monkeypatch.setattr(ingest_platform, "open_ringcentral", open_in_process)
    with TestClient(rc, base_url="http://rc.test") as control:
        yield Wired(rc, cb, org, recorder, control)
