"""Streamed, checked, idempotent downloads of one object into the store.

Memory stays flat: the body is read in fixed chunks, hashed and written as it comes. The size is
checked against Content-Length; a short or broken body raises :class:`DownloadMismatch` and
nothing reaches the final path. Only a complete, checked object is renamed into place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from callbridge.errors import CallbridgeError
from callbridge.pipelines.archive.storage import ObjectStore
from callbridge.platforms.ringcentral.client import RingCentralClient

__all__ = ["DownloadMismatch", "Stored", "download"]


class DownloadMismatch(CallbridgeError):
    code = "download_mismatch"


@dataclass(frozen=True)
class Stored:
    path: str
    size: int
    sha256: str
    content_type: str | None


async def download(
    client: RingCentralClient,
    url: str,
    what: str,
    store: ObjectStore,
    path_for: Callable[[str | None], str],
    *,
    chunk_bytes: int,
    on_bytes: Callable[[int], None] | None = None,
) -> Stored:
    async with client.stream_media(url, what) as response:
        content_type = (response.headers.get("content-type") or "").split(";")[0].strip() or None
        length = response.headers.get("content-length")
        expected = int(length) if length and length.isdigit() else None
        path = path_for(content_type)
        digest = hashlib.sha256()
        size = 0
        try:
            with store.temp_writer(path) as fh:
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
                f"{what}: the download broke off after {size} bytes ({type(exc).__name__})"
            ) from exc
    store.commit(path)
    return Stored(path, size, digest.hexdigest(), content_type)
