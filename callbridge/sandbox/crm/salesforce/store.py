"""Salesforce records: validation of writes, system fields, and the rendered shape."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callbridge.sandbox.crm._kit.timefmt import later_than, parse_iso, sf_datetime
from callbridge.sandbox.crm.salesforce import ids
from callbridge.sandbox.crm.salesforce.errors import FieldProblem
from callbridge.sandbox.crm.salesforce.schema import SObject, prefix_owner


@dataclass
class SfRecord:
    sobject: str
    values: dict[str, Any]
    created_at: datetime
    modified_at: datetime

    @property
    def id(self) -> str:
        return str(self.values["Id"])


@dataclass
class SalesforceStore:
    objects: dict[str, SObject]
    records: dict[str, dict[str, SfRecord]] = field(default_factory=dict)
    counter: int = 1_000

    def __post_init__(self) -> None:
        for name in self.objects:
            self.records.setdefault(name, {})

    def get(self, record_id: str) -> SfRecord | None:
        owner = prefix_owner(self.objects, record_id)
        if owner is None:
            return None
        return self.records[owner].get(ids.to18(record_id))

    def _coerce(self, obj: SObject, name: str, value: Any, *, creating: bool) -> tuple[str, Any]:
        spec = obj.lookup(name)
        if spec is None:
            raise FieldProblem("INVALID_FIELD",
                               f"No such column '{name}' on sobject of type {obj.name}")
        if spec.name == "Id":
            raise FieldProblem("INVALID_FIELD",
                               "The Id field should not be specified in the sobject data.")
        if (creating and not spec.createable) or (not creating and not spec.updateable):
            raise FieldProblem(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {spec.name}. Please check the security "
                "settings of this field and verify that it is read/write for your profile "
                "or permission set.", [spec.name])
        if value is None:
            return spec.name, None
        if spec.type in ("string", "textarea", "phone", "email", "picklist"):
            text = str(value)
            if len(text) > spec.length:
                raise FieldProblem("STRING_TOO_LONG", f"{spec.name}: data value too large: "
                                   f"{text[:20]}... (max length={spec.length})", [spec.name])
            if spec.picklist and text not in spec.picklist:
                raise FieldProblem("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                   f"{spec.name}: bad value for restricted picklist field: "
                                   f"{text}", [spec.name])
            return spec.name, text
        if spec.type == "int":
            if isinstance(value, bool) or not re.fullmatch(r"-?\d+", str(value)):
                raise FieldProblem("JSON_PARSER_ERROR",
                                   f"Cannot deserialize instance of int from {value!r}")
            return spec.name, int(value)
        if spec.type == "double":
            return spec.name, float(value)
        if spec.type == "boolean":
            return spec.name, bool(value)
        if spec.type == "date":
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
                raise FieldProblem("JSON_PARSER_ERROR",
                                   f"Cannot deserialize instance of date from {value!r}")
            return spec.name, str(value)
        if spec.type == "datetime":
            try:
                return spec.name, sf_datetime(parse_iso(str(value)))
            except ValueError as exc:
                raise FieldProblem("JSON_PARSER_ERROR", f"Cannot deserialize instance of "
                                   f"datetime from {value!r}") from exc
        if spec.type == "reference":
            return spec.name, self._reference(spec.name, spec.refs, str(value))
        return spec.name, value

    def _reference(self, name: str, refs: tuple[str, ...], value: str) -> str:
        if not ids.looks_like_id(value):
            raise FieldProblem("MALFORMED_ID", f"{name}: id value of incorrect type: {value}",
                               [name])
        target = self.get(value)
        if target is None or target.sobject not in refs:
            raise FieldProblem("FIELD_INTEGRITY_EXCEPTION",
                               f"{name}: id value of incorrect type: {value}", [name])
        return target.id

    def clean(self, obj: SObject, given: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        """Validated, canonically named values; raise :class:`FieldProblem`."""
        out: dict[str, Any] = {}
        for name, value in given.items():
            if name == "attributes":
                continue
            canonical, coerced = self._coerce(obj, name, value, creating=creating)
            out[canonical] = coerced
        if creating:
            missing = [f for f in obj.required if out.get(f) in (None, "")]
            if missing:
                raise FieldProblem("REQUIRED_FIELD_MISSING",
                                   f"Required fields are missing: [{', '.join(missing)}]", missing)
        return out

    def insert(self, obj: SObject, values: dict[str, Any], now: datetime, user_id: str
               ) -> SfRecord:
        self.counter += 1
        record_id = ids.make_id(obj.prefix, self.counter)
        stamp = sf_datetime(now)
        full: dict[str, Any] = {f: None for f in obj.fields}
        full.update(obj.defaults)
        full.update({"Id": record_id, "IsDeleted": False, "CreatedDate": stamp,
                     "CreatedById": user_id, "LastModifiedDate": stamp,
                     "LastModifiedById": user_id, "SystemModstamp": stamp})
        if "OwnerId" in obj.fields:
            full["OwnerId"] = user_id
        full.update(values)
        _derive(obj, full)
        record = SfRecord(obj.name, full, now, now)
        self.records[obj.name][record_id] = record
        return record

    def update(self, record: SfRecord, values: dict[str, Any], now: datetime, user_id: str
               ) -> SfRecord:
        when = later_than(record.modified_at, now)
        record.values.update(values)
        stamp = sf_datetime(when)
        record.values.update({"LastModifiedDate": stamp, "SystemModstamp": stamp,
                              "LastModifiedById": user_id})
        record.modified_at = when
        _derive(self.objects[record.sobject], record.values)
        return record

    def render(self, record: SfRecord, version: str, fields: list[str] | None = None
               ) -> dict[str, Any]:
        """``{"attributes": {type, url}, Field: value, …}``."""
        out: dict[str, Any] = {"attributes": {
            "type": record.sobject,
            "url": f"/services/data/{version}/sobjects/{record.sobject}/{record.id}"}}
        obj = self.objects[record.sobject]
        names = fields if fields is not None else list(obj.fields)
        for name in names:
            spec = obj.lookup(name)
            if spec is not None:
                out[spec.name] = record.values.get(spec.name)
        return out


def _derive(obj: SObject, values: dict[str, Any]) -> None:
    """Fields Salesforce computes: Name of people, IsClosed of tasks."""
    if obj.name in ("Contact", "Lead", "User"):
        values["Name"] = " ".join(p for p in (values.get("FirstName"), values.get("LastName")) if p)
    if obj.name == "Task":
        values["IsClosed"] = values.get("Status") in ("Completed", "Deferred")
    if obj.name == "Case" and not values.get("CaseNumber"):
        values["CaseNumber"] = f"{int(values['Id'][6:15], 36) % 10**8:08d}"
