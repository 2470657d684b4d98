"""The published JSON Schema of the manifest: ``python -m callbridge.connectors.proxy.schema``."""

from __future__ import annotations

import json
from pathlib import Path

from callbridge.connectors.proxy.model import Manifest

__all__ = ["SCHEMA_PATH", "manifest_schema", "render_schema"]

SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")


def manifest_schema() -> dict[str, object]:
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://callbridge.dev/schemas/proxy-manifest-1.json"
    return schema


def render_schema() -> str:
    return json.dumps(manifest_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render_schema(), encoding="utf-8")
