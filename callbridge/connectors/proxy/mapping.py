"""Response mappings: JMESPath expressions compiled at load, and App Connect dot paths."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from callbridge.connectors.proxy.errors import Problem

__all__ = ["Path", "compile_path", "dot_path_to_jmespath"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Path:
    """A compiled JMESPath expression and its source text."""

    source: str
    _parsed: ParsedResult

    def search(self, document: Any) -> Any:
        return self._parsed.search(document)


def compile_path(expression: str, key: str) -> Path | Problem:
    try:
        return Path(expression, jmespath.compile(expression))
    except JMESPathError as exc:
        detail = str(exc).splitlines()[0].strip()
        return Problem(key, f"invalid JMESPath {expression!r}: {detail}")


def dot_path_to_jmespath(path: str | None, *, strip: str | None = None) -> str:
    """App Connect's ``body.items.1.name`` as JMESPath (``items[1].name``); ``$``/empty → ``@``.

    ``strip`` drops a leading segment (App Connect paths start at ``body``; ours start at the
    response body itself).
    """
    if path is None or path.strip() in ("", "$"):
        return "@"
    parts = path.strip().split(".")
    if strip is not None and parts and parts[0] == strip:
        parts = parts[1:]
    if not parts:
        return "@"
    out = ""
    for part in parts:
        if part.isdigit():
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}" if out else part
        else:
            quoted = '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
            out += f".{quoted}" if out else quoted
    return out if not out.startswith("[") else "@" + out
