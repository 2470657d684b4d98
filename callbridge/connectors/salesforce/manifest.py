"""Salesforce's manifest: the shared fields plus API version, OAuth paths and Task fields."""

from __future__ import annotations

from pathlib import Path

from callbridge.connectors.registry import CodeManifest, load_manifest

__all__ = ["MANIFEST", "SalesforceManifest"]


class SalesforceManifest(CodeManifest):
    api_version: str
    authorize_path: str
    token_path: str
    revoke_path: str
    task_fields: dict[str, str]
    call_types: dict[str, str]
    what_types: list[str]


MANIFEST = load_manifest(Path(__file__).with_name("manifest.yaml"), SalesforceManifest)
