"""The privacy job kinds and their schedule, registered on every runtime."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from callbridge.jobs.schedule import Schedule
from callbridge.privacy.lifecycle import DELETE_ORGANIZATION, delete_organization
from callbridge.privacy.retention import PURGE, purge_expired

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["register_privacy_tasks"]


def register_privacy_tasks(runtime: Runtime) -> None:
    runtime.registry.task(DELETE_ORGANIZATION, max_attempts=20)(delete_organization)
    runtime.registry.task(PURGE, max_attempts=5)(purge_expired)
    runtime.schedules.append(Schedule(PURGE, timedelta(hours=1)))
