"""Webhook receivers: platforms post here; routing to the organization uses the system scope."""
