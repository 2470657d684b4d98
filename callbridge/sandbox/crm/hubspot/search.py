"""Evaluate a HubSpot search request (filter groups, operators, query) against properties."""

from __future__ import annotations

from typing import Any

from callbridge.sandbox.crm._kit import phones, text
from callbridge.sandbox.crm.hubspot import schema

OPERATORS = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
             "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}


class SearchError(ValueError):
    """A search request HubSpot would refuse with VALIDATION_ERROR."""


def _num(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(stored: str, wanted: str, op: str) -> bool:
    a, b = _num(stored), _num(wanted)
    left: Any = a if a is not None and b is not None else stored.lower()
    right: Any = b if a is not None and b is not None else wanted.lower()
    return bool({"LT": left < right, "LTE": left <= right, "GT": left > right,
                 "GTE": left >= right}[op])


def _filter_matches(props: dict[str, str], flt: dict[str, Any]) -> bool:
    name = flt.get("propertyName")
    op = flt.get("operator", "EQ")
    if not isinstance(name, str) or op not in OPERATORS:
        raise SearchError(f"invalid filter {flt!r}: needs propertyName and one of "
                          f"{sorted(OPERATORS)}")
    stored = props.get(name) or ""
    value = str(flt.get("value", ""))
    values = [str(v) for v in flt.get("values") or []]
    if op == "HAS_PROPERTY":
        return stored != ""
    if op == "NOT_HAS_PROPERTY":
        return stored == ""
    if op == "EQ":
        return stored != "" and stored.lower() == value.lower()
    if op == "NEQ":
        return stored.lower() != value.lower()
    if op == "IN":
        return stored.lower() in {v.lower() for v in values}
    if op == "NOT_IN":
        return stored.lower() not in {v.lower() for v in values}
    if op == "CONTAINS_TOKEN":
        return text.contains_token(stored, value)
    if op == "NOT_CONTAINS_TOKEN":
        return not text.contains_token(stored, value)
    if stored == "":
        return False
    if op == "BETWEEN":
        high = str(flt.get("highValue", ""))
        return _compare(stored, value, "GTE") and _compare(stored, high, "LTE")
    return _compare(stored, value, op)


def _query_matches(object_type: str, props: dict[str, str], query: str) -> bool:
    words = [w.lower() for w in query.split() if w]
    wanted_digits = phones.digits(query)
    for name in schema.QUERY_PROPERTIES.get(object_type, []):
        stored = props.get(name) or ""
        if name in schema.PHONE_PROPERTIES:
            calculated = props.get(schema.PHONE_PROPERTIES[name]) or ""
            if wanted_digits and wanted_digits in (phones.digits(stored), calculated):
                return True
            continue
        tokens = text.tokens(stored)
        if words and all(any(t.startswith(w) for t in tokens) for w in words):
            return True
    return False


def check_shape(body: dict[str, Any], max_groups: int, max_per_group: int, max_total: int,
                max_limit: int) -> None:
    """Refuse requests beyond HubSpot's search limits."""
    groups = body.get("filterGroups") or []
    if not isinstance(groups, list):
        raise SearchError("filterGroups must be a list")
    if len(groups) > max_groups:
        raise SearchError(f"Too many filter groups: {len(groups)}; at most {max_groups}")
    total = 0
    for group in groups:
        filters = group.get("filters") or [] if isinstance(group, dict) else None
        if filters is None:
            raise SearchError("each filter group must be an object with filters")
        if len(filters) > max_per_group:
            raise SearchError(f"Too many filters in a group: {len(filters)}; at most "
                              f"{max_per_group}")
        total += len(filters)
    if total > max_total:
        raise SearchError(f"Too many filters: {total}; at most {max_total} in total")
    limit = body.get("limit", 10)
    if not isinstance(limit, int) or not 0 < limit <= max_limit:
        raise SearchError(f"limit must be between 1 and {max_limit}, got {limit!r}")


def matches(object_type: str, props: dict[str, str], body: dict[str, Any]) -> bool:
    """Groups are ORed, filters in a group ANDed; ``query`` must also match when given."""
    query = body.get("query")
    if query and not _query_matches(object_type, props, str(query)):
        return False
    groups = body.get("filterGroups") or []
    if not groups:
        return True
    return any(all(_filter_matches(props, f) for f in g.get("filters") or []) for g in groups)


def sort_key(props: dict[str, str], sorts: list[Any]) -> tuple[Any, ...]:
    """Sort by the first requested property (string or {propertyName, direction})."""
    if not sorts:
        return (int(props.get("hs_object_id", "0")),)
    first = sorts[0]
    name = first if isinstance(first, str) else first.get("propertyName", "hs_object_id")
    value = props.get(name) or ""
    number = _num(value)
    return (0, number, "") if number is not None else (1, 0.0, value.lower())


def descending(sorts: list[Any]) -> bool:
    return bool(sorts) and isinstance(sorts[0], dict) and sorts[0].get("direction") == "DESCENDING"
