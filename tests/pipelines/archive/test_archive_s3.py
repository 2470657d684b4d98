"""Acceptance 1 and 6 on S3: a moto server on 127.0.0.1 (no network) stands in for S3."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from callbridge.db.models import ArchivedCall, ArchivedObject
from callbridge.pipelines.archive.run import Archiver
from callbridge.pipelines.archive.service import prepare
from callbridge.pipelines.archive.storage import StorageError
from callbridge.pipelines.archive.verify import verify
from callbridge.sandbox.ringcentral.server import running_server
from tests.factories import make_organization
from tests.pipelines.archive.test_cli import _cli, _env
from tests.platforms.ringcentral.support import connect, open_rc, sandbox, seed, served, virtual_sleep

KEY, SECRET = "archive-key", "archive-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _bucket(endpoint: str) -> tuple[str, object]:
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
    )
    name = f"archive-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=name)
    return name, s3


def _keys(s3, bucket: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def _use_s3(runtime, endpoint: str, bucket: str, key: str = KEY, secret: str = SECRET) -> None:
    s = runtime.settings
    s.archive_storage_url = f"s3://{bucket}/prefix"
    s.archive_s3_endpoint_url = endpoint
    s.archive_s3_key = SecretStr(key)
    s.archive_s3_secret = SecretStr(secret)
    s.allow_private_destinations = True  # moto listens on loopback: the operator allows it (SSRF guard)


def test_archive_to_s3_verifies_and_a_second_run_fetches_nothing(runtime, clock, moto_endpoint):
    bucket, s3 = _bucket(moto_endpoint)
    _use_s3(runtime, moto_endpoint, bucket)
    app = sandbox(clock)
    seed(app, clock, days=3)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    store = prepare(runtime)  # probes the bucket
    since = clock.now() - timedelta(days=4)

    async def run():
        rc = open_rc(runtime, org.id, app, clock)
        try:
            return await Archiver(runtime, org.id, rc, store, sleep=virtual_sleep(clock)).run(date_from=since)
        finally:
            await rc.aclose()

    async def check():
        rc = open_rc(runtime, org.id, app, clock)
        try:
            return await verify(runtime, org.id, rc, store, since, clock.now())
        finally:
            await rc.aclose()

    first = asyncio.run(run())
    assert first.errors == [] and first.throttled == 0
    assert first.datasets["recordings"].downloaded > 0 and first.datasets["attachments"].downloaded > 0
    with runtime.db.tenant(org.id) as s:
        objects = list(s.scalars(select(ArchivedObject)))
    assert objects and all(o.status == "stored" for o in objects)
    keys = _keys(s3, bucket)
    assert sorted(keys) == sorted(f"prefix/{o.path}" for o in objects)  # no .part, no probe left behind
    body = s3.get_object(Bucket=bucket, Key=f"prefix/{objects[0].path}")["Body"].read()
    assert len(body) == objects[0].size

    report = asyncio.run(check())
    assert report.ok, report.gaps
    assert report.objects_checked == len(objects)

    before = len(served(app, "/content"))
    second = asyncio.run(run())
    assert second.fetched == 0 and second.errors == []
    assert len(served(app, "/content")) == before
    assert sorted(_keys(s3, bucket)) == sorted(keys)


def test_bad_s3_credentials_are_refused_before_anything_is_fetched(runtime, moto_endpoint, monkeypatch):
    """moto checks signatures once its IAM auth is on: an unknown key and a wrong secret are refused."""
    from moto import settings as moto_settings

    bucket, s3 = _bucket(moto_endpoint)  # created while auth is still off
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    _use_s3(runtime, moto_endpoint, bucket, secret="wrong-secret")
    with pytest.raises(StorageError) as refused:
        prepare(runtime)
    assert "is not writable" in refused.value.message
    assert "wrong-secret" not in str(refused.value)
    monkeypatch.undo()
    assert _keys(s3, bucket) == []


@pytest.mark.parametrize("problem", ["wrong secret", "missing bucket"])
def test_cli_run_with_bad_s3_settings_exits_non_zero_and_archives_nothing(
    runtime, clock, tmp_path, moto_endpoint, monkeypatch, problem
):
    from moto import settings as moto_settings

    bucket, s3 = _bucket(moto_endpoint)
    app = sandbox(clock)
    seed(app, clock, days=2)
    org = make_organization(runtime, "acme")
    target = bucket if problem == "wrong secret" else f"{bucket}-missing"
    extra = {
        "CALLBRIDGE_ARCHIVE_S3_ENDPOINT_URL": moto_endpoint,
        "CALLBRIDGE_ALLOW_PRIVATE_DESTINATIONS": "true",  # moto on loopback (SSRF guard)
        "CALLBRIDGE_ARCHIVE_S3_KEY": KEY,
        "CALLBRIDGE_ARCHIVE_S3_SECRET": "wrong-secret" if problem == "wrong secret" else SECRET,
        "AWS_MAX_ATTEMPTS": "1",
    }
    if problem == "wrong secret":
        monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    with running_server(app) as base:
        connect(runtime, org.id, app, base=base)
        done = _cli(_env(runtime, f"s3://{target}/prefix", **extra), "run", "--org", "acme", timeout=60)
    monkeypatch.undo()
    output = " ".join((done.stderr + done.stdout).split())
    assert done.returncode != 0
    assert f"The archive storage 's3://{target}/prefix' is not writable" in output
    assert "CALLBRIDGE_ARCHIVE_S3_KEY/SECRET" in output  # says what to check
    assert "wrong-secret" not in output
    assert [r for r in app.state.sandbox.request_log if r["path"].startswith("/restapi")] == []
    with runtime.db.tenant(org.id) as s:
        assert s.scalar(select(func.count()).select_from(ArchivedCall)) == 0
    assert _keys(s3, bucket) == []
