"""The RingCentral REST client: every call authenticated and rate-budgeted (both by the transport,
which attaches the bearer token of the credential it sends through only once that credential's
budget has room) and classified into typed errors. Listings follow ``navigation.nextPage``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from callbridge.clock import utc
from callbridge.http.client import HttpClient
from callbridge.platforms.base import Page
from callbridge.platforms.ringcentral.auth import RingCentralAuth
from callbridge.platforms.ringcentral.errors import (
    InvalidRequest,
    RingCentralError,
    error_from_response,
)
from callbridge.platforms.ringcentral.transport import BEARER, PIN

__all__ = ["RingCentralClient", "iso"]

API = "/restapi/v1.0"
MAX_PER_PAGE = 1000


def iso(when: datetime) -> str:
    return utc(when).strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc(when).microsecond // 1000:03d}Z"


class RingCentralClient:
    def __init__(
        self,
        http: HttpClient,
        auth: RingCentralAuth,
        *,
        server_url: str,
        allowed_hosts: set[str],
        account_id: str = "~",
    ) -> None:
        self.http = http
        self.auth = auth
        self.server_url = server_url.rstrip("/")
        self.allowed_hosts = allowed_hosts | {urlsplit(self.server_url).netloc}
        self.account_id = account_id

    def _url(self, path_or_url: str) -> str:
        url = path_or_url if "://" in path_or_url else f"{self.server_url}{path_or_url}"
        host = urlsplit(url).netloc
        if host not in self.allowed_hosts:
            raise InvalidRequest(
                f"RingCentral returned a link to {host!r}, which is neither the API nor the media host; "
                "callbridge does not send its token there.",
                field="media_url",
                hint="set the connection's media_url if RingCentral moved its media host",
            )
        return url

    @staticmethod
    def _auth(credential: str | None = None) -> dict[str, Any]:
        """Request extensions: the transport attaches a bearer token (of ``credential``, if named)."""
        return {BEARER: True, PIN: credential} if credential else {BEARER: True}

    async def request_json(
        self,
        method: str,
        path_or_url: str,
        what: str,
        *,
        params: Any = None,
        body: Any = None,
        credential: str | None = None,
    ) -> dict[str, Any]:
        """One authenticated call; ``{}`` for an empty answer (204), typed errors for the rest."""
        url = self._url(path_or_url)
        response = await self.http.request(
            method, url, params=params, json=body, extensions=self._auth(credential)
        )
        if response.status_code >= 400:
            raise error_from_response(response, what)
        if response.status_code == 204 or not response.content:
            return {}
        data = response.json()
        if not isinstance(data, dict):
            raise RingCentralError(f"RingCentral answered {what} with an unexpected body.")
        return data

    async def get_json(
        self, path_or_url: str, what: str, params: Any = None, *, credential: str | None = None
    ) -> dict[str, Any]:
        return await self.request_json("GET", path_or_url, what, params=params, credential=credential)

    async def whoami(self, credential: str | None = None) -> dict[str, Any]:
        """The signed-in user's extension (Light): ``id`` and ``account.id``; through ``credential``."""
        return await self.get_json(
            f"{API}/account/{self.account_id}/extension/~",
            "reading the signed-in user",
            credential=credential,
        )

    async def paginate(self, path: str, what: str, params: Any) -> AsyncIterator[Page]:
        data = await self.get_json(path, what, params)
        while True:
            next_uri = ((data.get("navigation") or {}).get("nextPage") or {}).get("uri")
            yield Page(list(data.get("records") or []), next_uri)
            if not next_uri or not data.get("records"):
                return
            data = await self.get_json(next_uri, what)

    # -- call log (Heavy) ------------------------------------------------------------------
    def _call_log_params(
        self, date_from: datetime, date_to: datetime, per_page: int
    ) -> list[tuple[str, str]]:
        return [
            ("dateFrom", iso(date_from)),
            ("dateTo", iso(date_to)),
            ("view", "Detailed"),
            ("perPage", str(per_page)),
        ]

    def list_call_log(
        self, date_from: datetime, date_to: datetime, *, per_page: int = MAX_PER_PAGE
    ) -> AsyncIterator[Page]:
        """Account-level call log, Detailed view (legs), pages of up to 1,000 records."""
        params = self._call_log_params(date_from, date_to, per_page)
        return self.paginate(f"{API}/account/{self.account_id}/call-log", "listing the call log", params)

    async def count_call_log(self, date_from: datetime, date_to: datetime, *, recorded: bool = False) -> int:
        params = [("dateFrom", iso(date_from)), ("dateTo", iso(date_to)), ("perPage", "1")]
        if recorded:
            params.append(("recordingType", "All"))
        data = await self.get_json(
            f"{API}/account/{self.account_id}/call-log", "counting the call log", params
        )
        return _total(data)

    async def get_recording(self, recording_id: str) -> dict[str, Any]:
        return await self.get_json(
            f"{API}/account/{self.account_id}/recording/{recording_id}", f"reading recording {recording_id}"
        )

    def recording_content_url(self, recording_id: str) -> str:
        return f"{API}/account/{self.account_id}/recording/{recording_id}/content"

    # -- media (recordings: Heavy; attachments: Medium) --------------------------------------
    @asynccontextmanager
    async def stream_media(self, url: str, what: str, *, offset: int = 0) -> AsyncIterator[httpx.Response]:
        target = self._url(url)
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        async with self.http.stream("GET", target, headers=headers, extensions=self._auth()) as response:
            if response.status_code >= 400:
                await response.aread()
                raise error_from_response(response, what)
            yield response

    # -- directory and message store ----------------------------------------------------------
    async def list_extensions(self) -> list[dict[str, Any]]:
        """Every extension of the account (Medium), all statuses, all types."""
        out: list[dict[str, Any]] = []
        params = [("perPage", str(MAX_PER_PAGE))]
        async for page in self.paginate(
            f"{API}/account/{self.account_id}/extension", "listing extensions", params
        ):
            out.extend(page.records)
        return out

    def list_messages(
        self, extension_id: str, date_from: datetime, date_to: datetime, *, per_page: int = MAX_PER_PAGE
    ) -> AsyncIterator[Page]:
        params = [("dateFrom", iso(date_from)), ("dateTo", iso(date_to)), ("perPage", str(per_page))]
        path = f"{API}/account/{self.account_id}/extension/{extension_id}/message-store"
        return self.paginate(path, "listing the message store", params)

    async def delete_messages(self, extension_id: str, message_ids: list[str]) -> None:
        """Move messages to Deleted (one id, or a comma-separated batch); 204 on success."""
        ids = ",".join(message_ids)
        path = f"{API}/account/{self.account_id}/extension/{extension_id}/message-store/{ids}"
        await self.request_json("DELETE", path, f"deleting {len(message_ids)} message(s)")

    async def count_messages(
        self, extension_id: str, date_from: datetime, date_to: datetime, types: list[str] | None = None
    ) -> int:
        params = [("dateFrom", iso(date_from)), ("dateTo", iso(date_to)), ("perPage", "1")]
        params += [("messageType", t) for t in types or []]
        path = f"{API}/account/{self.account_id}/extension/{extension_id}/message-store"
        return _total(await self.get_json(path, "counting the message store", params))


def _total(data: dict[str, Any]) -> int:
    paging = data.get("paging") or {}
    if "totalElements" in paging:
        return int(paging["totalElements"])
    return len(data.get("records") or [])
