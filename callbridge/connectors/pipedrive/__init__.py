"""Pipedrive connector (calls as activities, messages as notes)."""

from callbridge.connectors.pipedrive.connector import PipedriveConnector
from callbridge.connectors.pipedrive.kit import PROFILE

PipedriveConnector.kit_profile = PROFILE

__all__ = ["PipedriveConnector"]
