"""The outbound destination guard: no request to loopback, link-local or private addresses.

Declarative connectors and storage URLs come from configuration a tenant admin may write; without
this guard a manifest could point callbridge at the cloud metadata service or an internal host.
An operator who runs CRMs or object storage on a private network allows it explicitly with
``CALLBRIDGE_ALLOW_PRIVATE_DESTINATIONS=true``.

The guard resolves the host and refuses it when any address it resolves to is not public. It
checks at the moment it is asked (before the request, before storage is opened); a host whose
DNS answer changes between that check and the connection (DNS rebinding) is outside what it sees.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from callbridge.errors import InvalidInput

__all__ = [
    "ALLOW_SETTING",
    "DestinationGuard",
    "UnsafeDestination",
    "is_public_address",
    "storage_destinations",
]

ALLOW_SETTING = "CALLBRIDGE_ALLOW_PRIVATE_DESTINATIONS"
HTTP_SCHEMES = ("http", "https")
# fsspec protocols whose URL "host" is a bucket, container or account name, not a network host
# (their endpoints are the cloud's own, or set through a separate endpoint setting).
NAMED_STORE_PROTOCOLS = frozenset(
    {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oci", "memory", "file", "local"}
)


class UnsafeDestination(InvalidInput):
    code = "unsafe_destination"


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _shown(url: str) -> str:
    """The URL as it may appear in an error: a password in it is masked."""
    parts = urlsplit(url)
    if parts.password:
        return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))
    return url


def _kind(address: str) -> str:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (e.g. a cloud metadata service)"
    if ip.is_unspecified:
        return "the unspecified address"
    return "a private or non-public address"


class DestinationGuard:
    """Resolves a URL's host and refuses it unless every address it resolves to is public."""

    def __init__(self, *, allow_private: bool = False) -> None:
        self.allow_private = allow_private

    async def check(self, url: str) -> None:
        """For outbound HTTP requests (declarative connectors): ``url`` must be public http(s)."""
        if self.allow_private:
            return
        host, port = self._target(url, field="url", schemes=HTTP_SCHEMES, setting=None)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            return  # unresolvable: the request itself will fail with a clear transport error
        for address in _addresses(infos):
            if not is_public_address(address):
                raise UnsafeDestination(
                    f"Refusing to call {host} ({address}): it is a loopback, link-local or private address.",
                    field="url",
                    hint="use the service's public address, or set "
                    f"{ALLOW_SETTING}=true if it runs on your private network",
                )

    def check_setting(self, url: str, *, field: str, schemes: tuple[str, ...] | None = HTTP_SCHEMES) -> None:
        """For a configured destination (``field`` names the setting): refuse a non-public host.

        Synchronous, for code that opens a destination before any event loop runs (storage).
        """
        if self.allow_private:
            return
        setting = f"CALLBRIDGE_{field.upper()}"
        host, port = self._target(url, field=field, schemes=schemes, setting=setting)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            return  # unresolvable: opening it fails with the storage's own clear error
        for address in _addresses(infos):
            if not is_public_address(address):
                via = "" if host.strip("[]") == address else f", which resolves to {address},"
                raise UnsafeDestination(
                    f"{setting}={_shown(url)!r} points at {host}{via} {_kind(address)}; callbridge "
                    "does not reach loopback, link-local or private addresses unless the operator "
                    "allows it. Nothing was written.",
                    field=field,
                    hint=f"use the storage service's public address, or set {ALLOW_SETTING}=true if "
                    "it runs on your own private network (e.g. MinIO beside callbridge)",
                )

    @staticmethod
    def _target(
        url: str, *, field: str, schemes: tuple[str, ...] | None, setting: str | None
    ) -> tuple[str, int]:
        parts = urlsplit(url)
        host = parts.hostname
        if (schemes is not None and parts.scheme not in schemes) or not host:
            named = f"{setting}={_shown(url)!r}" if setting else repr(_shown(url))
            raise UnsafeDestination(
                f"{named} is not an http(s) URL.",
                field=field,
                hint="give the full address, e.g. https://storage.example.com" if setting else None,
            )
        try:
            port = parts.port
        except ValueError:
            port = None
        return host, port or (443 if parts.scheme in ("https", "") else 80)


def _addresses(infos: Iterable[Any]) -> list[str]:
    return [str(info[4][0]) for info in infos]


def storage_destinations(url: str, endpoint_url: str | None) -> list[tuple[str, str, tuple[str, ...] | None]]:
    """The network destinations an fsspec storage URL reaches: (setting, url, allowed schemes).

    ``s3://bucket/…`` names a bucket, not a host: its destination is the S3 endpoint setting when
    one is given (MinIO, moto). A protocol whose URL carries a host (``sftp://``, ``webdav://``,
    ``http://``…) reaches that host. Chained URLs (``simplecache::s3://…``) are checked part by part.
    """
    found: list[tuple[str, str, tuple[str, ...] | None]] = []
    uses_s3 = False
    for part in url.split("::"):
        parts = urlsplit(part)
        protocol = parts.scheme.lower()
        if protocol in ("s3", "s3a"):
            uses_s3 = True
        if not protocol or len(protocol) == 1 or protocol in NAMED_STORE_PROTOCOLS:
            continue  # a local path (``C:`` included) or a named bucket / container
        if parts.hostname:
            found.append(("archive_storage_url", part, None))
    if uses_s3 and endpoint_url:
        found.append(("archive_s3_endpoint_url", endpoint_url, HTTP_SCHEMES))
    return found
