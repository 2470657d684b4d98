"""CRM logging bench: one JSON line. Event → CRM activity latency (p50/p99, wall clock, in-process
sandboxes, SQLite) and CRM requests per logged call with a warm contact cache, for HubSpot and
Salesforce; a creation, then one later update (the recording) per call.

    PYTHONPATH=. .venv/bin/python bench/logging_crm.py [calls]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from callbridge.clock import VirtualClock
from callbridge.config import load_settings
from callbridge.db import migrate
from callbridge.jobs.runner import run_due
from callbridge.runtime import Runtime
from tests.conftest import TEST_KEYS
from tests.factories import make_organization
from tests.pipelines.logging.support import ALAN, call, make_world


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def bench(crm: str, calls: int, root: Path) -> dict[str, Any]:
    url = f"sqlite:///{root / f'{crm}.db'}"
    migrate.upgrade(url)
    jobs = f"sqlite:///{root / f'{crm}-jobs.db'}"
    settings = load_settings(data_dir=root / crm, database_url=url, jobs_url=jobs, keys=TEST_KEYS,
                             public_url="https://callbridge.test")
    runtime = Runtime(settings, clock=VirtualClock())
    try:
        org = make_organization(runtime, f"bench{crm}")
        world = make_world(runtime, org, crm)
        world.store(call("warm-up", number=ALAN))  # fills the contact cache (and signs in)
        run_due(runtime, worker_id="bench")
        served = len(world.requests())
        create_latency, update_latency = [], []
        for n in range(calls):
            world.clock.advance(1)  # the sandbox's rate windows run on the virtual clock
            start = time.perf_counter()
            world.store(call(f"c-{n}", number=ALAN))
            run_due(runtime, worker_id="bench")
            create_latency.append(time.perf_counter() - start)
        created_requests = len(world.requests()) - served
        served = len(world.requests())
        for n in range(calls):
            world.clock.advance(1)
            start = time.perf_counter()
            world.store(call(f"c-{n}", number=ALAN, sequence=2, recording=f"rec-{n}"))
            run_due(runtime, worker_id="bench")
            update_latency.append(time.perf_counter() - start)
        updated_requests = len(world.requests()) - served
        logged = len(world.activities())
        assert logged == calls + 1, f"{logged} activities for {calls + 1} calls"
        return {
            f"{crm}_create_p50_ms": _pct(create_latency, 0.5),
            f"{crm}_create_p99_ms": _pct(create_latency, 0.99),
            f"{crm}_update_p50_ms": _pct(update_latency, 0.5),
            f"{crm}_update_p99_ms": _pct(update_latency, 0.99),
            f"{crm}_requests_per_logged_call": round(created_requests / calls, 2),
            f"{crm}_requests_per_update": round(updated_requests / calls, 2),
            f"{crm}_duplicates": logged - (calls + 1),
        }
    finally:
        runtime.close()


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    figures: dict[str, Any] = {"bench": "logging_crm", "calls": calls, "database": "sqlite"}
    with tempfile.TemporaryDirectory() as tmp:
        for crm in ("hubspot", "salesforce"):
            figures.update(bench(crm, calls, Path(tmp)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
