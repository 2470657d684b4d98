"""A Pipedrive API simulator (see ``shared/reference/crm.md``)."""

from callbridge.sandbox.crm.pipedrive.app import create_app
from callbridge.sandbox.crm.pipedrive.config import PipedriveSandboxConfig
from callbridge.sandbox.crm.pipedrive.sandbox import PipedriveSandbox

__all__ = ["PipedriveSandbox", "PipedriveSandboxConfig", "create_app"]
