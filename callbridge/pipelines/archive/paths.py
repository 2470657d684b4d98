"""Object paths from the configured templates."""

from __future__ import annotations

import mimetypes
import re
from datetime import datetime

from callbridge.errors import InvalidInput

__all__ = ["EXTENSIONS", "extension_for", "render_path"]

EXTENSIONS = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "application/pdf": "pdf",
    "text/plain": "txt",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
}
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def extension_for(content_type: str | None) -> str:
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in EXTENSIONS:
        return EXTENSIONS[ctype]
    guessed = mimetypes.guess_extension(ctype) if ctype else None
    return guessed.lstrip(".") if guessed else "bin"


def render_path(template: str, when: datetime, **values: str) -> str:
    fields = {
        "yyyy": f"{when.year:04d}",
        "mm": f"{when.month:02d}",
        "dd": f"{when.day:02d}",
        **{k: _SAFE.sub("_", str(v)) for k, v in values.items()},
    }
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidInput(
            f"The archive path template {template!r} uses an unknown field ({exc}).",
            field="archive_recording_template",
            hint=f"use only {{{'}, {'.join(sorted(fields))}}}",
        ) from None
