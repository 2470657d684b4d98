"""Export: everything an organization has in callbridge, as one JSON document, streamed.

The document is built from the models, so a new table is exported (and described in the
published JSON Schema) without touching this module. Columns holding vault ciphertext or
credential hashes are never exported. Rows are read in batches and written as they come, so
memory stays flat however much the organization holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, select
from sqlalchemy.orm import Session

from callbridge.db.base import Base, TenantOwned
from callbridge.db.models import Membership, Organization, User

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["EXPORT_FORMAT", "SCHEMA_PATH", "export_schema", "exported_tables", "stream_export"]

EXPORT_FORMAT = "callbridge-export/1"
SCHEMA_PATH = Path(__file__).with_name("export.schema.json")
NEVER_EXPORTED = {"sealed", "hashed"}
BATCH = 500


def _columns(table: Any) -> list[Column[Any]]:
    return [c for c in table.columns if c.info.get("inventory") not in NEVER_EXPORTED]


def exported_tables() -> list[Any]:
    """Tenant-owned tables in a stable order, plus users and the organization itself."""
    owned = sorted(
        (m for m in Base.registry.mappers if issubclass(m.class_, TenantOwned)),
        key=lambda m: m.local_table.name,
    )
    return [Organization, User, *[m.class_ for m in owned]]


def _json_kind(column: Column[Any]) -> str:
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return "object"
    kinds = {dict: "object", bool: "boolean", int: "integer", float: "number"}
    return kinds.get(python_type, "string")


def _json_type(column: Column[Any]) -> dict[str, Any]:
    if isinstance(column.type, JSON):
        return {}  # structured details: any JSON value
    kind = _json_kind(column)
    schema: dict[str, Any] = {"type": [kind, "null"] if column.nullable else kind}
    if column.type.__class__.__name__ == "UTCDateTime":
        schema["format"] = "date-time"
    return schema


def export_schema() -> dict[str, Any]:
    """The JSON Schema of the export document, derived from the models."""
    tables: dict[str, Any] = {}
    for cls in exported_tables():
        table = cls.__table__
        row = {
            "type": "object",
            "additionalProperties": False,
            "required": [c.name for c in _columns(table)],
            "properties": {c.name: _json_type(c) for c in _columns(table)},
        }
        tables[table.name] = {"type": "array", "items": row}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "callbridge organization export",
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "exported_at", "organization_id", "tables"],
        "properties": {
            "format": {"const": EXPORT_FORMAT},
            "exported_at": {"type": "string", "format": "date-time"},
            "organization_id": {"type": "string"},
            "tables": {
                "type": "object",
                "additionalProperties": False,
                "required": sorted(tables),
                "properties": tables,
            },
        },
    }


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "value") and not isinstance(value, (int, str, float)):
        return value.value
    return value


def _rows(session: Session, cls: Any) -> Iterator[dict[str, Any]]:
    columns = _columns(cls.__table__)
    query = select(*[getattr(cls, c.key) for c in columns])
    if cls is User:  # the members of this organization only
        query = query.where(User.id.in_(select(Membership.user_id)))
    for row in session.execute(
        query.order_by(*cls.__table__.primary_key.columns).execution_options(yield_per=BATCH)
    ):
        yield {c.name: _value(v) for c, v in zip(columns, row, strict=True)}


def stream_export(runtime: Runtime, organization_id: str) -> Iterator[bytes]:
    """The export document in chunks, read inside one tenant transaction."""
    with runtime.db.tenant(organization_id) as session:
        head = {
            "format": EXPORT_FORMAT,
            "exported_at": runtime.clock.now().isoformat(),
            "organization_id": organization_id,
        }
        yield json.dumps(head)[:-1].encode() + b', "tables": {'
        for t_index, cls in enumerate(exported_tables()):
            yield (b", " if t_index else b"") + json.dumps(cls.__table__.name).encode() + b": ["
            for r_index, row in enumerate(_rows(session, cls)):
                yield (b", " if r_index else b"") + json.dumps(row, sort_keys=True).encode()
            yield b"]"
        yield b"}}"
