"""What an organization's deletion removes from archive storage: its objects and its Parquet export.

``remove_objects`` is also the archive's remover for the retention purge
(``CALLBRIDGE_RETENTION_ARCHIVE_DAYS``), registered with the privacy package below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select

from callbridge.db.models import ArchivedObject
from callbridge.pipelines.archive.storage import store_from_settings
from callbridge.privacy.retention import register_object_remover

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["PARQUET_PREFIX", "erase_archive", "remove_objects"]

PARQUET_PREFIX = "parquet"


def remove_objects(runtime: Runtime, organization_id: str, paths: Sequence[str]) -> int:
    """Delete the stored objects at ``paths`` (and partial copies); returns how many files went."""
    if not paths:
        return 0
    store = store_from_settings(runtime.settings)
    removed = 0
    for path in paths:
        for candidate in (store.full(path), store.full(path) + ".part"):
            if store.fs.exists(candidate):
                store.fs.rm(candidate)
                removed += 1
    return removed


register_object_remover(ArchivedObject.__tablename__, remove_objects)


def erase_archive(runtime: Runtime, organization_id: str) -> int:
    """Delete every stored object of the organization (and partial ones); returns how many."""
    with runtime.db.tenant(organization_id) as session:
        paths = [p for p in session.scalars(select(ArchivedObject.path)) if p]
    if not paths:
        return 0
    removed = remove_objects(runtime, organization_id, paths)
    store = store_from_settings(runtime.settings)
    export = store.full(f"{PARQUET_PREFIX}/{organization_id}")
    if store.fs.exists(export):
        store.fs.rm(export, recursive=True)
    return removed
