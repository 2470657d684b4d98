"""Object storage through fsspec: a local directory by default, S3 through s3fs.

Writes go to ``<path>.part`` and are renamed into place once complete and checked, so an object
at its final path is always whole; the database row follows the rename.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import fsspec
from fsspec import AbstractFileSystem

from callbridge.config import Settings
from callbridge.errors import InvalidInput
from callbridge.http.ssrf import DestinationGuard, storage_destinations

__all__ = ["ObjectStore", "StorageError", "store_from_settings"]

READ_CHUNK = 1_048_576


class StorageError(InvalidInput):
    code = "storage_unusable"


class ObjectStore:
    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        fs, root = fsspec.core.url_to_fs(url, **options)
        self.fs: AbstractFileSystem = fs
        self.root = root.rstrip("/")
        self.local = "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))

    def full(self, path: str) -> str:
        return f"{self.root}/{path.lstrip('/')}"

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(self.full(path)))

    def size(self, path: str) -> int:
        return int(self.fs.size(self.full(path)))

    def sha256(self, path: str) -> str:
        digest = hashlib.sha256()
        with self.fs.open(self.full(path), "rb") as fh:
            while chunk := fh.read(READ_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    @contextmanager
    def temp_writer(self, path: str, *, append: bool = False) -> Iterator[IO[bytes]]:
        """A writer of ``path + '.part'`` (``append``: after what it holds); removed if the block fails."""
        temp = self.full(path) + ".part"
        if self.local:
            self.fs.makedirs(temp.rsplit("/", 1)[0], exist_ok=True)
        fh = self.fs.open(temp, "ab" if append else "wb")
        try:
            yield fh
        except BaseException:
            fh.close()
            if self.fs.exists(temp):
                self.fs.rm(temp)
            raise
        fh.close()

    def commit(self, path: str) -> None:
        self.fs.mv(self.full(path) + ".part", self.full(path))

    def discard(self, path: str) -> None:
        if self.fs.exists(self.full(path)):
            self.fs.rm(self.full(path))

    def probe(self) -> None:
        """Write and delete a small object; raise StorageError naming the problem if that fails."""
        name = f".callbridge-probe-{secrets.token_hex(4)}"
        try:
            if self.local:
                self.fs.makedirs(self.root, exist_ok=True)
            with self.fs.open(self.full(name), "wb") as fh:
                fh.write(b"probe")
            self.fs.rm(self.full(name))
        except Exception as exc:
            raise StorageError(
                f"The archive storage {self.url!r} is not writable: {type(exc).__name__}: {exc}",
                field="archive_storage_url",
                hint="check CALLBRIDGE_ARCHIVE_STORAGE_URL, its permissions and, for S3, "
                "CALLBRIDGE_ARCHIVE_S3_KEY/SECRET and the bucket",
            ) from None


def store_from_settings(settings: Settings) -> ObjectStore:
    url = settings.archive_storage_url or str(settings.data_dir / "archive")
    # SSRF guard: a remote store must not be loopback/link-local/private unless the operator allows it
    guard = DestinationGuard(allow_private=settings.allow_private_destinations)
    for field, destination, schemes in storage_destinations(url, settings.archive_s3_endpoint_url):
        guard.check_setting(destination, field=field, schemes=schemes)
    options: dict[str, Any] = {}
    if url.startswith("s3://"):
        if settings.archive_s3_endpoint_url:
            options["client_kwargs"] = {"endpoint_url": settings.archive_s3_endpoint_url}
        if settings.archive_s3_key:
            options["key"] = settings.archive_s3_key.get_secret_value()
        if settings.archive_s3_secret:
            options["secret"] = settings.archive_s3_secret.get_secret_value()
        options["skip_instance_cache"] = True
    return ObjectStore(url, **options)
