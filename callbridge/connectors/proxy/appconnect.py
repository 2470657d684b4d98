"""Import RingCentral App Connect's proxy connector JSON into callbridge's manifest.

App Connect renders ``{{path}}`` templates against its own variables and maps responses with dot
paths under ``body``. The importer rewrites each template into sandboxed Jinja over callbridge's
variables (:data:`VARIABLES`), each dot path into JMESPath, and ``responseMapping`` into
``response``; the activity's body field is the one fed ``{{composedLogDetails}}``. Updates write
only what changed (``write.<field>``; an unchanged field's key is dropped). Operations App Connect
does not have (``find_activity_by_marker``) come from an *overlay*: a partial manifest in
callbridge's format merged over the import. A variable or operation the importer does not know
fails, naming the file and key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path as FsPath
from typing import Any

import yaml

from callbridge.connectors.proxy.errors import ManifestError, Problem
from callbridge.connectors.proxy.loader import CompiledManifest, load_manifest_data
from callbridge.connectors.proxy.mapping import dot_path_to_jmespath

__all__ = ["OPERATIONS", "VARIABLES", "convert_template", "import_appconnect",
           "import_appconnect_file"]

OPERATIONS = {
    "getUserInfo": "get_user_info", "findContact": "find_contact",
    "findContactWithName": "find_contact_by_name", "createContact": "create_contact",
    "createCallLog": "create_call_log", "updateCallLog": "update_call_log",
    "getCallLog": "get_call_log", "createMessageLog": "create_message_log",
    "updateMessageLog": "update_message_log", "getUserList": "list_users",
    "unAuthorize": "unauthorize", "upsertCallDisposition": "upsert_call_disposition",
}
_DRAFT = {
    "contactInfo.id": "draft.contact.id", "contactInfo.name": "draft.contact.name",
    "contactInfo.type": "draft.contact.type", "contactInfo.phoneNumber": "draft.contact.phone",
    "subject": "draft.subject", "composedLogDetails": "draft.body", "note": "draft.body",
    "startTime": "draft.occurred_at", "endTime": "draft.ended_at",
    "creationTime": "draft.occurred_at", "message.subject": "draft.subject",
    "message.direction": "draft.direction", "message.from.phoneNumber": "draft.from_number",
    "message.to.phoneNumber": "draft.to_number", "recordingLink": "draft.recording_url",
    "callLog.duration": "draft.duration_seconds", "callLog.result": "draft.result",
}
# App Connect variable -> callbridge expression, per operation ("*" for every operation)
VARIABLES: dict[str, dict[str, str]] = {
    "*": {"secretKey": "settings.secret_key"},
    "findContact": {"phoneNumber": "phone"},
    "findContactWithName": {"name": "name"},
    "createContact": {"phoneNumber": "phone", "newContactName": "name",
                      "newContactType": "'Contact'"},
    "createCallLog": _DRAFT, "createMessageLog": _DRAFT,
    "getCallLog": {"thirdPartyLogId": "activity_id"},
    "updateCallLog": {"thirdPartyLogId": "activity_id"},
    "updateMessageLog": {"thirdPartyLogId": "activity_id"},
    "upsertCallDisposition": {"thirdPartyLogId": "activity_id",
                              "dispositions.category": "disposition"},
}
_AUTH_VARIABLES = {"apiKey": "credentials.api_key", "user.accessToken": "credentials.access_token",
                   "secretKey": "settings.secret_key"}
_TEMPLATE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


class _Unknown(Exception):
    def __init__(self, variable: str) -> None:
        self.variable = variable


def _lookup(name: str, table: Mapping[str, str]) -> str:
    if name in table:
        return table[name]
    raise _Unknown(name)


def convert_template(text: str, table: Mapping[str, str]) -> str:
    """``"Call {{subject}}"`` → ``"Call {{ draft.subject }}"`` (raises on an unknown variable)."""
    return _TEMPLATE.sub(lambda m: "{{ " + _lookup(m.group(1), table) + " }}", text)


def _as_expression(text: str, table: Mapping[str, str]) -> str:
    """A template as one Jinja expression: ``"{{apiKey}}:"`` → ``(credentials.api_key ~ ':')``."""
    parts: list[str] = []
    last = 0
    for found in _TEMPLATE.finditer(text):
        if found.start() > last:
            parts.append(repr(text[last:found.start()]))
        parts.append(f"({_lookup(found.group(1), table)})")
        last = found.end()
    if last < len(text):
        parts.append(repr(text[last:]))
    return "(" + " ~ ".join(parts or ["''"]) + ")"


def _convert(value: Any, table: Mapping[str, str], key: str, problems: list[Problem]) -> Any:
    if isinstance(value, str):
        try:
            return convert_template(value, table)
        except _Unknown as exc:
            problems.append(Problem(key, f"unknown App Connect variable {exc.variable!r} here; "
                                         f"known: {', '.join(sorted(table)) or 'none'}"))
            return value
    if isinstance(value, Mapping):
        return {k: _convert(v, table, f"{key}.{k}", problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_convert(v, table, f"{key}[{i}]", problems) for i, v in enumerate(value)]
    return value


def _auth(auth: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    kind = auth.get("type", "apiKey")
    header = auth.get("headerName") or "Authorization"
    template = auth.get("credentialTemplate") or ("{{user.accessToken}}" if kind == "oauth"
                                                  else "{{apiKey}}")
    scheme = auth.get("scheme") or ("Bearer" if kind == "oauth" else "")
    try:
        expression = _as_expression(template, _AUTH_VARIABLES)
    except _Unknown as exc:
        problems.append(Problem("auth.credentialTemplate",
                                f"unknown App Connect variable {exc.variable!r}; known: "
                                f"{', '.join(sorted(_AUTH_VARIABLES))}"))
        expression = "''"
    if auth.get("encode", "base64") == "base64":
        expression = f"({expression} | b64)"
    prefix = f"{scheme} " if scheme else ""
    return {"kind": "api_key", "headers": {header: f"{prefix}{{{{ {expression} }}}}"}}


def _response(op: str, mapping: Mapping[str, Any] | None, activity_root: str | None,
              body_field: str, fields: list[str]) -> dict[str, Any]:
    mapping = mapping or {}
    out: dict[str, Any] = {}
    if op in ("findContact", "findContactWithName", "getUserList"):
        item = mapping.get("item") or mapping
        out["list"] = dot_path_to_jmespath(mapping.get("listPath", "body"), strip="body")
        out["id"] = dot_path_to_jmespath(item.get("idPath") or "id")
        names = {"namePath": "name", "typePath": "type", "phonePath": "phone",
                 "emailPath": "email"}
        out["fields"] = {field: dot_path_to_jmespath(item[path]) for path, field in names.items()
                         if item.get(path)}
        return out
    if mapping.get("idPath"):
        out["id"] = dot_path_to_jmespath(mapping["idPath"], strip="body")
    named = {"namePath": "name", "typePath": "type", "emailPath": "email", "subjectPath": "subject",
             "notePath": "note", "fullBodyPath": body_field}
    out["fields"] = {field: dot_path_to_jmespath(mapping[path], strip="body")
                     for path, field in named.items() if mapping.get(path)}
    if activity_root is not None and op in ("getCallLog", "updateCallLog", "updateMessageLog"):
        for field in fields:
            out["fields"].setdefault(field, f"{activity_root}.{field}" if activity_root != "@"
                                     else field)
    if mapping.get("messagePath"):
        out["message"] = dot_path_to_jmespath(mapping["messagePath"], strip="body")
    if not out["fields"]:
        del out["fields"]
    return out


def _activity(config: Mapping[str, Any]) -> tuple[str, dict[str, str], str | None]:
    """The body field (fed ``composedLogDetails``), the merged fields, the getCallLog root."""
    body = ((config.get("operations") or {}).get("createCallLog") or {}).get("body") or {}
    body_field = next((k for k, v in body.items() if v == "{{composedLogDetails}}"),
                      "description")
    fields = {k: convert_template(v, _DRAFT) for k, v in body.items()
              if isinstance(v, str) and k != body_field and _TEMPLATE.fullmatch(v.strip())
              and _TEMPLATE.fullmatch(v.strip()).group(1) in _DRAFT  # type: ignore[union-attr]
              and not v.strip().startswith("{{contactInfo")}
    full = (((config.get("operations") or {}).get("getCallLog") or {}).get("responseMapping")
            or {}).get("fullBodyPath")
    root = None
    if full:
        parent = dot_path_to_jmespath(full, strip="body").rpartition(".")[0]
        root = parent or "@"
    return body_field, fields, root


def _update_body(body: Any, writable: set[str]) -> Any:
    """An update writes only what changed: known fields become ``write.<field>``."""
    if not isinstance(body, Mapping):
        return body
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in writable:
            out[key] = f"{{{{ write.{key} }}}}" if key.isidentifier() else value
        elif not (isinstance(value, str | list | dict) and "{{" in json.dumps(value)):
            out[key] = value  # literals (activity_code_id: 3) are kept; other templates dropped
    return out


def _merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def import_appconnect(config: Mapping[str, Any], source: str, *, name: str | None = None,
                      overlay: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """App Connect's proxy config as a callbridge manifest (a dict, not yet validated)."""
    problems: list[Problem] = []
    meta = config.get("meta") or {}
    defaults = config.get("requestDefaults") or {}
    table_all = VARIABLES["*"]
    settings: dict[str, Any] = {}
    base_url = defaults.get("baseUrl") or ""
    if not base_url:
        settings["base_url"] = {"description": "The CRM's API root"}
        base_url = "{{ settings.base_url }}"
    if "{{secretKey}}" in json.dumps(config):
        settings["secret_key"] = {"description": "The connector secret (X-Secret-Key)",
                                  "secret": True}
    body_field, fields, root = _activity(config)
    manifest: dict[str, Any] = {
        "manifest_version": 1,
        "name": name or re.sub(r"[^a-z0-9_]", "_", str(meta.get("name") or "").lower()),
        "display_name": meta.get("displayName") or name or "Imported App Connect connector",
        "base_url": base_url, "settings": settings,
        "auth": _auth(config.get("auth") or {}, problems),
        "headers": _convert(defaults.get("defaultHeaders") or {}, table_all, "requestDefaults"
                            ".defaultHeaders", problems),
        "timeout_seconds": defaults.get("timeoutSeconds", 30),
        "activity": {"body_field": body_field, "fields": fields},
        "operations": {},
    }
    writable = set(fields) | {body_field}
    for op_name, op in (config.get("operations") or {}).items():
        key = f"operations.{op_name}"
        ours = OPERATIONS.get(op_name)
        if ours is None:
            problems.append(Problem(key, f"unknown App Connect operation; known: "
                                         f"{', '.join(OPERATIONS)}"))
            continue
        if op.get("auth"):
            problems.append(Problem(f"{key}.auth", "per-operation auth is not imported; put the "
                                                   "header in the overlay's auth"))
        table = {**table_all, **VARIABLES.get(op_name, {})}
        body = op.get("body")
        if op_name in ("updateCallLog", "updateMessageLog"):
            body = _update_body(body, writable)
            table.update({f"write.{field}": f"write.{field}" for field in writable})
        request: dict[str, Any] = {
            "method": op.get("method", "GET").upper(),
            "path": _convert(op.get("url", ""), table, f"{key}.url", problems),
        }
        for slot in ("query", "headers"):
            if op.get(slot):
                request[slot] = _convert(op[slot], table, f"{key}.{slot}", problems)
        if body is not None:
            request["body"] = _convert(body, table, f"{key}.body", problems)
        manifest["operations"][ours] = {
            "request": request,
            "response": _response(op_name, op.get("responseMapping"), root, body_field,
                                  list(fields)),
        }
    if problems:
        raise ManifestError(source, problems)
    return _merge(manifest, overlay or {})


def import_appconnect_file(path: FsPath | str, overlay_path: FsPath | str | None = None,
                           *, name: str | None = None) -> CompiledManifest:
    """Read an App Connect JSON (and an overlay in our YAML/JSON), import, validate, compile."""
    path = FsPath(path)
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ManifestError(path.name, [Problem("", f"cannot be read as JSON: {exc}")]) from None
    overlay: Any = {}
    if overlay_path is not None:
        overlay = yaml.safe_load(FsPath(overlay_path).read_text(encoding="utf-8")) or {}
    source = path.name
    manifest = import_appconnect(config, source, name=name, overlay=overlay)
    return load_manifest_data(manifest, source)
