"""The variables each template slot may use; anything else is rejected when the manifest loads."""

from __future__ import annotations

from collections.abc import Iterable

from callbridge.connectors.proxy.templates import Scope

__all__ = ["OPERATION_VARIABLES", "activity_scope", "auth_scope", "operation_scope",
           "settings_scope", "url_scope"]

CREDENTIALS: Scope = {"api_key": None, "access_token": None}
NUMBER: Scope = {name: None for name in (
    "e164", "e164_digits", "international", "national", "national_digits", "national_number",
    "region", "extension")}
CONTACT: Scope = {"id": None, "type": None, "name": None, "phone": None}
DRAFT: Scope = {
    **{name: None for name in (
        "kind", "marker", "subject", "occurred_at", "ended_at", "date", "time", "direction",
        "duration_seconds", "duration_hhmm", "result", "disposition", "recording_url",
        "from_number", "to_number", "owner_id", "related", "body")},
    "contact": CONTACT,
}

# what each operation adds to ``credentials`` and ``settings``
OPERATION_VARIABLES: dict[str, Scope] = {
    "get_user_info": {},
    "list_users": {},
    "unauthorize": {},
    "find_contact": {"phone": None, "number": NUMBER},
    "find_contact_by_name": {"name": None},
    "create_contact": {"phone": None, "number": NUMBER, "name": None},
    "create_call_log": {"draft": DRAFT, "fields": None, "marker": None},
    "create_message_log": {"draft": DRAFT, "fields": None, "marker": None},
    "update_call_log": {"activity_id": None, "changes": None, "body": None, "write": None},
    "update_message_log": {"activity_id": None, "changes": None, "body": None, "write": None},
    "get_call_log": {"activity_id": None},
    "find_activity_by_marker": {"marker": None, "kind": None},
    "upsert_call_disposition": {"activity_id": None, "disposition": None},
}


def settings_scope(settings: Iterable[str]) -> Scope:
    return {"settings": {name: None for name in settings}}


def auth_scope(settings: Iterable[str]) -> Scope:
    return {**settings_scope(settings), "credentials": CREDENTIALS}


def operation_scope(operation: str, settings: Iterable[str]) -> Scope:
    return {**auth_scope(settings), **OPERATION_VARIABLES[operation]}


def activity_scope(settings: Iterable[str]) -> Scope:
    return {**settings_scope(settings), "draft": DRAFT}


def url_scope(settings: Iterable[str]) -> Scope:
    return {**settings_scope(settings), "id": None, "account_id": None}
