"""Jobs: how many queued jobs one worker runs per second, on SQLite and (when reachable) PostgreSQL.

Prints one JSON line. Run: .venv/bin/python bench/foundation_jobs.py
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from callbridge.clock import VirtualClock
from callbridge.config import load_settings
from callbridge.db import migrate
from callbridge.jobs.builtin import SELFTEST
from callbridge.jobs.runner import run_due
from callbridge.runtime import Runtime
from callbridge.tenancy import create_organization

JOBS = int(os.environ.get("BENCH_JOBS", "2000"))
PG_ADMIN = os.environ.get("CALLBRIDGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KEYS = "b1:" + base64.b64encode(secrets.token_bytes(32)).decode()


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
    started = time.perf_counter()
    for n in range(JOBS):
        runtime.submit(org_id, SELFTEST, {}, key=f"bench:{n}")
    enqueued = time.perf_counter()
    done = 0
    while done < JOBS:
        done += len(run_due(runtime, worker_id="bench", limit=500).succeeded)
    finished = time.perf_counter()
    runtime.broker.flush()
    runtime.close()
    return {
        "enqueue_per_s": round(JOBS / (enqueued - started), 1),
        "run_per_s": round(JOBS / (finished - enqueued), 1),
    }


def main() -> None:
    figures: dict[str, object] = {"jobs": JOBS}
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
