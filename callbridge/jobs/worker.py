"""The worker loop: drain wake-up hints, then run whatever the database says is due."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import TYPE_CHECKING

from callbridge.jobs.runner import RunReport, run_due, run_one
from callbridge.jobs.schedule import offer_due_schedules

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["Worker"]

log = logging.getLogger(__name__)


class Worker:
    """One worker process; several may run against the same database and broker."""

    def __init__(self, runtime: Runtime, *, poll_seconds: float = 1.0, worker_id: str | None = None) -> None:
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.stop = threading.Event()
        self.totals = RunReport()

    def tick(self) -> RunReport:
        """One round: this period's scheduled jobs are offered, the jobs the bell named run first,
        then everything the database says is due."""
        report = RunReport()
        offer_due_schedules(self.runtime, self.runtime.schedules)
        try:
            hinted = self.runtime.broker.drain()
        except Exception as exc:  # the broker is a hint; the database sweep below still runs
            log.warning("job broker unreachable (%s); polling the database only", type(exc).__name__)
            hinted = []
        for job_id in dict.fromkeys(h for h in hinted if h):
            run_one(self.runtime, job_id, worker_id=self.worker_id, report=report)
        run_due(self.runtime, worker_id=self.worker_id, report=report)
        self.totals.succeeded += report.succeeded
        self.totals.retried += report.retried
        self.totals.dead += report.dead
        return report

    def run(self, max_ticks: int | None = None) -> RunReport:
        ticks = 0
        log.info("worker %s started", self.worker_id)
        while not self.stop.is_set():
            report = self.tick()
            ticks += 1
            if max_ticks is not None and ticks >= max_ticks:
                break
            if report.ran == 0:
                self.stop.wait(self.poll_seconds)
        log.info("worker %s stopped after %d ticks", self.worker_id, ticks)
        return self.totals
