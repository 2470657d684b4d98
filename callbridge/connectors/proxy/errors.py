"""Why a proxy manifest cannot be loaded: one error naming the file, the key and the fix.

    ManifestError        the manifest is wrong; ``problems`` lists each (key, message)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from callbridge.errors import ConfigError

__all__ = ["ManifestError", "Problem", "is_secret_key", "mask"]

_SECRET_WORDS = re.compile(r"(?i)(secret|password|passwd|token|api[_-]?key|apikey|authorization|"
                           r"credential|private)")


def is_secret_key(key: str) -> bool:
    """Whether a manifest key (a header name, a setting) holds a secret whose value we never echo."""
    return bool(_SECRET_WORDS.search(key))


def mask(key: str, value: object) -> str:
    """``value`` as it may appear in an error: hidden when its key names a secret."""
    if is_secret_key(key):
        return "'***'"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "...'"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a manifest, at a dotted ``key`` (``operations.find_contact.response``)."""

    key: str
    message: str

    def render(self, source: str) -> str:
        return f"{source}: {self.key}: {self.message}" if self.key else f"{source}: {self.message}"


class ManifestError(ConfigError):
    """A proxy manifest is invalid; the message names the file and each key at fault."""

    code = "manifest_invalid"

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = [p.render(source) for p in self.problems]
        first = self.problems[0].key if self.problems else None
        super().__init__("\n".join(lines), field=first,
                         hint="fix the manifest and load it again (the JSON Schema is "
                              "callbridge/connectors/proxy/manifest.schema.json)")
