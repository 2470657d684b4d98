"""Archival: call log (+legs), recordings, messages (+attachments) copied out before retention.

Metadata goes to the database (normalised columns + raw JSON), binaries to fsspec storage,
optionally to Parquet. Cursors advance only after what precedes them is committed.
"""
