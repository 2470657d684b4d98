"""A table of JSON-ish records with integer ids and created/updated times on the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callbridge.sandbox.crm._kit.timefmt import later_than


@dataclass
class Row:
    id: int
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    deleted: bool = False
    version: int = 1


@dataclass
class RecordTable:
    name: str
    next_id: int = 1
    rows: dict[int, Row] = field(default_factory=dict)

    def add(self, data: dict[str, Any], now: datetime) -> Row:
        row = Row(self.next_id, dict(data), now, now)
        self.rows[row.id] = row
        self.next_id += 1
        return row

    def get(self, row_id: int | str) -> Row | None:
        try:
            row = self.rows.get(int(row_id))
        except (TypeError, ValueError):
            return None
        return None if row is None or row.deleted else row

    def change(self, row: Row, changes: dict[str, Any], now: datetime) -> Row:
        row.data.update(changes)
        row.updated_at = later_than(row.updated_at, now)
        row.version += 1
        return row

    def live(self) -> list[Row]:
        return [r for r in self.rows.values() if not r.deleted]
