"""Load a proxy manifest: parse, validate every slot, compile templates and JMESPath up front.

Everything wrong is reported at once, each line naming the file and the key::

    acme.yaml: operations.find_contact.response.list: invalid JMESPath 'contacts[?': …
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from callbridge.connectors.proxy.errors import ManifestError, Problem, mask
from callbridge.connectors.proxy.mapping import Path, compile_path
from callbridge.connectors.proxy.model import ErrorRule, Manifest, Operations
from callbridge.connectors.proxy.scopes import (
    activity_scope,
    auth_scope,
    operation_scope,
    settings_scope,
    url_scope,
)
from callbridge.connectors.proxy.templates import Scope, Template, compile_template, compile_value

__all__ = ["CompiledManifest", "CompiledOperation", "CompiledResponse", "load_manifest",
           "load_manifest_data", "parse_manifest_text"]

OPERATION_NAMES = tuple(Operations.model_fields)


@dataclass(frozen=True)
class CompiledResponse:
    id: Path | None = None
    list: Path | None = None
    fields: dict[str, Path] = field(default_factory=dict)
    message: Path | None = None


@dataclass(frozen=True)
class CompiledOperation:
    name: str
    method: str
    path: Template | str
    query: Any
    headers: Any
    body: Any
    response: CompiledResponse
    errors: tuple[ErrorRule, ...]
    phone_formats: tuple[str, ...]
    error_ids: dict[int, Path] = field(default_factory=dict)  # index of an 'existing' rule

    def rule_for(self, status: int) -> tuple[ErrorRule, Path | None] | None:
        """The first error rule for ``status`` and its compiled ``id`` path."""
        for index, rule in enumerate(self.errors):
            statuses = rule.status if isinstance(rule.status, list) else [rule.status]
            if status in statuses:
                return rule, self.error_ids.get(index)
        return None


@dataclass(frozen=True)
class CompiledManifest:
    """A manifest ready to run: its model plus compiled templates and paths."""

    source: str
    model: Manifest
    base_url: Any
    auth_headers: Any
    auth_query: Any
    headers: Any
    urls: dict[str, Template | str]
    activity_fields: dict[str, Any]
    operations: dict[str, CompiledOperation]

    @property
    def name(self) -> str:
        return self.model.name


def parse_manifest_text(text: str, source: str) -> Any:
    """YAML (``.yaml``/``.yml``) or JSON; a syntax error names the file and line."""
    try:
        if source.endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(source, [Problem("", f"not valid JSON: {exc.msg} "
                                                 f"(line {exc.lineno}, column {exc.colno})")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ManifestError(source, [Problem("", f"not valid YAML: {problem}{where}")]) from None


def load_manifest(path: FsPath | str) -> CompiledManifest:
    path = FsPath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(str(path), [Problem("", f"cannot be read: {exc.strerror}")]) from None
    return load_manifest_data(parse_manifest_text(text, path.name), path.name)


def load_manifest_data(data: Any, source: str) -> CompiledManifest:
    """Validate and compile ``data`` (already parsed) found in ``source``."""
    if not isinstance(data, Mapping):
        raise ManifestError(source, [Problem("", "the manifest must be a mapping (an object)")])
    try:
        model = Manifest.model_validate(data)
    except ValidationError as exc:
        raise ManifestError(source, _pydantic_problems(exc)) from None
    problems: list[Problem] = []
    compiled = _compile(model, source, problems)
    if problems:
        raise ManifestError(source, problems)
    return compiled


# -- pydantic errors as (key, message) ---------------------------------------------------------
def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation may hold (through Optional, list, dict, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, dict):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out += _unwrap(arg)
        return out
    return [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []


def _known_keys(loc: tuple[str | int, ...]) -> list[str]:
    models: list[Any] = [Manifest]
    for part in loc:
        if isinstance(part, int):
            continue
        nxt: list[Any] = []
        for model in models:
            if part in model.model_fields:
                nxt += _unwrap(model.model_fields[part].annotation)
            elif model.__name__ == part.title().replace("_", ""):
                nxt.append(model)
        nxt += [m for m in models if getattr(m.model_fields.get("kind"), "annotation", None)
                is not None and part in typing.get_args(m.model_fields["kind"].annotation)]
        models = nxt or models
    keys: list[str] = []
    for model in models:
        keys += [k for k in model.model_fields if k not in keys]
    return keys


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if i and loc[i - 1] == "auth" and part in ("api_key", "oauth"):
            continue  # pydantic's discriminator tag, not a key of the file
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _pydantic_problems(exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        key = _dotted(loc)
        kind = error["type"]
        if kind == "extra_forbidden":
            known = _known_keys(tuple(p for p in loc[:-1]))
            what = "operation" if loc[:1] == ("operations",) and len(loc) == 2 else "key"
            message = f"unknown {what} {loc[-1]!r}; valid: {', '.join(known)}"
            key = _dotted(loc[:-1]) or key
        elif kind == "missing":
            what = "operation" if loc[:1] == ("operations",) and len(loc) == 2 else "key"
            message = f"required {what} is missing"
        elif kind == "union_tag_invalid":
            message = f"{error['msg']}"
        else:
            shown = error.get("input")
            given = "" if isinstance(shown, Mapping | list) else f" (got {mask(key, shown)})"
            message = f"{error['msg']}{given}"
        problems.append(Problem(key, message))
    return problems


# -- compiling ---------------------------------------------------------------------------------
def _template(text: str, key: str, scope: Scope, problems: list[Problem], *, path: bool = False
              ) -> Template | str:
    if "{{" not in text and "{%" not in text:
        return text
    compiled = compile_template(text, key, scope, path=path)
    if isinstance(compiled, Problem):
        problems.append(compiled)
        return text
    return compiled


def _path(expression: str | None, key: str, problems: list[Problem]) -> Path | None:
    if expression is None:
        return None
    compiled = compile_path(expression, key)
    if isinstance(compiled, Problem):
        problems.append(compiled)
        return None
    return compiled


def _compile(model: Manifest, source: str, problems: list[Problem]) -> CompiledManifest:
    names = list(model.settings)
    for name, setting in model.settings.items():
        if setting.secret and setting.default is not None:
            problems.append(Problem(f"settings.{name}.default",
                                    "a secret setting cannot have a default in the manifest"))
    base_url = _template(model.base_url, "base_url", settings_scope(names), problems)
    auth = model.auth
    auth_headers = compile_value(dict(auth.headers), "auth.headers", auth_scope(names), problems)
    auth_query = compile_value(dict(getattr(auth, "query", {})), "auth.query", auth_scope(names),
                               problems)
    headers = compile_value(dict(model.headers), "headers", auth_scope(names), problems)
    urls = {k: _template(getattr(model.urls, k), f"urls.{k}", url_scope(names), problems)
            for k in ("contact", "activity")}
    fields = compile_value(dict(model.activity.fields), "activity.fields", activity_scope(names),
                           problems)
    operations: dict[str, CompiledOperation] = {}
    for op_name in OPERATION_NAMES:
        op = getattr(model.operations, op_name)
        if op is None:
            continue
        key = f"operations.{op_name}"
        scope = operation_scope(op_name, names)
        request = op.request
        response = op.response
        if op.phone_formats is not None and op_name != "find_contact":
            problems.append(Problem(f"{key}.phone_formats", "only find_contact takes phone_formats"))
        operations[op_name] = CompiledOperation(
            name=op_name,
            method=request.method,
            path=_template(request.path, f"{key}.request.path", scope, problems, path=True),
            query=compile_value(request.query, f"{key}.request.query", scope, problems),
            headers=compile_value(request.headers, f"{key}.request.headers", scope, problems),
            body=compile_value(request.body, f"{key}.request.body", scope, problems),
            response=CompiledResponse(
                id=_path(response.id, f"{key}.response.id", problems),
                list=_path(response.list, f"{key}.response.list", problems),
                fields={name: p for name, expr in response.fields.items()
                        if (p := _path(expr, f"{key}.response.fields.{name}", problems))},
                message=_path(response.message, f"{key}.response.message", problems),
            ),
            errors=tuple(op.errors),
            phone_formats=tuple(op.phone_formats or ("e164",)),
            error_ids=_error_ids(op.errors, key, problems),
        )
        _check_response(op_name, key, response.id, response.list, problems)
    return CompiledManifest(source, model, base_url, auth_headers, auth_query, headers, urls,
                            fields, operations)


def _error_ids(rules: list[ErrorRule], key: str, problems: list[Problem]) -> dict[int, Path]:
    out: dict[int, Path] = {}
    for index, rule in enumerate(rules):
        where = f"{key}.errors[{index}]"
        if rule.action == "existing" and rule.id is None:
            problems.append(Problem(f"{where}.id", "the 'existing' action needs the JMESPath of "
                                                   "the existing record's id in the error body"))
        if rule.id is not None and (compiled := _path(rule.id, f"{where}.id", problems)):
            out[index] = compiled
        statuses = rule.status if isinstance(rule.status, list) else [rule.status]
        if any(not 300 <= s <= 599 for s in statuses):
            problems.append(Problem(f"{where}.status", f"{rule.status!r}: an error status is "
                                                       "between 300 and 599"))
    return out


_NEEDS_LIST = {"find_contact", "find_contact_by_name", "list_users", "find_activity_by_marker"}
_NEEDS_ID = {"get_user_info", "create_contact", "create_call_log", "create_message_log"}


def _check_response(op: str, key: str, id_path: str | None, list_path: str | None,
                    problems: list[Problem]) -> None:
    if op in _NEEDS_LIST and list_path is None:
        problems.append(Problem(f"{key}.response.list",
                                "required: the JMESPath of the records in the response"))
    if (op in _NEEDS_ID or op in _NEEDS_LIST) and id_path is None:
        problems.append(Problem(f"{key}.response.id",
                                "required: the JMESPath of the record id"))
