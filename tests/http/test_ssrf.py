import socket

import httpx
import pytest
from pydantic import SecretStr

from callbridge.config import load_settings
from callbridge.http.client import HttpClient
from callbridge.http.ssrf import DestinationGuard, UnsafeDestination, is_public_address
from callbridge.pipelines.archive.storage import store_from_settings


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


# -- storage URLs (archive) ------------------------------------------------------------------------


def _archive_settings(tmp_path, **values):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    return load_settings(data_dir=tmp_path, keys=None, database_url=db, **values)


@pytest.fixture
def corporate_dns(monkeypatch):
    """A name that resolves to a private address (what an internal DNS zone would answer)."""
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "minio.corp.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", 9000))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


@pytest.mark.parametrize(
    ("endpoint", "shown"),
    [
        ("http://127.0.0.1:9000", "127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://10.1.2.3:9000", "10.1.2.3"),
        ("https://192.168.0.10", "192.168.0.10"),
        ("http://[::1]:9000", "::1"),
        ("http://localhost:9000", "localhost"),
        ("http://minio.corp.example:9000", "minio.corp.example"),
    ],
)
def test_an_s3_endpoint_on_a_private_address_is_refused_naming_the_setting_and_the_fix(
    tmp_path, corporate_dns, endpoint, shown
):
    settings = _archive_settings(
        tmp_path, archive_storage_url="s3://archive/prefix", archive_s3_endpoint_url=endpoint
    )
    with pytest.raises(UnsafeDestination) as refused:
        store_from_settings(settings)
    error = refused.value
    assert error.field == "archive_s3_endpoint_url"
    assert f"CALLBRIDGE_ARCHIVE_S3_ENDPOINT_URL={endpoint!r}" in error.message and shown in error.message
    assert "CALLBRIDGE_ALLOW_PRIVATE_DESTINATIONS=true" in (error.hint or "")


def test_the_error_says_what_the_name_resolved_to_and_masks_a_password(tmp_path, corporate_dns):
    settings = _archive_settings(
        tmp_path,
        archive_storage_url="s3://archive",
        archive_s3_endpoint_url="http://user:hunter2@minio.corp.example:9000",
    )
    with pytest.raises(UnsafeDestination) as refused:
        store_from_settings(settings)
    assert "resolves to 10.20.30.40" in refused.value.message
    assert "hunter2" not in str(refused.value) and ":***@" in refused.value.message


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("sftp://127.0.0.1/archive", "archive_storage_url"),
        ("webdav://169.254.169.254/dav", "archive_storage_url"),
        ("simplecache::sftp://10.0.0.8/archive", "archive_storage_url"),
        ("simplecache::s3://bucket/archive", "archive_s3_endpoint_url"),
    ],
)
def test_any_remote_fsspec_url_is_checked(tmp_path, url, field):
    settings = _archive_settings(tmp_path, archive_storage_url=url, archive_s3_endpoint_url="http://127.0.0.1:1")
    with pytest.raises(UnsafeDestination) as refused:
        store_from_settings(settings)
    assert refused.value.field == field


def test_an_endpoint_that_is_not_http_is_refused(tmp_path):
    settings = _archive_settings(tmp_path, archive_storage_url="s3://b", archive_s3_endpoint_url="ftp://8.8.8.8")
    with pytest.raises(UnsafeDestination, match="is not an http"):
        store_from_settings(settings)


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:9000", "http://169.254.169.254", "http://[::1]:9000", "http://10.9.8.7"]
)
def test_the_operator_can_allow_private_storage(tmp_path, endpoint):
    settings = _archive_settings(
        tmp_path,
        archive_storage_url="s3://archive/prefix",
        archive_s3_endpoint_url=endpoint,
        allow_private_destinations=True,
    )
    assert store_from_settings(settings).url == "s3://archive/prefix"


@pytest.mark.parametrize("url", [None, "/srv/archive", "file:///srv/archive", "memory://archive", "s3://bucket"])
def test_local_paths_named_buckets_and_cloud_endpoints_are_not_network_hosts(tmp_path, url):
    settings = _archive_settings(tmp_path, archive_storage_url=url)
    store_from_settings(settings)  # no endpoint: the cloud's own S3, no private host to refuse


def test_nothing_is_written_when_the_endpoint_is_refused(runtime, tmp_path):
    """With moto on loopback and no allowance, the archive is refused before the probe writes."""
    import boto3
    from moto.server import ThreadedMotoServer

    from callbridge.pipelines.archive.service import prepare

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s",
                          region_name="us-east-1")
        s3.create_bucket(Bucket="guarded")
        settings = runtime.settings
        settings.archive_storage_url = "s3://guarded/prefix"
        settings.archive_s3_endpoint_url = endpoint
        settings.archive_s3_key, settings.archive_s3_secret = SecretStr("k"), SecretStr("s")
        with pytest.raises(UnsafeDestination):
            prepare(runtime)
        assert s3.list_objects_v2(Bucket="guarded").get("KeyCount", 0) == 0
        settings.allow_private_destinations = True  # the operator allows it: the same store works
        store = prepare(runtime)
        with store.temp_writer("probe/ok.bin") as fh:
            fh.write(b"ok")
        store.commit("probe/ok.bin")
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="guarded")["Contents"]] == ["prefix/probe/ok.bin"]
    finally:
        server.stop()
