"""HubSpot's manifest: the shared fields plus objects, properties and association type ids."""

from __future__ import annotations

from pathlib import Path

from callbridge.connectors.registry import CodeManifest, load_manifest

__all__ = ["MANIFEST", "HubSpotManifest"]


class HubSpotManifest(CodeManifest):
    authorize_url: str
    token_url: str
    objects: dict[str, str]
    body_property: dict[str, str]
    association_types: dict[str, dict[str, int]]
    call_properties: dict[str, str]
    dispositions: dict[str, str]
    call_status: dict[str, str]


MANIFEST = load_manifest(Path(__file__).with_name("manifest.yaml"), HubSpotManifest)
