from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.testing import client_for
from callbridge.sandbox.crm.hubspot import HubSpotSandbox, HubSpotSandboxConfig, create_app
from callbridge.sandbox.crm.hubspot.config import PRIVATE_APP_TOKEN


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def config() -> HubSpotSandboxConfig:
    return HubSpotSandboxConfig()


@pytest.fixture
def client(config: HubSpotSandboxConfig, clock: VirtualClock) -> TestClient:
    return client_for(create_app(config, clock))


@pytest.fixture
def box(client: TestClient) -> HubSpotSandbox:
    sandbox: HubSpotSandbox = client.app.state.sandbox  # type: ignore[attr-defined]
    return sandbox


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {PRIVATE_APP_TOKEN}"}
