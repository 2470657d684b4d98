"""Plumbing shared by the CRM sandboxes: tokens, limits, faults, request log, control API."""
