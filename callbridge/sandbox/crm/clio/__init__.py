"""A Clio Manage API v4 simulator (see ``shared/reference/crm.md``)."""

from callbridge.sandbox.crm.clio.app import create_app
from callbridge.sandbox.crm.clio.config import ClioSandboxConfig
from callbridge.sandbox.crm.clio.sandbox import ClioSandbox

__all__ = ["ClioSandbox", "ClioSandboxConfig", "create_app"]
