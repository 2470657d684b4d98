"""A HubSpot CRM v3 simulator (see ``shared/reference/crm.md``)."""

from callbridge.sandbox.crm.hubspot.app import create_app
from callbridge.sandbox.crm.hubspot.config import HubSpotSandboxConfig
from callbridge.sandbox.crm.hubspot.sandbox import HubSpotSandbox

__all__ = ["HubSpotSandbox", "HubSpotSandboxConfig", "create_app"]
