"""The services of one callbridge process, built once from the settings and passed down."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cached_property
from typing import Any

from callbridge.clock import Clock, SystemClock
from callbridge.config import Settings
from callbridge.db.clock import DatabaseClock
from callbridge.db.models import Job
from callbridge.db.session import Database
from callbridge.jobs.broker import Broker, make_huey
from callbridge.jobs.builtin import register_builtin_tasks
from callbridge.jobs.queue import submit
from callbridge.jobs.registry import TaskRegistry
from callbridge.jobs.schedule import Schedule
from callbridge.pipelines.archive.erase import erase_archive
from callbridge.pipelines.archive.jobs import install_archive
from callbridge.pipelines.ingest.jobs import register_ingest_tasks
from callbridge.pipelines.logging.jobs import register_logging_tasks
from callbridge.privacy.lifecycle import OrganizationEraser
from callbridge.privacy.pseudonym import Pseudonymizer
from callbridge.privacy.tasks import register_privacy_tasks
from callbridge.privacy.vault import KeyRing, Vault

__all__ = ["Runtime", "build_runtime", "load_keyring"]

log = logging.getLogger(__name__)


def load_keyring(settings: Settings) -> KeyRing:
    if settings.keys is not None:
        return KeyRing.parse(settings.keys.get_secret_value())
    return KeyRing.load(settings.keyring_path)


class Runtime:
    """Settings, clock, database, vault, job registry and broker of this process."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.db_url)
        if clock is not None:
            self.clock: Clock = clock
        elif settings.clock == "virtual":
            self.clock = DatabaseClock(self.db)
        else:
            self.clock = SystemClock()
        self.registry = TaskRegistry()
        self.schedules: list[Schedule] = []
        self.organization_erasers: list[OrganizationEraser] = []
        register_builtin_tasks(self.registry)
        register_privacy_tasks(self)
        install_archive(self)
        register_ingest_tasks(self)
        register_logging_tasks(self.registry)
        self.organization_erasers.append(erase_archive)
        self.broker = Broker(make_huey(settings.broker_url, settings.jobs_name))

    @cached_property
    def vault(self) -> Vault:
        return Vault(load_keyring(self.settings), self.clock)

    @cached_property
    def pseudonyms(self) -> Pseudonymizer:
        return Pseudonymizer(self.vault)

    def submit(
        self,
        organization_id: str | None,
        kind: str,
        payload: dict[str, Any],
        *,
        key: str,
        max_attempts: int | None = None,
        run_at: datetime | None = None,
    ) -> tuple[Job, bool]:
        """Enqueue in its own transaction, then ring the bell; returns ``(job, created)``."""
        return submit(self, organization_id, kind, payload, key=key, max_attempts=max_attempts, run_at=run_at)

    def close(self) -> None:
        self.db.dispose()


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    return Runtime(settings, clock=clock)
