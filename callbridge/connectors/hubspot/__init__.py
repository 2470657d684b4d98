"""HubSpot connector: calls/communications engagements, contact search, owners, dispositions."""

from callbridge.connectors.hubspot.connector import HubSpotConnector
from callbridge.connectors.hubspot.kit import PROFILE

HubSpotConnector.kit_profile = PROFILE

__all__ = ["HubSpotConnector"]
