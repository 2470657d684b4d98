"""Manifest templates: sandboxed Jinja2, compiled and checked against declared variables at load.

A string that is exactly one ``{{ expression }}`` renders to the expression's raw value (a number
stays a number, a dict stays a dict); a missing value there is *absent* and its key is dropped
from the body or query, as App Connect's engine does. Any other string renders as text, and an
undefined value in it is an error (``StrictUndefined``). Paths escape every interpolated value
for a URL path segment. Filters: ``json`` (JSON text), ``url`` (percent-encoding, nothing safe),
``b64`` (base64 of the UTF-8 text), plus Jinja's own.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union
from urllib.parse import quote

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.runtime import Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from callbridge.connectors.proxy.errors import Problem, mask

__all__ = ["ABSENT", "Scope", "Template", "TemplateProblem", "compile_template", "compile_value",
           "render_value"]

# A scope names the variables a template may use: ``None`` below a name means "any attribute".
Scope = Mapping[str, Union["Scope", None]]


class _Absent:
    """A whole-expression template whose value is missing: drop its key."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


class TemplateProblem(Exception):
    """A template failed to render (an undefined value in text, a sandbox violation)."""


def _b64(value: object) -> str:
    return base64.b64encode(str(value).encode("utf-8")).decode("ascii")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _url(value: object) -> str:
    return quote(str(value), safe="")


def _env(*, path: bool) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
        finalize=(lambda v: _url(v) if not isinstance(v, Undefined) else v) if path else None)
    env.filters.update({"json": _json, "url": _url, "b64": _b64})
    return env


TEXT_ENV = _env(path=False)
PATH_ENV = _env(path=True)
_WHOLE = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}).)*)\}\}\s*$", re.S)


def _chain(node: nodes.Node) -> list[str] | None:
    """``draft.contact.id`` / ``draft['contact']`` as ``["draft", "contact", "id"]``."""
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        head = _chain(node.node)
        return None if head is None else [*head, node.attr]
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(
            node.arg.value, str):
        head = _chain(node.node)
        return None if head is None else [*head, node.arg.value]
    return None


def _check_names(ast: nodes.Template, scope: Scope, env: ImmutableSandboxedEnvironment) -> str | None:
    unknown = sorted(meta.find_undeclared_variables(ast) - set(scope))
    if unknown:
        return (f"undeclared variable {', '.join(repr(u) for u in unknown)}; "
                f"this operation knows: {', '.join(sorted(scope)) or 'none'}")
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        path = _chain(node)
        if not path:
            continue
        spec: Scope | None = scope
        for depth, part in enumerate(path):
            if spec is None:
                break
            if part not in spec:
                if depth == 0:
                    break  # a loop or set variable, not one of ours
                known = ", ".join(sorted(spec)) or "none"
                return f"undeclared variable {'.'.join(path[:depth + 1])!r}; known: {known}"
            spec = spec[part]
    return None


@dataclass(frozen=True)
class Template:
    """One compiled template string."""

    source: str
    whole: bool
    _compiled: Any

    def render(self, context: Mapping[str, Any]) -> Any:
        try:
            if self.whole:
                value = self._compiled(**context)
                return ABSENT if isinstance(value, Undefined) else value
            return self._compiled.render(**context)
        except (UndefinedError, SecurityError) as exc:
            raise TemplateProblem(str(exc)) from None


def compile_template(text: str, key: str, scope: Scope, *, path: bool = False
                     ) -> Template | Problem:
    """Compile ``text`` found at ``key``; a :class:`Problem` names what is wrong."""
    env = PATH_ENV if path else TEXT_ENV
    whole = None if path else _WHOLE.match(text)
    try:
        ast = env.parse(f"{{{{{whole.group('expr')}}}}}" if whole else text)
    except TemplateSyntaxError as exc:
        return Problem(key, f"template error: {exc.message} (line {exc.lineno}) in "
                            f"{mask(key, text)}")
    problem = _check_names(ast, scope, env)
    if problem:
        return Problem(key, problem)
    if whole:
        compiled = env.compile_expression(whole.group("expr"), undefined_to_none=False)
        return Template(text, True, compiled)
    return Template(text, False, env.from_string(text))


def compile_value(value: Any, key: str, scope: Scope, problems: list[Problem]) -> Any:
    """Compile every string of a JSON-like value (dict keys stay literal)."""
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:
            return value
        compiled = compile_template(value, key, scope)
        if isinstance(compiled, Problem):
            problems.append(compiled)
            return value
        return compiled
    if isinstance(value, Mapping):
        return {k: compile_value(v, f"{key}.{k}", scope, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [compile_value(v, f"{key}[{i}]", scope, problems) for i, v in enumerate(value)]
    return value


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """Render a compiled value; keys whose whole-expression value is missing are dropped."""
    if isinstance(value, Template):
        return value.render(context)
    if isinstance(value, Mapping):
        out = {k: render_value(v, context) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not ABSENT}
    if isinstance(value, list):
        return [None if v is ABSENT else v for v in (render_value(i, context) for i in value)]
    return value
