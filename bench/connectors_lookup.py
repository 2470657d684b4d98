"""Connectors: contact lookup latency (cold vs warm match cache) and CRM requests per logged call.

Runs HubSpot and Salesforce against their sandboxes in-process (ASGI transport, virtual clock),
so latency is callbridge's own overhead plus the simulator's, not a network's. Prints one JSON
line. Run: .venv/bin/python bench/connectors_lookup.py  (BENCH_LOOKUPS=200 by default)
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from dataclasses import replace
from typing import Any

import httpx

from callbridge.clock import VirtualClock
from callbridge.connectors.base import ActivityDraft
from callbridge.connectors.conformance import SandboxProfile, sandbox_harness
from callbridge.connectors.matching import MatchCache
from callbridge.connectors.registry import get_connector
from callbridge.domain.merge import merge_body, merge_fields
from callbridge.sandbox.crm import SANDBOXES

LOOKUPS = int(os.environ.get("BENCH_LOOKUPS", "200"))
NUMBERS = ["+16505550100", "+16505550101", "+16505550199", "+442079460959", "+14155550198"]


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)


async def measure(name: str) -> dict[str, Any]:
    registered = get_connector(name)
    profile: SandboxProfile = registered.kit_profile
    clock = VirtualClock()
    config_cls = type(SANDBOXES[profile.sandbox]().state.sandbox.config)
    # generous limits: the bench measures our overhead, not the simulated rate limits
    big = {"burst_limit_private": 10**9, "burst_limit_oauth": 10**9, "search_per_second": 10**9,
           "daily_limit": 10**9} if name == "hubspot" else {"daily_api_limit": 10**9}
    app = SANDBOXES[profile.sandbox](config_cls(**big), clock=clock)
    async with sandbox_harness(registered, httpx.ASGITransport(app=app), "http://crm.bench", clock) as h:
        connector = h.connector
        cache = MatchCache(clock)
        connector.ctx.match_cache = None  # type: ignore[attr-defined]
        cold = []
        for i in range(LOOKUPS):
            start = time.perf_counter()
            await connector.find_contact(NUMBERS[i % len(NUMBERS)])
            cold.append(time.perf_counter() - start)
        connector.ctx.match_cache = cache  # type: ignore[attr-defined]
        for number in NUMBERS:  # warm it
            await connector.find_contact(number)
        warm = []
        for i in range(LOOKUPS):
            start = time.perf_counter()
            await connector.find_contact(NUMBERS[i % len(NUMBERS)])
            warm.append(time.perf_counter() - start)

        async def served() -> int:
            return await h.session.requests_served()  # type: ignore[union-attr]

        creates, updates = [], []
        for i in range(20):
            before = await served()
            [alan] = await connector.find_contact("+16505550101")
            draft = ActivityDraft(kind="call", marker=f"bench-{i}", subject="Bench call", contact=alan,
                                  occurred_at=clock.now(), direction="inbound", duration_seconds=30,
                                  body_sections={"summary": "first"})
            created = await connector.create_call_log(draft)
            creates.append(await served() - before)
            before = await served()
            later = replace(draft, duration_seconds=95, body_sections={"summary": "final"})
            current = await connector.get_call_log(created.id)
            merged = merge_fields(created.fields, current.fields, connector.fields_of(later))
            body = merge_body(created.body, current.body, later.body_sections)
            await connector.update_call_log(created.id, merged.changes, body)
            updates.append(await served() - before)
    return {"lookup_cold_p50_ms": pct(cold, 0.5), "lookup_cold_p99_ms": pct(cold, 0.99),
            "lookup_warm_p50_ms": pct(warm, 0.5), "lookup_warm_p99_ms": pct(warm, 0.99),
            "requests_per_create_warm": statistics.mean(creates),
            "requests_per_update": statistics.mean(updates),
            "cache_hit_ratio": round(cache.hits / max(1, cache.hits + cache.misses), 3)}


async def main() -> None:
    figures: dict[str, Any] = {"bench": "connectors_lookup", "lookups": LOOKUPS}
    for name in ("hubspot", "salesforce"):
        figures[name] = await measure(name)
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    asyncio.run(main())
