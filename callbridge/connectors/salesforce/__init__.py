"""Salesforce connector: Task activities with WhoId/WhatId, SOSL phone search incl. Leads."""

from callbridge.connectors.salesforce.connector import SalesforceConnector
from callbridge.connectors.salesforce.kit import PROFILE

SalesforceConnector.kit_profile = PROFILE

__all__ = ["SalesforceConnector"]
