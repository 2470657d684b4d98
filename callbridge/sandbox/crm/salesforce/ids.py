"""Salesforce record ids: a 3-character key prefix, 15 case-sensitive characters, 3 checksum."""

from __future__ import annotations

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _suffix(id15: str) -> str:
    out = ""
    for start in range(0, 15, 5):
        bits = sum(1 << i for i, ch in enumerate(id15[start:start + 5]) if ch.isupper())
        out += _ALPHABET[bits]
    return out


def make_id(prefix: str, number: int, pod: str = "5e0") -> str:
    """An 18-character id such as ``003...`` for record ``number`` of a key prefix."""
    body = ""
    n = number
    for _ in range(9):
        body = _BASE62[n % 62] + body
        n //= 62
    id15 = f"{prefix}{pod}{body}"
    return id15 + _suffix(id15)


def looks_like_id(value: str) -> bool:
    return len(value) in (15, 18) and value.isalnum()


def to18(value: str) -> str:
    return value + _suffix(value) if len(value) == 15 else value
