"""Word tokens of stored text, for CRMs whose search matches whole tokens (with wildcards)."""

from __future__ import annotations

import fnmatch
import re

_TAG = re.compile(r"<[^>]+>")
_ALNUM = re.compile(r"[0-9A-Za-z]+")
_EDGE = "\"'.,;:!?()[]{}<>"


def tokens(text: str | None) -> set[str]:
    """Lower-cased tokens: whitespace words (edge punctuation cut) and their alphanumeric runs."""
    plain = _TAG.sub(" ", text or "").lower()
    found: set[str] = set()
    for word in plain.split():
        cut = word.strip(_EDGE)
        if cut:
            found.add(cut)
        found.update(_ALNUM.findall(word))
    return found


def contains_token(text: str | None, pattern: str) -> bool:
    """True when one token equals ``pattern`` (``*`` is a wildcard), case-insensitive."""
    want = pattern.strip().lower()
    if not want:
        return False
    words = tokens(text)
    if "*" in want:
        return any(fnmatch.fnmatchcase(word, want) for word in words)
    return want in words
