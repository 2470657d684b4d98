from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.testing import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, client_for
from callbridge.sandbox.crm.salesforce import (
    SalesforceSandbox,
    SalesforceSandboxConfig,
    create_app,
)
from callbridge.sandbox.crm.salesforce.config import SEED_PASSWORD, SEED_SECURITY_TOKEN

API = "/services/data/v60.0"


def password_login(client: TestClient, email: str = "alice@callbridge.test") -> dict[str, str]:
    answer = client.post("/services/oauth2/token", data={
        "grant_type": "password", "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET, "username": email,
        "password": SEED_PASSWORD + SEED_SECURITY_TOKEN})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def config() -> SalesforceSandboxConfig:
    return SalesforceSandboxConfig()


@pytest.fixture
def client(config: SalesforceSandboxConfig, clock: VirtualClock) -> TestClient:
    return client_for(create_app(config, clock))


@pytest.fixture
def box(client: TestClient) -> SalesforceSandbox:
    sandbox: SalesforceSandbox = client.app.state.sandbox  # type: ignore[attr-defined]
    return sandbox


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    return password_login(client)
