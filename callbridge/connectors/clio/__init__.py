"""Clio Manage connector (communications linked to contacts and matters)."""

from callbridge.connectors.clio.connector import ClioConnector
from callbridge.connectors.clio.kit import PROFILE

ClioConnector.kit_profile = PROFILE

__all__ = ["ClioConnector"]
