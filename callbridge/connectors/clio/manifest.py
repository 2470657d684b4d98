"""Clio's manifest: the shared fields plus regions, communication types and field selections."""

from __future__ import annotations

from pathlib import Path

from callbridge.connectors.registry import CodeManifest, load_manifest

__all__ = ["MANIFEST", "ClioManifest"]


class ClioManifest(CodeManifest):
    regions: dict[str, str]
    communication_types: dict[str, str]
    communication_fields: str
    contact_fields: str
    page_limit: int


MANIFEST = load_manifest(Path(__file__).with_name("manifest.yaml"), ClioManifest)
