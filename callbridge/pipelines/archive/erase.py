"""What an organization's deletion removes from archive storage: its objects and its Parquet export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from callbridge.db.models import ArchivedObject
from callbridge.pipelines.archive.storage import store_from_settings

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["PARQUET_PREFIX", "erase_archive"]

PARQUET_PREFIX = "parquet"


def erase_archive(runtime: Runtime, organization_id: str) -> int:
    """Delete every stored object of the organization (and partial ones); returns how many."""
    with runtime.db.tenant(organization_id) as session:
        paths = [p for p in session.scalars(select(ArchivedObject.path)) if p]
    if not paths:
        return 0
    store = store_from_settings(runtime.settings)
    removed = 0
    for path in paths:
        for candidate in (store.full(path), store.full(path) + ".part"):
            if store.fs.exists(candidate):
                store.fs.rm(candidate)
                removed += 1
    export = store.full(f"{PARQUET_PREFIX}/{organization_id}")
    if store.fs.exists(export):
        store.fs.rm(export, recursive=True)
    return removed
