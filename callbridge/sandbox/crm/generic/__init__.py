"""A generic REST CRM for declarative (proxy) connectors, App Connect sample-shaped."""

from callbridge.sandbox.crm.generic.app import create_app
from callbridge.sandbox.crm.generic.config import GenericSandboxConfig
from callbridge.sandbox.crm.generic.sandbox import GenericSandbox

__all__ = ["GenericSandbox", "GenericSandboxConfig", "create_app"]
