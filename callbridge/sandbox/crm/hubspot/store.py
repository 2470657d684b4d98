"""HubSpot records, their associations, and the lagging search index (Decision 3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from callbridge.sandbox.crm._kit.timefmt import iso_z, later_than
from callbridge.sandbox.crm.hubspot import schema


@dataclass
class Record:
    id: str
    object_type: str
    properties: dict[str, str]
    created_at: datetime
    updated_at: datetime
    archived: bool = False
    # what search sees: (changed at, properties then); visible once changed at + lag <= now
    versions: list[tuple[datetime, dict[str, str]]] = field(default_factory=list)


@dataclass(frozen=True)
class Edge:
    from_type: str
    from_id: str
    to_type: str
    to_id: str
    type_id: int
    category: str


@dataclass
class HubSpotStore:
    records: dict[str, dict[str, Record]] = field(
        default_factory=lambda: {t: {} for t in schema.OBJECT_TYPE_IDS})
    edges: set[Edge] = field(default_factory=set)
    next_id: int = 51_000_000_001

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def get(self, object_type: str, object_id: str) -> Record | None:
        record = self.records.get(object_type, {}).get(object_id)
        return None if record is None or record.archived else record

    def put(self, object_type: str, props: dict[str, str], now: datetime) -> Record:
        """Store a new record with its system properties."""
        record_id = self.new_id()
        stamp = iso_z(now)
        full = {**props, "hs_object_id": record_id, schema.created_prop(object_type): stamp,
                schema.modified_prop(object_type): stamp}
        record = Record(record_id, object_type, full, now, now)
        record.versions.append((now, dict(full)))
        self.records[object_type][record_id] = record
        return record

    def change(self, record: Record, props: dict[str, str], now: datetime) -> Record:
        """Apply property changes, bump the modified time, and queue a new search version."""
        when = later_than(record.updated_at, now)
        record.properties.update(props)
        record.properties[schema.modified_prop(record.object_type)] = iso_z(when)
        record.updated_at = when
        record.versions.append((now, dict(record.properties)))
        return record

    def searchable(self, record: Record, now: datetime, lag: timedelta) -> dict[str, str] | None:
        """The properties search sees now, or None when the record is not indexed yet."""
        seen = None
        for changed_at, props in record.versions:
            if changed_at + lag <= now:
                seen = props
        return seen

    def associate(self, edge: Edge) -> None:
        self.edges.add(edge)

    def associations(self, object_type: str, object_id: str, to_type: str) -> list[dict[str, Any]]:
        """Associated ids of ``to_type`` in both directions, as the v3 ``associations`` block."""
        found: list[dict[str, Any]] = []
        for e in sorted(self.edges, key=lambda e: (e.to_id, e.from_id)):
            if (e.from_type, e.from_id, e.to_type) == (object_type, object_id, to_type):
                found.append({"id": e.to_id,
                              "type": schema.association_label(object_type, to_type)})
            elif (e.to_type, e.to_id, e.from_type) == (object_type, object_id, to_type):
                found.append({"id": e.from_id,
                              "type": schema.association_label(object_type, to_type)})
        return found

    def edges_of(self, object_type: str, object_id: str, to_type: str) -> list[Edge]:
        return [e for e in self.edges if (e.from_type, e.from_id, e.to_type)
                == (object_type, object_id, to_type)]
