"""The outbound destination guard: no request to loopback, link-local or private addresses.

Declarative connectors and storage URLs come from configuration a tenant admin may write; without
this guard a manifest could point callbridge at the cloud metadata service or an internal host.
An operator who runs CRMs or object storage on a private network allows it explicitly with
``CALLBRIDGE_ALLOW_PRIVATE_DESTINATIONS=true``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from callbridge.errors import InvalidInput

__all__ = ["DestinationGuard", "UnsafeDestination", "is_public_address"]


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


class DestinationGuard:
    """Resolves a URL's host and refuses it unless every address it resolves to is public."""

    def __init__(self, *, allow_private: bool = False) -> None:
        self.allow_private = allow_private

    async def check(self, url: str) -> None:
        if self.allow_private:
            return
        parts = urlsplit(url)
        host = parts.hostname
        if parts.scheme not in ("http", "https") or not host:
            raise UnsafeDestination(f"{url!r} is not an http(s) URL.", field="url")
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, parts.port or 443, type=socket.SOCK_STREAM
            )
        except socket.gaierror:
            return  # unresolvable: the request itself will fail with a clear transport error
        for info in infos:
            address = str(info[4][0])
            if not is_public_address(address):
                raise UnsafeDestination(
                    f"Refusing to call {host} ({address}): it is a loopback, link-local or private address.",
                    field="url",
                    hint="use the service's public address, or set "
                    "CALLBRIDGE_ALLOW_PRIVATE_DESTINATIONS=true if it runs on your private network",
                )
