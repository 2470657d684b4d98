"""Task kinds and what a running job gets to work with.

A handler signals what the runner should do by what it raises:

    Exception        any other error: retry with exponential backoff, dead-letter when attempts run out
    ├── RetryLater   retry, but not before ``after`` (a server's Retry-After, a pause)
    └── GiveUp       never retry: dead-letter now with this message (bad data, revoked consent)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.db.models import AppliedEffect

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["GiveUp", "JobContext", "RetryLater", "TaskRegistry", "TaskSpec"]


class RetryLater(Exception):
    """Try again, not before ``after``."""

    def __init__(self, message: str, after: timedelta) -> None:
        super().__init__(message)
        self.after = after


class GiveUp(Exception):
    """This job cannot succeed by retrying; dead-letter it with this message."""


@dataclass
class JobContext:
    """What a handler receives: the job's identity and payload, and the runtime's services."""

    runtime: Runtime
    job_id: str
    kind: str
    organization_id: str | None
    attempt: int
    payload: dict[str, Any]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction in the job's tenant (or the system scope for system jobs)."""
        if self.organization_id is None:
            with self.runtime.db.system(f"job:{self.kind}") as session:
                yield session
        else:
            with self.runtime.db.tenant(self.organization_id) as session:
                yield session

    @contextmanager
    def system_session(self, reason: str) -> Iterator[Session]:
        """A transaction across tenants, for jobs whose work spans them (purges, deletions)."""
        with self.runtime.db.system(f"job:{self.kind}: {reason}") as session:
            yield session

    def first_time(self, session: Session, effect: str) -> bool:
        """True once per ``effect`` of this job: call it in the same transaction as the effect.

        The marker row commits with the effect or not at all, so a crash before the commit
        repeats the effect on the next attempt and a crash after it skips the effect.
        """
        key = f"{self.job_id}:{effect}"
        if session.scalars(select(AppliedEffect.key).where(AppliedEffect.key == key)).first():
            return False
        session.add(
            AppliedEffect(
                key=key,
                organization_id=self.organization_id,
                job_id=self.job_id,
                applied_at=self.runtime.clock.now(),
            )
        )
        return True


TaskFn = Callable[[JobContext], None]


@dataclass(frozen=True)
class TaskSpec:
    kind: str
    fn: TaskFn
    max_attempts: int | None = None


@dataclass
class TaskRegistry:
    """Task kinds by name, declared once, explicitly."""

    _tasks: dict[str, TaskSpec] = field(default_factory=dict)

    def task(self, kind: str, *, max_attempts: int | None = None) -> Callable[[TaskFn], TaskFn]:
        def register(fn: TaskFn) -> TaskFn:
            if kind in self._tasks:
                raise ValueError(f"task kind {kind!r} is registered twice")
            self._tasks[kind] = TaskSpec(kind, fn, max_attempts)
            return fn

        return register

    def get(self, kind: str) -> TaskSpec:
        try:
            return self._tasks[kind]
        except KeyError:
            raise GiveUp(
                f"No handler for job kind {kind!r}; known kinds: {', '.join(sorted(self._tasks))}"
            ) from None

    def __contains__(self, kind: str) -> bool:
        return kind in self._tasks

    def kinds(self) -> list[str]:
        return sorted(self._tasks)
