"""Pipedrive's error body: ``{success:false, error, error_info, data:null, additional_data:null}``."""

from __future__ import annotations

from callbridge.sandbox.crm._kit.errors import SandboxError
from callbridge.sandbox.crm._kit.tokens import AccessGrant

INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."


def pd_error(status: int, message: str, headers: dict[str, str] | None = None) -> SandboxError:
    return SandboxError(status, {"success": False, "error": message, "error_info": INFO,
                                 "data": None, "additional_data": None}, headers)


class PipedriveDialect:
    def __init__(self, rate_message: str, scope_message: str, retry_after: int) -> None:
        self.rate_message = rate_message
        self.scope_message = scope_message
        self.retry_after = retry_after

    def server_error(self, status: int) -> SandboxError:
        return pd_error(status, "Internal server error")

    def forced_rate_limit(self) -> SandboxError:
        return pd_error(429, self.rate_message, {"Retry-After": str(self.retry_after),
                                                 "x-ratelimit-remaining": "0"})

    def unauthorized(self, problem: str, grant: AccessGrant | None) -> SandboxError:
        return pd_error(401, "unauthorized access")

    def forbidden(self, scope: str) -> SandboxError:
        return pd_error(403, f"{self.scope_message} (needs {scope})")
