"""Error types of callbridge. Each carries a stable ``code``, a message for the person who must
act, and where it helps the ``field`` at fault and a ``hint`` saying what to do.

    CallbridgeError
    ├── ConfigError            a setting is wrong: names the setting and the fix
    ├── InvalidInput           a request or command argument is wrong (HTTP 422)
    ├── Unauthenticated        no token, or a token we do not know (HTTP 401)
    ├── Forbidden              a known caller without the role for this (HTTP 403)
    ├── NotFound               nothing of that id in the caller's organization (HTTP 404)
    ├── Conflict               the object exists or changed meanwhile (HTTP 409)
    ├── TenantScopeMissing     a programming error: a tenant-owned table read without a tenant
    └── VaultError             a secret cannot be sealed or opened (wrong key ring, tampering)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CallbridgeError",
    "ConfigError",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "TenantScopeMissing",
    "Unauthenticated",
    "VaultError",
]


class CallbridgeError(Exception):
    """Base of every error callbridge raises on purpose."""

    code = "error"
    http_status = 500

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "field": self.field, "hint": self.hint}

    def __str__(self) -> str:
        parts = [self.message]
        if self.hint:
            parts.append(f"Fix: {self.hint}")
        return " ".join(parts)


class ConfigError(CallbridgeError):
    code = "config_invalid"
    http_status = 500

    def __str__(self) -> str:
        return self.message  # the message already names each setting and its fix


class InvalidInput(CallbridgeError):
    code = "invalid_input"
    http_status = 422


class Unauthenticated(CallbridgeError):
    code = "unauthenticated"
    http_status = 401


class Forbidden(CallbridgeError):
    code = "forbidden"
    http_status = 403


class NotFound(CallbridgeError):
    code = "not_found"
    http_status = 404


class Gone(CallbridgeError):
    code = "gone"
    http_status = 410


class Conflict(CallbridgeError):
    code = "conflict"
    http_status = 409


class TenantScopeMissing(CallbridgeError):
    code = "tenant_scope_missing"
    http_status = 500


class VaultError(CallbridgeError):
    code = "vault_error"
    http_status = 500
