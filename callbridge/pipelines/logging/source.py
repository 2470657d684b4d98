"""Where the logging pipeline reads a communication from: ingest's ``communications`` table.

Ingest merges every piece into one row and submits ``logging.sync`` with the row's id; the
row's ``data`` is the merged :class:`Communication` in ingest's JSON form (its codec).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from callbridge.domain.communication import Communication
from callbridge.pipelines.ingest.store import load_communication as _load

__all__ = ["load_communication"]


def load_communication(session: Session, communication_id: str) -> Communication:
    """The stored communication ``communication_id`` of the session's organization."""
    _, comm = _load(session, communication_id)
    return comm
