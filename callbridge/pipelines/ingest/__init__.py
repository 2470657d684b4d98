"""Ingest: platform events and records → inbox → normalised, merged communications."""
