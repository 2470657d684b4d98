"""Manifest loading: the schema is published, and broken manifests fail naming file and key."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from callbridge.connectors.proxy import ManifestError, load_manifest, load_manifest_data
from callbridge.connectors.proxy.appconnect import import_appconnect
from callbridge.connectors.proxy.schema import SCHEMA_PATH, render_schema

GOOD = Path("callbridge/connectors/proxy/manifests/generic_rest.yaml")


def base() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(GOOD.read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def test_published_schema_is_up_to_date() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), (
        "run: python -m callbridge.connectors.proxy.schema")


def test_built_in_manifest_loads() -> None:
    assert load_manifest(GOOD).name == "generic_rest"


def _op(data: dict[str, Any], op: str) -> dict[str, Any]:
    found: dict[str, Any] = data["operations"][op]
    return found


def _broken(change: Any) -> dict[str, Any]:
    data = base()
    change(data)
    return data


CASES = [
    ("bad JMESPath",
     lambda d: _op(d, "find_contact")["response"].update(list="contacts[?"),
     "acme.yaml: operations.find_contact.response.list: invalid JMESPath 'contacts[?'"),
    ("unknown operation",
     lambda d: d["operations"].update(fnd_contact={"request": {"path": "/x"}}),
     "acme.yaml: operations: unknown operation 'fnd_contact'; valid: get_user_info"),
    ("template syntax error",
     lambda d: _op(d, "find_contact")["request"]["query"].update(phone="{{ phone }"),
     "acme.yaml: operations.find_contact.request.query.phone: template error"),
    ("undeclared variable",
     lambda d: _op(d, "find_contact")["request"]["query"].update(phone="{{ phoneNumber }}"),
     "acme.yaml: operations.find_contact.request.query.phone: undeclared variable 'phoneNumber'"),
    ("undeclared attribute",
     lambda d: d["activity"]["fields"].update(subject="{{ draft.subjekt }}"),
     "acme.yaml: activity.fields.subject: undeclared variable 'draft.subjekt'"),
    ("undeclared setting",
     lambda d: d.update(base_url="{{ settings.host }}"),
     "acme.yaml: base_url: undeclared variable 'settings.host'"),
    ("missing required operation",
     lambda d: d["operations"].pop("get_call_log"),
     "acme.yaml: operations.get_call_log: required operation is missing"),
    ("unknown key",
     lambda d: _op(d, "get_call_log")["request"].update(verb="GET"),
     "acme.yaml: operations.get_call_log.request: unknown key 'verb'; valid: method, path"),
    ("bad error policy",
     lambda d: _op(d, "get_call_log").update(errors=[{"status": 404, "action": "ignore"}]),
     "acme.yaml: operations.get_call_log.errors[0].action: Input should be 'empty'"),
    ("existing without id",
     lambda d: _op(d, "create_call_log").update(errors=[{"status": 409, "action": "existing"}]),
     "acme.yaml: operations.create_call_log.errors[0].id: the 'existing' action needs"),
    ("list op without list",
     lambda d: _op(d, "find_contact")["response"].pop("list"),
     "acme.yaml: operations.find_contact.response.list: required"),
    ("secret header value masked",
     lambda d: d["auth"]["headers"].update({"X-API-Key": "sk_live_123 {{ credentials.api_key"}),
     "acme.yaml: auth.headers.X-API-Key: template error"),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_manifest_fails_on_load_naming_file_and_key(change: Any, expected: str) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifest_data(_broken(change), "acme.yaml")
    assert expected in str(caught.value)
    assert "sk_live_123" not in str(caught.value)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"acme.yaml: not valid YAML: .*line 2"):
        load_manifest(path)


def test_importer_rejects_unknown_variable_and_operation() -> None:
    config = {"operations": {"findContact": {"url": "/c", "query": {"p": "{{phoneNumbr}}"}},
                             "getLicenseStatus": {"url": "/l"}}}
    with pytest.raises(ManifestError) as caught:
        import_appconnect(config, "vendor.json", name="vendor")
    text = str(caught.value)
    assert "vendor.json: operations.findContact.query.p: unknown App Connect variable " \
           "'phoneNumbr'" in text
    assert "vendor.json: operations.getLicenseStatus: unknown App Connect operation" in text


def test_imported_manifest_without_marker_search_names_the_missing_operation(
        shared_fixtures: Path) -> None:
    config = yaml.safe_load((shared_fixtures / "appconnect_proxy_sample.json").read_text())
    manifest = import_appconnect(config, "appconnect_proxy_sample.json", name="sample")
    with pytest.raises(ManifestError, match=r"operations\.find_activity_by_marker: required "
                                            r"operation is missing"):
        load_manifest_data(manifest, "appconnect_proxy_sample.json")
