"""Clio's ``fields=`` selection: ``id,name,phone_numbers{name,number},matter{id}``."""

from __future__ import annotations

from typing import Any

Selection = dict[str, "Selection | None"]


def parse(spec: str | None) -> Selection:
    """Parse a field list with nested braces; empty → only ``id`` and ``etag``."""
    if not spec:
        return {"id": None, "etag": None}
    out: Selection = {}
    stack: list[Selection] = [out]
    name = ""
    last: str | None = None
    for ch in spec + ",":
        if ch in ",{}":
            if name.strip():
                stack[-1][name.strip()] = None
                last = name.strip()
            name = ""
            if ch == "{" and last is not None:
                child: Selection = {}
                stack[-1][last] = child
                stack.append(child)
            elif ch == "}" and len(stack) > 1:
                stack.pop()
        else:
            name += ch
    return out


def project(value: Any, selection: Selection | None) -> Any:
    """Keep only the selected keys (recursively; lists are projected item by item)."""
    if selection is None:
        return value
    if isinstance(value, list):
        return [project(v, selection) for v in value]
    if isinstance(value, dict):
        return {k: project(value.get(k), sub) for k, sub in selection.items() if k in value}
    return value
