"""Redaction: what may be written to a log, an error message or a dead-letter row.

Tokens, passwords, client secrets, API keys and Authorization headers are replaced by ``***``
wherever they appear: as headers, query parameters, form fields, JSON members or URL userinfo.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

__all__ = ["REDACTED", "RedactingFilter", "install_redaction", "redact", "redact_headers"]

REDACTED = "***"

# Names of fields that hold secrets (not secrets themselves).
SECRET_NAMES = "|".join(
    [
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "client_assertion",
        "assertion",
        "password",
        "passwd",
        "api_key",
        "apikey",
        "api_token",
        "x-api-key",
        "token",
        "secret",
        "code_verifier",
        "code",
        "jwt",
        "private_key",
        "signature",
        "verification_token",
        "validation_token",
    ]
)
SENSITIVE_HEADERS = {
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "verification-token",
    "validation-token",
    "x-zm-signature",
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Bearer abc / Basic abc / plain token
    (
        re.compile(
            r"(?i)\b((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)((?:bearer|basic|token)\s+)?[^\s,;'\"}]+"
        ),
        r"\1\2" + REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 " + REDACTED),
    # "access_token": "…" in JSON and 'access_token': '…' in reprs
    (
        re.compile(rf"(?i)([\"'](?:{SECRET_NAMES})[\"']\s*:\s*)([\"'])(?:\\.|(?!\2).)*\2"),
        r"\1\2" + REDACTED + r"\2",
    ),
    # access_token=… in query strings and form bodies
    (re.compile(rf"(?i)(?<![A-Za-z0-9_])((?:{SECRET_NAMES})=)[^&\s'\"]+"), r"\1" + REDACTED),
    # tokens carried in a URL path (HubSpot's /oauth/v1/access-tokens/<token>)
    (re.compile(r"(?i)(/(?:access|refresh)[-_]tokens?/)[^/?#\s'\"]+"), r"\1" + REDACTED),
    # scheme://user:password@host
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s/]+@"), r"\1" + REDACTED + "@"),
]


def redact(text: str) -> str:
    """Return ``text`` with every credential-looking value replaced by ``***``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in headers.items()}


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message and any exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            message = f"{message} [{type(exc).__name__}: {exc}]"
            record.exc_info = None
            record.exc_text = None
        record.msg = redact(message)
        record.args = None
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of ``logger`` (default: the root logger)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
