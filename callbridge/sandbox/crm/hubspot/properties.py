"""Check and normalise property values the way HubSpot stores them (strings)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from callbridge.sandbox.crm._kit import phones
from callbridge.sandbox.crm._kit.timefmt import iso_z, parse_iso
from callbridge.sandbox.crm.hubspot import schema

READ_ONLY = {"hs_object_id", "createdate", "hs_createdate", "lastmodifieddate",
             "hs_lastmodifieddate", "hs_searchable_calculated_phone_number",
             "hs_searchable_calculated_mobile_number"}
_PREVIEW_LEN = 500
_TAG = re.compile(r"<[^>]+>")


def _problem(name: str, code: str, message: str) -> dict[str, Any]:
    return {"isValid": False, "message": message, "error": code, "name": name}


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _timestamp(text: str) -> str | None:
    if re.fullmatch(r"\d{10,14}", text):
        return iso_z(datetime.fromtimestamp(int(text) / 1000, tz=UTC))
    try:
        return iso_z(parse_iso(text))
    except ValueError:
        return None


def prepare(
    object_type: str, given: dict[str, Any], *, creating: bool, custom: set[str],
    dispositions: set[str],
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Normalised values and a list of problems (HubSpot's per-property validation)."""
    out: dict[str, str] = {}
    problems: list[dict[str, Any]] = []
    known = schema.WRITABLE.get(object_type, set()) | custom
    for name, raw in given.items():
        if name in READ_ONLY:
            problems.append(_problem(name, "READ_ONLY_VALUE",
                                     f'"{name}" is a read only property; its value cannot be set.'))
            continue
        if name not in known:
            problems.append(_problem(name, "PROPERTY_DOESNT_EXIST",
                                     f'Property "{name}" does not exist'))
            continue
        text = _as_text(raw)
        if text == "":
            out[name] = ""
            continue
        allowed = schema.ENUMS.get((object_type, name))
        if name == "hs_call_disposition":
            allowed = dispositions
        if allowed is not None and text not in allowed:
            problems.append(_problem(name, "INVALID_OPTION",
                                     f"{text} was not one of the allowed options: "
                                     f"{sorted(allowed)}"))
            continue
        if (object_type, name) in schema.NUMERIC and not re.fullmatch(r"-?\d+(\.\d+)?", text):
            problems.append(_problem(name, "INVALID_INTEGER",
                                     f"{text} is not a valid number for {name}"))
            continue
        if name in schema.TIMESTAMPS:
            stamped = _timestamp(text)
            if stamped is None:
                problems.append(_problem(name, "INVALID_DATE",
                                         f"{text} is not a valid timestamp (epoch ms or ISO 8601)"))
                continue
            text = stamped
        if name == "hs_call_recording_url" and not text.lower().startswith("https://"):
            problems.append(_problem(name, "INVALID_URL",
                                     "hs_call_recording_url must be an HTTPS URL"))
            continue
        out[name] = text
    if creating:
        for name in sorted(schema.REQUIRED_ON_CREATE.get(object_type, set()) - out.keys()):
            problems.append(_problem(name, "REQUIRED_PROPERTY", f'"{name}" is required'))
    return out, problems


def searchable_phone(raw: str, fmt: str, country_codes: list[str]) -> str:
    """The normalised digits HubSpot keeps in ``hs_searchable_calculated_*`` (rule configurable)."""
    number = phones.digits(raw)
    if fmt == "national_digits":
        stripped = phones.strip_extension(raw).strip()
        international = stripped.startswith("+") or stripped.startswith("00")
        if stripped.startswith("00"):
            number = number[2:]
        if international:
            for code in sorted(country_codes, key=len, reverse=True):
                if number.startswith(code):
                    return number[len(code):]
    return number


def body_preview(body: str) -> dict[str, str]:
    """``hs_body_preview*`` derived from an engagement body."""
    plain = " ".join(_TAG.sub(" ", body).split())
    html = f"<html>\n <head></head>\n <body>\n {plain[:_PREVIEW_LEN]}\n </body>\n</html>"
    return {"hs_body_preview": plain[:_PREVIEW_LEN],
            "hs_body_preview_html": html,
            "hs_body_preview_is_truncated": "true" if len(plain) > _PREVIEW_LEN else "false"}
