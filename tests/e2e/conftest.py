"""Fixtures of the end-to-end tests: RingCentral sandbox + callbridge + a CRM sandbox, in-process."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

import callbridge.pipelines.ingest.platform as ingest_platform
from callbridge.config import Settings
from callbridge.web.app import create_app
from tests.e2e.support import EndToEnd, Switch
from tests.factories import make_organization
from tests.pipelines.logging.support import make_world
from tests.platforms.ringcentral.support import connect, sandbox, virtual_sleep

CRMS = ["hubspot", "salesforce"]


@pytest.fixture
def settings(backend) -> Settings:
    return backend.settings(public_url="https://callbridge.test")


@pytest.fixture(params=CRMS)
def crm(request) -> str:
    return str(request.param)


@pytest.fixture
def e2e(runtime, clock, monkeypatch, crm):
    org = make_organization(runtime, "acme")
    world = make_world(runtime, org, crm)  # sets the clock to a Monday afternoon, connects the CRM
    rc = sandbox(clock)
    webhooks = Switch(httpx.ASGITransport(app=create_app(runtime)))
    rc.state.sandbox.webhooks.transport = webhooks
    connect(runtime, org.id, rc)
    real_open = ingest_platform.open_ringcentral

    def open_in_process(rt, org_id, **kw):
        kw["transport"] = httpx.ASGITransport(app=rc)
        kw["sleep"] = virtual_sleep(clock)
        return real_open(rt, org_id, **kw)

    monkeypatch.setattr(ingest_platform, "open_ringcentral", open_in_process)
    with TestClient(rc, base_url="http://rc.test") as control:
        yield EndToEnd(runtime, org, rc, control, webhooks, world)
