"""Streamed, checked, idempotent downloads of one object into the store.

Memory stays flat: the body is read in fixed chunks, hashed and written as it comes. The size is
checked against Content-Length (and Content-Range); a short or broken body raises
:class:`DownloadMismatch` and nothing reaches the final path. Only a complete, checked object is
renamed into place.

A ``.part`` left behind by a crashed process (a local store keeps what was flushed) is resumed:
the request asks for ``Range: bytes=<part size>-`` and the answer must be a 206 whose
Content-Range starts there; the sha256 covers the whole object (the part is re-hashed first). A
server that ignores the Range (200) sends the whole body, which replaces the part; a range that
does not fit (416, or a 206 starting elsewhere) drops the part and the retry starts from byte 0.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from callbridge.errors import CallbridgeError
from callbridge.pipelines.archive.storage import READ_CHUNK, ObjectStore
from callbridge.platforms.ringcentral.client import RingCentralClient
from callbridge.platforms.ringcentral.errors import InvalidRequest

__all__ = ["PART", "DownloadMismatch", "Stored", "download", "resumable_part"]

PART = ".part"
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")


class DownloadMismatch(CallbridgeError):
    code = "download_mismatch"


@dataclass(frozen=True)
class Stored:
    path: str
    size: int
    sha256: str
    content_type: str | None


def resumable_part(store: ObjectStore, candidates: Sequence[str]) -> tuple[str, int] | None:
    """The candidate path with a non-empty ``.part`` to resume, and its size (local stores only:
    an object store shows no partial upload)."""
    if not store.local:
        return None
    for path in candidates:
        if store.exists(path + PART):
            size = store.size(path + PART)
            if size > 0:
                return path, size
    return None


def _content_range(value: str | None) -> tuple[int, int, int | None] | None:
    match = _CONTENT_RANGE.match(value or "")
    if match is None:
        return None
    total = None if match.group(3) == "*" else int(match.group(3))
    return int(match.group(1)), int(match.group(2)), total


def _hash_part(store: ObjectStore, path: str, digest: Any) -> None:
    with store.fs.open(store.full(path + PART), "rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            digest.update(chunk)


async def download(
    client: RingCentralClient,
    url: str,
    what: str,
    store: ObjectStore,
    path_for: Callable[[str | None], str],
    *,
    chunk_bytes: int,
    on_bytes: Callable[[int], None] | None = None,
    resume: Sequence[str] = (),
) -> Stored:
    """Fetch ``url`` into ``path_for(content type)``; ``resume``: the paths the object may have,
    whose ``.part`` (if any) is continued."""
    found = resumable_part(store, resume)
    part, offset = found if found else (None, 0)
    try:
        async with client.stream_media(url, what, offset=offset) as response:
            content_type = (response.headers.get("content-type") or "").split(";")[0].strip() or None
            length = response.headers.get("content-length")
            expected = int(length) if length and length.isdigit() else None
            path = path_for(content_type)
            digest = hashlib.sha256()
            append = False
            if part is not None:
                answered = response.headers.get("content-range")
                got = _content_range(answered)
                if response.status_code == 206:
                    if got is None or got[0] != offset or got[2] is None or path != part:
                        store.discard(part + PART)
                        raise DownloadMismatch(
                            f"{what}: asked to resume at byte {offset}, got Content-Range {answered!r} "
                            f"({content_type}); starting over."
                        )
                    if expected is not None and expected != got[2] - offset:
                        store.discard(part + PART)
                        raise DownloadMismatch(
                            f"{what}: Content-Length {expected} does not match Content-Range {answered!r}; "
                            "starting over."
                        )
                    expected = got[2] - offset
                    _hash_part(store, part, digest)
                    append = True
                else:  # the server ignored the Range: the whole body follows and replaces the part
                    store.discard(part + PART)
                    offset = 0
            size = 0
            try:
                with store.temp_writer(path, append=append) as fh:
                    async for chunk in response.aiter_bytes(chunk_bytes):
                        fh.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        if on_bytes:
                            on_bytes(len(chunk))
                    if expected is not None and size != expected:
                        raise DownloadMismatch(
                            f"{what}: received {size} bytes, Content-Length said {expected}; retrying."
                        )
            except (httpx.HTTPError, OSError) as exc:
                raise DownloadMismatch(
                    f"{what}: the download broke off after {offset + size} bytes ({type(exc).__name__})"
                ) from exc
    except InvalidRequest as exc:
        if part is None or exc.status != 416:
            raise
        store.discard(part + PART)  # the part is not a prefix of the object (it is as long or longer)
        raise DownloadMismatch(
            f"{what}: the server refused to resume at byte {offset}; starting over."
        ) from exc
    store.commit(path)
    return Stored(path, offset + size, digest.hexdigest(), content_type)
