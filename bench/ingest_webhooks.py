"""Ingest bench: one JSON line. RingCentral webhook deliveries acknowledged per second and the
p50/p99 acknowledgement latency (a 2xx means the raw event and its normalise job are committed),
against a real uvicorn server, on SQLite and on PostgreSQL (+ Redis broker).

    PYTHONPATH=. .venv/bin/python bench/ingest_webhooks.py      (BENCH_EVENTS, BENCH_CONCURRENCY)
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text

from callbridge.clock import VirtualClock
from callbridge.config import load_settings
from callbridge.db import migrate
from callbridge.db.models import InboxEvent
from callbridge.runtime import Runtime
from callbridge.sandbox.ringcentral.server import running_server
from callbridge.tenancy import create_organization
from callbridge.web.app import create_app
from tests.pipelines.ingest.support import TELEPHONY, envelope, make_route

EVENTS = int(os.environ.get("BENCH_EVENTS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
PG_ADMIN = os.environ.get("CALLBRIDGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TOKEN = secrets.token_urlsafe(16)
KEYS = "b1:" + base64.b64encode(secrets.token_bytes(32)).decode()


def _body(n: int) -> bytes:
    session, sequence = divmod(n, 4)
    return envelope(
        {
            "sequence": sequence + 1,
            "sessionId": str(session),
            "telephonySessionId": f"s-bench-{session}",
            "eventTime": "2026-03-02T15:00:01.000Z",
            "parties": [
                {
                    "extensionId": "1001",
                    "direction": "Inbound",
                    "from": {"phoneNumber": "+14155550123"},
                    "to": {"phoneNumber": "+16505550100", "extensionId": "1001"},
                    "status": {"code": ["Setup", "Proceeding", "Answered", "Disconnected"][sequence]},
                }
            ],
        },
        event=TELEPHONY,
    )


async def _post_all(base: str, route: str) -> list[float]:
    bodies = [_body(n) for n in range(EVENTS)]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    latencies: list[float] = []
    headers = {"Verification-Token": TOKEN, "Content-Type": "application/json"}

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            started = time.perf_counter()
            resp = await client.post(f"{base}/webhooks/ringcentral/{route}", content=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            if resp.status_code != 200:
                raise RuntimeError(f"delivery refused: {resp.status_code} {resp.text[:200]}")

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    return latencies


def measure(database_url: str, jobs_url: str, root: Path) -> dict[str, float]:
    migrate.upgrade(database_url)
    settings = load_settings(
        data_dir=root,
        database_url=database_url,
        jobs_url=jobs_url,
        keys=KEYS,
        jobs_name=f"bench{secrets.token_hex(3)}",
    )
    runtime = Runtime(settings, clock=VirtualClock())
    org_id, _ = create_organization(
        runtime.db, runtime.clock, name="Bench", slug="bench", owner_email="b@b.example"
    )
    route = make_route(runtime, org_id, token=TOKEN)
    try:
        with running_server(create_app(runtime)) as base:
            started = time.perf_counter()
            latencies = asyncio.run(_post_all(base, route))
            elapsed = time.perf_counter() - started
        with runtime.db.tenant(org_id) as session:
            stored = session.scalar(select(func.count()).select_from(InboxEvent))
        if stored != EVENTS:
            raise RuntimeError(f"{stored} of {EVENTS} events stored")
        latencies.sort()
        return {
            "acked_per_s": round(EVENTS / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        }
    finally:
        runtime.broker.flush()
        runtime.close()


def main() -> None:
    figures: dict[str, object] = {"events": EVENTS, "concurrency": CONCURRENCY}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        figures["sqlite"] = measure(f"sqlite:///{root / 'b.db'}", f"sqlite:///{root / 'j.db'}", root)
        name = f"cbbench_{secrets.token_hex(4)}"
        try:
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # a visible "not run", never a silent pass
            figures["postgresql"] = f"not run: {type(exc).__name__}"
        else:
            try:
                url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
                figures["postgresql_redis"] = measure(url, "redis://127.0.0.1:6379/0", root)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
