import httpx
import pytest

from callbridge.http.client import HttpClient
from callbridge.http.ssrf import DestinationGuard, UnsafeDestination, is_public_address


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/x",
        "http://localhost/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        "http://192.168.1.1/",
        "http://172.16.3.4/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "ftp://example.com/",
    ],
)
async def test_private_and_loopback_destinations_are_refused(url):
    with pytest.raises(UnsafeDestination) as caught:
        await DestinationGuard().check(url)
    assert caught.value.field == "url"


async def test_the_operator_can_allow_private_networks():
    await DestinationGuard(allow_private=True).check("http://10.0.0.5/")


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_pass(address):
    assert is_public_address(address)


async def test_an_http_client_with_a_guard_refuses_before_sending():
    sent = []
    client = HttpClient(
        "GenericCRM",
        base_url="http://127.0.0.1:9",
        guard=DestinationGuard(),
        transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200)),
    )
    with pytest.raises(UnsafeDestination, match="loopback, link-local or private"):
        await client.get("/contacts")
    await client.aclose()
    assert sent == []
