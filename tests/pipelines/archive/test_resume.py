"""A ``.part`` left by a crashed run is resumed with a Range; the sha256 covers the whole object;
a server that ignores the Range, a range that does not fit or a 206 from elsewhere start over."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from callbridge.db.models import ArchivedObject
from callbridge.pipelines.archive.run import Archiver
from callbridge.pipelines.archive.storage import ObjectStore
from callbridge.sandbox.ringcentral.media import recording_blob
from tests.factories import make_organization
from tests.platforms.ringcentral.support import connect, open_rc, sandbox, seed, served, virtual_sleep

SIZE = 50_000


def _run(runtime, org_id, app, clock, store, transport=None, **kw):
    async def go():
        rc = open_rc(runtime, org_id, app, clock, transport)
        try:
            archiver = Archiver(runtime, org_id, rc, store, sleep=virtual_sleep(clock))
            return archiver, await archiver.run(**kw)
        finally:
            await rc.aclose()

    return asyncio.run(go())


@pytest.fixture
def crashed(runtime, clock, tmp_path):
    """Calls listed, one recording half-written to its ``.part`` (what SIGKILL leaves)."""
    app = sandbox(clock, recording_bytes=SIZE)
    seed(app, clock, days=4, calls_per_day=6, recorded_share=0.5)
    org = make_organization(runtime, "acme")
    connect(runtime, org.id, app)
    store = ObjectStore(str(tmp_path / "archive"))
    archiver, _ = _run(
        runtime, org.id, app, clock, store, datasets=("calls",), date_from=clock.now() - timedelta(days=5)
    )
    with runtime.db.tenant(org.id) as s:
        obj = s.scalars(select(ArchivedObject).where(ArchivedObject.kind == "recording").limit(1)).one()
    state = app.state.sandbox
    rec = state.recordings[obj.source_id]
    blob = recording_blob(rec.id, rec.content_type, rec.duration, SIZE)
    path = archiver._target(obj.id)[3](rec.content_type)
    part = Path(store.full(path) + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"".join(blob.iter_range(0, 20_000 - 1)))  # a crash after 20,000 bytes
    state.request_log.clear()
    return app, org, store, obj.source_id, path, blob


def _content_requests(app, recording_id):
    return [r for r in served(app, f"/recording/{recording_id}/content")]


def _check_stored(runtime, org_id, store, recording_id, path, blob):
    with runtime.db.tenant(org_id) as s:
        obj = s.scalars(select(ArchivedObject).where(ArchivedObject.source_id == recording_id)).one()
    whole = blob.read()
    assert obj.status == "stored" and obj.path == path
    assert obj.size == len(whole) == store.size(path)
    assert obj.sha256 == hashlib.sha256(whole).hexdigest() == store.sha256(path)
    assert not store.exists(path + ".part")


def test_a_part_is_resumed_with_a_range_from_its_size(runtime, clock, crashed):
    app, org, store, rec_id, path, blob = crashed
    _, result = _run(runtime, org.id, app, clock, store, datasets=("recordings",))
    assert result.errors == []
    asked = _content_requests(app, rec_id)
    assert [(r["range"], r["status"]) for r in asked] == [("bytes=20000-", 206)]
    _check_stored(runtime, org.id, store, rec_id, path, blob)


class StripRange(httpx.AsyncBaseTransport):
    """A media server without range support: it never sees the Range header."""

    def __init__(self, inner):
        self.inner = inner

    async def handle_async_request(self, request):
        request.headers.pop("Range", None)
        return await self.inner.handle_async_request(request)


class ShiftRange(httpx.AsyncBaseTransport):
    """A server that answers a range starting one byte early, once."""

    def __init__(self, inner):
        self.inner, self.left = inner, 1

    async def handle_async_request(self, request):
        rng = request.headers.get("Range")
        if rng and self.left:
            self.left -= 1
            start = int(rng.removeprefix("bytes=").rstrip("-"))
            request.headers["Range"] = f"bytes={start - 1}-"
        return await self.inner.handle_async_request(request)


def test_a_server_that_ignores_the_range_replaces_the_part(runtime, clock, crashed):
    app, org, store, rec_id, path, blob = crashed
    transport = StripRange(httpx.ASGITransport(app=app))
    _, result = _run(runtime, org.id, app, clock, store, transport, datasets=("recordings",))
    assert result.errors == []
    assert [(r["range"], r["status"]) for r in _content_requests(app, rec_id)] == [(None, 200)]
    _check_stored(runtime, org.id, store, rec_id, path, blob)


def test_a_206_from_elsewhere_drops_the_part_and_starts_over(runtime, clock, crashed):
    app, org, store, rec_id, path, blob = crashed
    transport = ShiftRange(httpx.ASGITransport(app=app))
    _, result = _run(runtime, org.id, app, clock, store, transport, datasets=("recordings",))
    assert result.errors == []
    asked = [(r["range"], r["status"]) for r in _content_requests(app, rec_id)]
    assert asked == [("bytes=19999-", 206), (None, 200)]
    _check_stored(runtime, org.id, store, rec_id, path, blob)


def test_a_part_as_long_as_the_object_gets_416_and_starts_over(runtime, clock, crashed):
    app, org, store, rec_id, path, blob = crashed
    Path(store.full(path) + ".part").write_bytes(blob.read() + b"tail")  # not a prefix of the object
    _, result = _run(runtime, org.id, app, clock, store, datasets=("recordings",))
    assert result.errors == []
    asked = [(r["range"], r["status"]) for r in _content_requests(app, rec_id)]
    assert asked == [(f"bytes={SIZE + 4}-", 416), (None, 200)]
    _check_stored(runtime, org.id, store, rec_id, path, blob)
