"""The registry: entry points, manifest loaders, problems, and strict code manifests."""

from __future__ import annotations

from pathlib import Path

import pytest

from callbridge.connectors import registry
from callbridge.connectors.base import Capability
from callbridge.connectors.hubspot.manifest import HubSpotManifest
from callbridge.connectors.registry import (
    CodeManifest,
    RegisteredConnector,
    get_connector,
    list_connectors,
    load_manifest,
    register_manifest_loader,
)
from callbridge.errors import ConfigError


def test_entry_points_list_hubspot_and_salesforce_with_capabilities() -> None:
    found = {c.name: c for c in list_connectors()}
    assert {"hubspot", "salesforce"} <= found.keys()
    assert Capability.call_disposition in found["hubspot"].info.capabilities
    assert found["salesforce"].source == "entry-point:callbridge.connectors.salesforce:SalesforceConnector"
    assert found["hubspot"].kit_profile is not None


def test_manifest_loaders_add_connectors_and_clashes_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    hubspot = get_connector("hubspot")
    clone = RegisteredConnector(hubspot.info, hubspot.factory, "manifest:/x/hubspot.yaml")
    renamed = RegisteredConnector(type(hubspot.info)(**{**hubspot.info.__dict__, "name": "acme"}),
                                  hubspot.factory, "manifest:/x/acme.yaml")

    def broken() -> list[RegisteredConnector]:
        raise ValueError("bad file")

    monkeypatch.setattr(registry, "_LOADERS", [])
    register_manifest_loader(lambda: [clone, renamed])
    register_manifest_loader(broken)
    names = [c.name for c in list_connectors()]
    assert "acme" in names and names.count("hubspot") == 1
    assert "already provided by entry-point" in registry.problems()["hubspot"]
    assert any("bad file" in v for v in registry.problems().values())


def test_unknown_connector_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"known: .*hubspot.*salesforce"):
        get_connector("nosuchcrm")


@pytest.mark.parametrize(("change", "message"), [
    ({"contact_url_template": "https://x/{portal}/{id}"}, "contact_url_template: .*unknown placeholder"),
    ({"activity_url_template": "https://x/list"}, "activity_url_template: .*needs the \\{id\\}"),
    ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
    ({"auth_kinds": ["carrier-pigeon"]}, "auth_kinds.0"),
])
def test_broken_manifests_fail_on_load_naming_file_and_key(tmp_path: Path, change: dict[str, object],
                                                            message: str) -> None:
    import yaml

    source = Path("callbridge/connectors/hubspot/manifest.yaml").read_text()
    data = {**yaml.safe_load(source), **change}
    folder = tmp_path / "hubspot"
    folder.mkdir()
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=message) as caught:
        load_manifest(path, HubSpotManifest)
    assert str(path) in str(caught.value)


def test_manifest_name_must_equal_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "other" / "manifest.yaml"
    path.parent.mkdir()
    path.write_text("name: acme\ndisplay_name: Acme\nauth_kinds: [api_key]\napi_base: https://a\n"
                    "contact_url_template: 'https://a/{id}'\nactivity_url_template: 'https://a/{id}'\n")
    with pytest.raises(ConfigError, match="must equal its folder name 'other'"):
        load_manifest(path, CodeManifest)
