"""Connectors against their sandboxes, in-process: one virtual clock, an ASGI transport."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from callbridge.clock import VirtualClock
from callbridge.connectors.conformance import Harness, sandbox_harness
from callbridge.connectors.registry import get_connector
from callbridge.sandbox.crm import SANDBOXES

BASE_URL = "http://crm.sandbox.test"


@contextlib.asynccontextmanager
async def harness_for(name: str, **config: Any) -> AsyncIterator[Harness]:
    """A connector connected to a fresh sandbox (its profile's sandbox) on a virtual clock."""
    registered = get_connector(name)
    profile = registered.kit_profile
    clock = VirtualClock()
    factory = SANDBOXES[profile.sandbox]
    settings = {**profile.sandbox_config, **config}
    app = factory(_config(profile.sandbox, settings), clock=clock) if settings else factory(clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with sandbox_harness(registered, transport, BASE_URL, clock) as harness:
        harness.session.app = app  # type: ignore[union-attr]
        yield harness


def _config(sandbox: str, settings: dict[str, Any]) -> Any:
    if sandbox == "hubspot":
        from callbridge.sandbox.crm.hubspot.config import HubSpotSandboxConfig

        return HubSpotSandboxConfig(**settings)
    if sandbox == "salesforce":
        from callbridge.sandbox.crm.salesforce.config import SalesforceSandboxConfig

        return SalesforceSandboxConfig(**settings)
    raise LookupError(sandbox)


@pytest.fixture
def harness_factory() -> Callable[..., contextlib.AbstractAsyncContextManager[Harness]]:
    return harness_for
