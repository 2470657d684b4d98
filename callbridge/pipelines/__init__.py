"""Logging, archive and summary pipelines: headless, run from workers and the CLI."""
