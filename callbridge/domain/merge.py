"""The 3-way merge that never overwrites a person's edit (Invariant 2, Decision 6).

For every field we remember what the CRM held right after our last write (after its own
normalisation). Before an update we read the activity again: a field still equal to our last
write is ours to change; a field that differs was edited by a person and is kept. Free-text
bodies are made of marked sections; each section merges like a field, and text a person wrote
outside the sections is kept as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "FieldValue",
    "MergeResult",
    "merge_body",
    "merge_fields",
    "parse_sections",
    "render_section",
]

FieldValue = str | int | float | bool | None

SECTION_START = "[callbridge:{name}]"
SECTION_END = "[/callbridge:{name}]"
_SECTION = re.compile(
    r"\[callbridge:(?P<name>[a-z0-9_-]+)\]\n?(?P<text>.*?)\n?\[/callbridge:(?P=name)\]", re.S
)


@dataclass(frozen=True)
class MergeResult:
    """What to send (``changes``) and what a person changed that we leave alone (``kept``)."""

    changes: dict[str, FieldValue] = field(default_factory=dict)
    kept: tuple[str, ...] = ()


def _same(a: FieldValue, b: FieldValue) -> bool:
    # CRMs hand numbers back as strings ("120" for 120); compare their text forms.
    return (None if a is None else str(a)) == (None if b is None else str(b))


def merge_fields(
    last_written: Mapping[str, FieldValue],
    current: Mapping[str, FieldValue],
    desired: Mapping[str, FieldValue],
) -> MergeResult:
    """Fields to change: those we want different whose current value is still our last write.

    A field we never wrote is ours to set only while it is empty in the CRM.
    """
    changes: dict[str, FieldValue] = {}
    kept: list[str] = []
    for name, want in desired.items():
        now = current.get(name)
        if _same(now, want):
            continue
        ours = name in last_written and _same(now, last_written[name])
        untouched_empty = name not in last_written and now in (None, "")
        if ours or untouched_empty:
            changes[name] = want
        else:
            kept.append(name)
    return MergeResult(changes, tuple(kept))


def render_section(name: str, text: str) -> str:
    return f"{SECTION_START.format(name=name)}\n{text}\n{SECTION_END.format(name=name)}"


def parse_sections(body: str) -> dict[str, str]:
    """The marked sections of a body, by name."""
    return {m.group("name"): m.group("text") for m in _SECTION.finditer(body or "")}


def merge_body(last_written: str | None, current: str | None, desired: Mapping[str, str]) -> str | None:
    """The body to write, or None when nothing needs to change.

    Each section we want is replaced only where it still holds what we last wrote (or is
    missing); a section a person edited is kept; new sections are appended; everything outside
    the sections (a person's notes) stays where it is.
    """
    body = current or ""
    ours = parse_sections(last_written or "")
    theirs = parse_sections(body)
    new_body = body
    for name, text in desired.items():
        if name in theirs:
            if theirs[name] == text:
                continue
            if name in ours and theirs[name] != ours[name]:
                continue  # a person rewrote this section: theirs now
            old = render_section(name, theirs[name])
            new_body = new_body.replace(old, render_section(name, text), 1)
        elif name not in ours:
            sep = "\n\n" if new_body.strip() else ""
            new_body = f"{new_body.rstrip()}{sep}{render_section(name, text)}"
        # a section we wrote that a person deleted stays deleted
    return None if new_body == body else new_body
