"""Rate budgets per (platform app, user, rate group), fed by the servers' headers."""
