"""Pipedrive's manifest: the shared fields plus OAuth endpoints and search habits."""

from __future__ import annotations

from pathlib import Path

from callbridge.connectors.registry import CodeManifest, load_manifest

__all__ = ["MANIFEST", "PipedriveManifest"]


class PipedriveManifest(CodeManifest):
    authorize_url: str
    token_url: str
    revoke_url: str
    activity_type: str
    marker_lookback_hours: int
    search_limit: int


MANIFEST = load_manifest(Path(__file__).with_name("manifest.yaml"), PipedriveManifest)
