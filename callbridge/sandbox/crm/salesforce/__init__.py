"""A Salesforce REST API simulator (see ``shared/reference/crm.md``)."""

from callbridge.sandbox.crm.salesforce.app import create_app
from callbridge.sandbox.crm.salesforce.config import SalesforceSandboxConfig
from callbridge.sandbox.crm.salesforce.sandbox import SalesforceSandbox

__all__ = ["SalesforceSandbox", "SalesforceSandboxConfig", "create_app"]
