"""Idempotency keys: the same piece of work always gets the same key, different work never does."""

from __future__ import annotations

import hashlib

__all__ = ["MAX_KEY_LENGTH", "idempotency_key"]

MAX_KEY_LENGTH = 200


def idempotency_key(kind: str, *parts: str | int) -> str:
    """``kind:part:part`` for short keys; long ones keep their kind and end in a SHA-256.

    Parts are joined with an escape so that ``("a:b", "c")`` and ``("a", "b:c")`` differ.
    """
    if not kind or ":" in kind:
        raise ValueError(f"the kind must be a non-empty name without ':'; got {kind!r}")
    if not parts:
        raise ValueError("an idempotency key needs at least one part naming the work")
    escaped = [str(p).replace("\\", "\\\\").replace(":", "\\:") for p in parts]
    key = ":".join([kind, *escaped])
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{kind}:sha256:{digest}"
