"""Phone-text helpers that treat numbers as text, the way CRMs do (no phonenumbers here)."""

from __future__ import annotations

import re

_EXTENSION = re.compile(r"(?i)\s*(?:;ext=|ext\.?|extension|x|#)\s*\d+\s*$")
_NON_DIGIT = re.compile(r"\D")


def strip_extension(text: str) -> str:
    """``"+1 650-555-0100 x12"`` → ``"+1 650-555-0100"``."""
    return _EXTENSION.sub("", text or "")


def digits(text: str | None) -> str:
    """Every digit of the number part, extension dropped: ``"(650) 555-0100"`` → ``6505550100``."""
    return _NON_DIGIT.sub("", strip_extension(text or ""))


def digits_match(stored: str, term: str, mode: str, min_suffix: int = 7) -> bool:
    """Compare a stored number with a search term under a CRM's matching ``mode``.

    ``exact``: the texts are equal; ``digits``: the digit strings are equal;
    ``digits_suffix``: equal, or one digit string ends with the other (at least
    ``min_suffix`` digits), so a national term finds a number stored with its country code
    and the reverse; ``digits_contains``: the term's digits occur inside the stored digits.
    """
    if mode == "exact":
        return stored.strip() == term.strip()
    ds, dt = digits(stored), digits(term)
    if not ds or not dt:
        return False
    if mode == "digits":
        return ds == dt
    if mode == "digits_suffix":
        if ds == dt:
            return True
        short, long_ = sorted((ds, dt), key=len)
        return len(short) >= min_suffix and long_.endswith(short)
    if mode == "digits_contains":
        return dt in ds
    raise ValueError(f"unknown phone matching mode {mode!r}")
