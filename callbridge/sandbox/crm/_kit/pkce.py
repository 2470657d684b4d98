"""PKCE (RFC 7636) verification."""

from __future__ import annotations

import base64
import hashlib
import hmac


def challenge_for(verifier: str, method: str = "S256") -> str:
    """The code_challenge a client sends for ``verifier``."""
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(verifier: str | None, challenge: str | None, method: str | None) -> bool:
    """True when no challenge was set, or the verifier answers it."""
    if not challenge:
        return True
    if not verifier:
        return False
    expected = challenge_for(verifier, method or "plain")
    return hmac.compare_digest(expected, challenge)
