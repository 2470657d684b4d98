"""A small SOSL: FIND {term} [IN … FIELDS] [RETURNING Obj(fields [WHERE …] [LIMIT n]), …]."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from callbridge.sandbox.crm._kit import phones, text
from callbridge.sandbox.crm.salesforce import soql
from callbridge.sandbox.crm.salesforce.errors import FieldProblem
from callbridge.sandbox.crm.salesforce.schema import SObject
from callbridge.sandbox.crm.salesforce.store import SfRecord

_FIND = re.compile(
    r"^\s*FIND\s*\{((?:\\.|[^}\\])*)\}\s*(?:IN\s+(ALL|NAME|EMAIL|PHONE|SIDEBAR)\s+FIELDS)?"
    r"\s*(?:RETURNING\s+(.*?))?\s*(?:LIMIT\s+(\d+))?\s*$", re.IGNORECASE | re.DOTALL)
_INNER = re.compile(r"^(.*?)(\s+(?:WHERE|ORDER|LIMIT|OFFSET)\b.*)?$", re.IGNORECASE | re.DOTALL)
TEXT_TYPES = {"string", "textarea", "email", "phone", "picklist"}


@dataclass
class Returning:
    query: soql.Query


@dataclass
class Search:
    term: str
    scope: str
    returning: list[Returning]
    limit: int


def _split_top(spec: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in spec:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def parse(statement: str, objects: dict[str, SObject]) -> Search:
    """Parse SOSL; raise ``MALFORMED_SEARCH`` when it does not fit the grammar."""
    match = _FIND.match(statement or "")
    if match is None:
        raise FieldProblem("MALFORMED_SEARCH", "No search term found. The search term must "
                           "be enclosed in braces.")
    term = re.sub(r"\\(.)", r"\1", match.group(1)).strip()
    if len(term.replace("*", "")) < 2:
        raise FieldProblem("MALFORMED_SEARCH",
                           "search term must be longer than one character")
    returning = []
    for part in _split_top(match.group(3) or ""):
        name, _, inner = part.partition("(")
        name = name.strip()
        if name not in objects:
            raise FieldProblem("INVALID_TYPE", f"sObject type '{name}' is not supported.")
        inner = inner.rstrip().removesuffix(")") if inner else "Id"
        fields_part, rest = _INNER.match(inner.strip()).groups()  # type: ignore[union-attr]
        returning.append(Returning(soql.parse(
            f"SELECT {fields_part} FROM {name} {rest or ''}")))  # noqa: S608 (SOQL text)
    if not returning:
        returning = [Returning(soql.Query(["Id"], o.name)) for o in objects.values()
                     if o.searchable and o.name != "User"]
    return Search(term, (match.group(2) or "ALL").upper(), returning,
                  int(match.group(4) or 2000))


def _fields_for(obj: SObject, scope: str) -> Iterable[str]:
    if scope == "PHONE":
        return obj.phone_fields
    if scope == "EMAIL":
        return obj.email_fields
    if scope == "NAME":
        return obj.name_fields
    return [f.name for f in obj.fields.values() if f.type in TEXT_TYPES]


def matches(obj: SObject, record: SfRecord, term: str, scope: str, phone_mode: str) -> bool:
    """Whether a record answers a search term in a scope (phones compared on digits)."""
    alternatives = [a.strip() for a in re.split(r"\s+OR\s+", term) if a.strip()]
    for alt in alternatives:
        wanted_digits = phones.digits(alt)
        if scope in ("ALL", "PHONE") and len(wanted_digits) >= 5 and any(
            phones.digits_match(str(record.values.get(f) or ""), alt, phone_mode)
            for f in obj.phone_fields
        ):
            return True
        if scope == "PHONE":
            continue
        words = [w for w in alt.split() if w.upper() != "AND"]
        haystack = " ".join(str(record.values.get(f) or "") for f in _fields_for(obj, scope))
        if words and all(text.contains_token(haystack, w) for w in words):
            return True
    return False
