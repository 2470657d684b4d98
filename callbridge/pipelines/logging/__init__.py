"""CRM logging: every communication as exactly one CRM activity, updated by 3-way merge."""
