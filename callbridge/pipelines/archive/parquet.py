"""Parquet export partitioned by day (hive layout ``day=YYYY-MM-DD``), readable by DuckDB."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from callbridge.db.models import ArchivedCall, ArchivedCallLeg, ArchivedMessage, ArchivedObject
from callbridge.pipelines.archive.storage import ObjectStore

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["TABLES", "export_parquet"]

TABLES: dict[str, Any] = {
    "calls": ArchivedCall,
    "call_legs": ArchivedCallLeg,
    "messages": ArchivedMessage,
    "objects": ArchivedObject,
}
SKIP = {"organization_id", "id"}


def export_parquet(
    runtime: Runtime, organization_id: str, store: ObjectStore, prefix: str = "parquet"
) -> dict[str, int]:
    """Rewrite ``<prefix>/<organization id>/<table>/day=…/*.parquet`` from the database.

    Returns rows per table. The organization id in the path keeps two organizations sharing one
    storage from overwriting each other's export (and lets a deletion remove it).
    """
    counts: dict[str, int] = {}
    for name, model in TABLES.items():
        columns = [c.name for c in model.__table__.columns if c.name not in SKIP]
        with runtime.db.tenant(organization_id) as session:
            rows = [
                {c: _plain(getattr(row, _attr(model, c))) for c in columns}
                for row in session.scalars(select(model))
            ]
        counts[name] = len(rows)
        root = store.full(f"{prefix}/{organization_id}/{name}")
        if store.fs.exists(root):
            store.fs.rm(root, recursive=True)
        if not rows:
            continue
        table = pa.Table.from_pylist(rows)
        pq.write_to_dataset(table, root, partition_cols=["day"], filesystem=store.fs)
    return counts


def _attr(model: Any, column: str) -> str:
    for attr in model.__mapper__.column_attrs:
        if attr.columns[0].name == column:
            return str(attr.key)
    return column


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value
