"""A declarative connector's base URL is written by a tenant admin: it may not point inside."""

import httpx
import pytest

from callbridge.connectors.credentials import MemoryCredentialStore
from callbridge.connectors.registry import ConnectorContext, get_connector
from callbridge.http.ssrf import DestinationGuard, UnsafeDestination


def _connector(base_url: str, sent: list, guard=None):
    store = MemoryCredentialStore({"api_key:org": {"api_key": "k"}})
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={"contacts": []}))
    ctx = ConnectorContext(
        credentials=store, options={"base_url": base_url}, transport=transport, guard=guard
    )
    return get_connector("generic_rest").build(ctx)


@pytest.mark.parametrize(
    "base_url", ["http://169.254.169.254/latest", "http://127.0.0.1:6379", "http://10.1.2.3"]
)
async def test_a_manifest_pointing_inside_is_refused_before_any_request(base_url):
    sent: list = []
    connector = _connector(base_url, sent)
    with pytest.raises(UnsafeDestination, match="loopback, link-local or private"):
        await connector.find_contact("+16505550101")
    assert sent == []
    await connector.aclose()


async def test_the_operator_can_allow_a_crm_on_the_private_network():
    sent: list = []
    connector = _connector("http://10.1.2.3", sent, guard=DestinationGuard(allow_private=True))
    assert list(await connector.find_contact("+16505550101")) == []
    assert sent and all(r.url.host == "10.1.2.3" for r in sent)
    await connector.aclose()
