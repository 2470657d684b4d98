"""Export memory: peak Python heap while streaming an organization's export, as its data grows.

Prints one JSON line; the goal is a peak that stays flat while the row count grows tenfold.
"""

from __future__ import annotations

import base64
import json
import secrets
import tempfile
import time
import tracemalloc
from pathlib import Path

from callbridge.clock import VirtualClock
from callbridge.config import load_settings
from callbridge.db import migrate
from callbridge.db.models import AuditEntry
from callbridge.privacy.export import stream_export
from callbridge.runtime import Runtime
from callbridge.tenancy import create_organization

KEYS = "b1:" + base64.b64encode(secrets.token_bytes(32)).decode()


def run(rows: int, root: Path) -> dict[str, float]:
    url = f"sqlite:///{root / f'e{rows}.db'}"
    migrate.upgrade(url)
    runtime = Runtime(load_settings(data_dir=root, database_url=url, keys=KEYS), clock=VirtualClock())
    org_id, _ = create_organization(
        runtime.db, runtime.clock, name="Big", slug="big", owner_email="o@big.example"
    )
    with runtime.db.tenant(org_id) as session:
        now = runtime.clock.now()
        session.add_all(
            AuditEntry(at=now, actor="bench", action="bench.row", object_type="x", details={"n": n})
            for n in range(rows)
        )
    tracemalloc.start()
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in stream_export(runtime, org_id))
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    runtime.close()
    return {
        "rows": rows,
        "bytes": size,
        "peak_heap_mb": round(peak / 2**20, 2),
        "rows_per_s": round(rows / elapsed),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        small, large = run(10_000, Path(tmp)), run(100_000, Path(tmp))
    print(
        json.dumps(
            {
                "small": small,
                "large": large,
                "peak_growth_ratio": round(large["peak_heap_mb"] / max(small["peak_heap_mb"], 0.01), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
