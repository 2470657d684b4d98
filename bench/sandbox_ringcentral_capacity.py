"""Capacity of the RingCentral sandbox as a real server: call-log pages/s and recording MB/s.

Runs uvicorn on a free loopback port, raises the rate limits so 429s do not interfere, runs
each scenario for a bounded time with a few concurrent clients, prints ONE JSON line, exits.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from callbridge.clock import VirtualClock
from callbridge.sandbox.ringcentral import RingCentralSandboxConfig, create_app, generate
from callbridge.sandbox.ringcentral.config import RateGroupLimit
from callbridge.sandbox.ringcentral.server import running_server

SECONDS = 3.0
CONCURRENCY = 8
RECORDING_BYTES = 2_000_000  # ~2 min of 128 kbit/s MP3


async def _scenario(url: str, headers: dict[str, str], paths: list[str]) -> dict[str, Any]:
    count = errors = nbytes = 0
    deadline = time.perf_counter() + SECONDS
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:

        async def worker(offset: int) -> None:
            nonlocal count, errors, nbytes
            i = offset
            while time.perf_counter() < deadline:
                resp = await client.get(paths[i % len(paths)])
                i += 1
                if resp.status_code == 200:
                    count += 1
                    nbytes += len(resp.content)
                else:
                    errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(CONCURRENCY)))
        elapsed = time.perf_counter() - start
    return {"requests_per_s": round(count / elapsed, 1), "mb_per_s": round(nbytes / elapsed / 1e6, 2),
            "requests": count, "errors": errors}


async def _run(url: str, state: Any) -> dict[str, Any]:
    cfg = state.config.auth
    async with httpx.AsyncClient(base_url=url) as client:
        tok = await client.post("/restapi/oauth/token", auth=(cfg.client_id, cfg.client_secret),
                                data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                      "assertion": cfg.jwt})
        tok.raise_for_status()
    headers = {"Authorization": f"Bearer {tok.json()['access_token']}"}
    base = "/restapi/v1.0/account/~/call-log?dateFrom=2025-01-01T00:00:00Z"
    recs = list(state.recordings)
    return {
        "call_log_per_page_100": await _scenario(url, headers, [f"{base}&perPage=100&page={p}"
                                                                for p in range(1, 6)]),
        "call_log_per_page_1000": await _scenario(url, headers, [f"{base}&perPage=1000"]),
        "recording_content": await _scenario(
            url, headers, [f"/restapi/v1.0/account/~/recording/{r}/content" for r in recs[:50]]),
    }


def main() -> int:
    big = RateGroupLimit(limit=10_000_000)
    cfg = RingCentralSandboxConfig(recording_bytes=RECORDING_BYTES)
    cfg.rate_limits.groups.update({"Heavy": big, "Medium": big, "Light": big, "Auth": big})
    start = datetime(2026, 1, 5, tzinfo=UTC)
    clock = VirtualClock(start + timedelta(days=31))
    app = create_app(cfg, clock)
    state = app.state.sandbox
    summary = generate(state, seed=1, extensions=20, days=30, start=start, calls_per_day=200,
                       recording_bytes=RECORDING_BYTES)
    with running_server(app) as url:
        figures = asyncio.run(_run(url, state))
    print(json.dumps({"bench": "sandbox_ringcentral_capacity", "seconds_per_scenario": SECONDS,
                      "concurrency": CONCURRENCY, "call_records": summary["calls"]["total"],
                      "recording_bytes": RECORDING_BYTES, **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
