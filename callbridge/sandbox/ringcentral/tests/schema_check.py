"""A minimal validator for RingCentral's OpenAPI 3.0 schemas (type, properties, required,
items, $ref, allOf/anyOf/oneOf, enum, nullable, additionalProperties: false, minItems, and the
date-time / uri / email formats). Returns a list of problems, empty when the value conforms."""

from __future__ import annotations

import re
from typing import Any

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


class SchemaValidator:
    def __init__(self, document: dict[str, Any]) -> None:
        self.schemas: dict[str, Any] = document["components"]["schemas"]

    def validate(self, value: Any, schema_name: str) -> list[str]:
        if schema_name not in self.schemas:
            raise KeyError(f"schema {schema_name!r} is not in rc_schemas.json")
        errors: list[str] = []
        self._check(value, self.schemas[schema_name], "$", errors)
        return errors

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def _check(self, value: Any, schema: dict[str, Any], path: str, errors: list[str]) -> None:
        schema = self._resolve(schema)
        if value is None and schema.get("nullable"):
            return
        for sub in schema.get("allOf", []):
            self._check(value, sub, path, errors)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = schema[key]
                results = []
                for sub in options:
                    errs: list[str] = []
                    self._check(value, sub, path, errs)
                    results.append(errs)
                if all(results):
                    errors.append(f"{path}: matches none of {key}: {results[0][:3]}")
        kind = schema.get("type")
        if kind and not _TYPES[kind](value):
            errors.append(f"{path}: expected {kind}, got {type(value).__name__} {value!r:.60}")
            return
        if "enum" in schema and value not in schema["enum"]:
            errors.append(f"{path}: {value!r} not in enum {schema['enum'][:8]}…")
        fmt = schema.get("format")
        if isinstance(value, str):
            if fmt == "date-time" and not _DATE_TIME.match(value):
                errors.append(f"{path}: {value!r} is not an ISO 8601 date-time")
            if fmt == "uri" and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value):
                errors.append(f"{path}: {value!r} is not an absolute URI")
            if fmt == "email" and "@" not in value:
                errors.append(f"{path}: {value!r} is not an e-mail address")
        if isinstance(value, list):
            if len(value) < schema.get("minItems", 0):
                errors.append(f"{path}: fewer than {schema['minItems']} items")
            if "items" in schema:
                for i, item in enumerate(value):
                    self._check(item, schema["items"], f"{path}[{i}]", errors)
        if isinstance(value, dict):
            props = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in value:
                    errors.append(f"{path}: required property {name!r} missing")
            for name, item in value.items():
                if name in props:
                    self._check(item, props[name], f"{path}.{name}", errors)
                elif schema.get("additionalProperties") is False:
                    errors.append(f"{path}: property {name!r} is not allowed")
