"""Outbound HTTP: one client layer for every platform and CRM."""

from callbridge.http.client import HttpClient, TransportFailure, parse_retry_after
from callbridge.http.redaction import RedactingFilter, redact

__all__ = ["HttpClient", "RedactingFilter", "TransportFailure", "parse_retry_after", "redact"]
