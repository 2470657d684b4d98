"""Which RingCentral rate group a request counts in (reference §4), and the default limits."""

from __future__ import annotations

import re

from callbridge.ratelimit import GroupLimit

__all__ = ["DEFAULT_LIMITS", "group_of"]

DEFAULT_LIMITS = {
    "heavy": GroupLimit(10, 60.0, 60.0),
    "medium": GroupLimit(40, 60.0, 60.0),
    "light": GroupLimit(50, 60.0, 60.0),
    "auth": GroupLimit(5, 60.0, 60.0),
}

_HEAVY = re.compile(r"/(call-log|call-log-sync|call-log-extract-sync|active-calls|recording)(/|$)")
_ATTACHMENT = re.compile(r"/message-store/[^/]+/content/")
_EXTENSION_LIST = re.compile(r"/account/[^/]+/extension/?$")


def group_of(method: str, path: str) -> str | None:
    """The group of a REST call; None for paths that are not rate limited (jwks)."""
    if path.startswith("/restapi/oauth/"):
        return None if path.endswith("/jwks") else "auth"
    if _HEAVY.search(path):
        return "heavy"
    if _ATTACHMENT.search(path):
        return "medium"
    if method == "DELETE" and "/message-store" in path:  # deleteMessage is in the Medium group
        return "medium"
    if "/subscription" in path:
        if method == "GET" or path.endswith("/renew"):
            return "light"
        return "medium"
    if _EXTENSION_LIST.search(path):
        return "medium"
    return "light"
