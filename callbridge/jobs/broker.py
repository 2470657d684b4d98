"""Huey as the wake-up bell: the database holds the work, Huey tells a worker to look now.

``SqliteHuey`` is the embedded default; ``RedisHuey`` when ``CALLBRIDGE_JOBS_URL=redis://…`` so
workers on several machines share one bell. Losing the broker's contents loses nothing: workers
also poll the database on every tick.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from urllib.parse import urlsplit

from huey import Huey, RedisHuey, SqliteHuey

from callbridge.errors import ConfigError

__all__ = ["Broker", "make_huey"]

log = logging.getLogger(__name__)


def make_huey(url: str, name: str) -> Huey:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = Path(url.split("sqlite:///", 1)[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name=name, filename=str(path), results=False, utc=True)
    if scheme in ("redis", "rediss"):
        return RedisHuey(name=name, url=url, results=False, utc=True)
    raise ConfigError(
        f"CALLBRIDGE_JOBS_URL scheme {scheme!r} is not supported.",
        field="jobs_url",
        hint="use sqlite:///path/to/jobs.db or redis://host:6379/0",
    )


class Broker:
    """Sends and receives wake-up hints through Huey."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._hinted: list[str | None] = []
        self._wake_task = huey.task(name="callbridge.wake")(self._hinted.append)
        self._last_wake = -math.inf

    def wake(self, job_id: str | None = None, *, coalesce_seconds: float = 0.0) -> None:
        """Ask a worker to look now; a broker outage only delays work until the next tick.

        With ``coalesce_seconds``, a wake-up within that long of the previous one is not sent: a
        burst (webhook deliveries) needs one bell, and workers poll the database every tick anyway.
        """
        sent_at = time.monotonic()
        if coalesce_seconds and sent_at - self._last_wake < coalesce_seconds:
            return
        try:
            self._wake_task(job_id)
            self._last_wake = sent_at
        except Exception as exc:
            log.warning(
                "job broker unreachable (%s); the worker's next tick will pick the job up", type(exc).__name__
            )

    def drain(self, limit: int = 100) -> list[str | None]:
        """Take up to ``limit`` queued hints; returns the job ids they name (None: "look now")."""
        self._hinted.clear()
        for _ in range(limit):
            task = self.huey.dequeue()
            if task is None:
                break
            self.huey.execute(task)
        hinted, self._hinted[:] = list(self._hinted), []
        return hinted

    def ping(self) -> None:
        """Raise if the broker cannot be reached."""
        self.huey.pending_count()

    def flush(self) -> None:
        self.huey.flush()
