"""Merging pieces into the ``communications`` table, and handing changed rows to logging.

Each piece is folded into the stored communication with :func:`merge` (commutative,
associative, idempotent), under optimistic concurrency on the row's ``version``: two workers
normalising pieces of the same call never lose one another's facts, they retry on a lost race.
A row that changed submits ``logging.sync`` for its new version (when that kind is registered),
in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from callbridge.db.models import CommunicationRow
from callbridge.domain.communication import Communication, CommunicationKind, merge
from callbridge.errors import Conflict, NotFound
from callbridge.jobs.queue import enqueue
from callbridge.pipelines.ingest.codec import decode, encode

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = [
    "LOGGING_KIND",
    "StoreOutcome",
    "load_communication",
    "logging_key",
    "store_piece",
    "with_derived_duration",
]

LOGGING_KIND = "logging.sync"
MAX_RACES = 20


def logging_key(communication_id: str, version: int) -> str:
    return f"{LOGGING_KIND}:{communication_id}:{version}"


@dataclass(frozen=True)
class StoreOutcome:
    communication_id: str
    version: int
    changed: bool
    created: bool


class _LostRace(Exception):
    pass


def with_derived_duration(c: Communication) -> Communication:
    """A finished call known only from events gets ``ended - started`` as a provisional duration.

    The derived value is stamped non-final, so the call log's final record always replaces it.
    """
    if (
        c.kind is not CommunicationKind.call
        or not c.final
        or c.duration_seconds is not None
        or c.started_at is None
        or c.ended_at is None
        or c.ended_at < c.started_at
    ):
        return c
    derived = Communication(
        kind=c.kind,
        platform=c.platform,
        source_id=c.source_id,
        duration_seconds=round((c.ended_at - c.started_at).total_seconds()),
        version=c.stamp("ended_at").version,
    )
    return replace(merge(c, derived), final=c.final)


def load_communication(session: Session, communication_id: str) -> tuple[CommunicationRow, Communication]:
    """The row and its :class:`Communication` (what ``logging.sync`` reads)."""
    row = session.get(CommunicationRow, communication_id)
    if row is None:
        raise NotFound(
            f"No communication {communication_id!r} in this organization.", field="communication_id"
        )
    return row, decode(row.data)


def _submit_logging(runtime: Runtime, session: Session, communication_id: str, version: int) -> str | None:
    if LOGGING_KIND not in runtime.registry:
        return None
    spec = runtime.registry.get(LOGGING_KIND)
    job, created = enqueue(
        session,
        runtime.clock,
        LOGGING_KIND,
        {"communication_id": communication_id},
        key=logging_key(communication_id, version),
        max_attempts=spec.max_attempts or runtime.settings.job_max_attempts,
    )
    return job.id if created else None


def _store_once(
    runtime: Runtime, organization_id: str, piece: Communication
) -> tuple[StoreOutcome, str | None]:
    now = runtime.clock.now()
    with runtime.db.tenant(organization_id) as session:
        row = session.scalars(select(CommunicationRow).where(CommunicationRow.key == piece.key)).one_or_none()
        if row is None:
            merged = with_derived_duration(piece)
            row = CommunicationRow(
                key=piece.key,
                platform=piece.platform,
                kind=piece.kind.value,
                owner_ref=merged.owner_ref,
                started_at=merged.started_at,
                final=merged.final,
                version=1,
                data=encode(merged),
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            outcome = StoreOutcome(row.id, 1, changed=True, created=True)
        else:
            merged = with_derived_duration(merge(decode(row.data), piece))
            data = encode(merged)
            if data == row.data:
                return StoreOutcome(row.id, row.version, changed=False, created=False), None
            result = session.execute(
                update(CommunicationRow)
                .where(CommunicationRow.id == row.id, CommunicationRow.version == row.version)
                .values(
                    data=data,
                    owner_ref=merged.owner_ref,
                    started_at=merged.started_at,
                    final=merged.final,
                    version=row.version + 1,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise _LostRace()
            outcome = StoreOutcome(row.id, row.version + 1, changed=True, created=False)
        job_id = _submit_logging(runtime, session, outcome.communication_id, outcome.version)
    return outcome, job_id


def store_piece(runtime: Runtime, organization_id: str, piece: Communication) -> StoreOutcome:
    """Merge ``piece`` into its communication (creating it), in a transaction of its own."""
    for _ in range(MAX_RACES):
        try:
            outcome, job_id = _store_once(runtime, organization_id, piece)
        except (_LostRace, IntegrityError):
            continue  # another worker changed or created the row first: merge into theirs
        except OperationalError as exc:
            if "locked" not in str(exc).lower():
                raise
            continue  # SQLite: a concurrent writer held the lock past busy_timeout
        if job_id is not None:
            runtime.broker.wake(job_id)
        return outcome
    raise Conflict(
        f"Communication {piece.key} changed under us {MAX_RACES} times in a row.",
        hint="the job retries; many workers are normalising the same communication",
    )
