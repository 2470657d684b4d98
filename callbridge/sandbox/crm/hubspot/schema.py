"""HubSpot object types: ids, known properties, defaults, association type ids, enums."""

from __future__ import annotations

OBJECT_TYPE_IDS = {
    "contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5",
    "notes": "0-46", "calls": "0-48", "communications": "0-18",
}
SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal", "tickets": "ticket",
            "notes": "note", "calls": "call", "communications": "communication"}

# created / modified date property names
CREATED = {"contacts": "createdate", "companies": "createdate", "deals": "createdate"}
MODIFIED = {"contacts": "lastmodifieddate"}

WRITABLE: dict[str, set[str]] = {
    "contacts": {"firstname", "lastname", "email", "phone", "mobilephone", "company", "jobtitle",
                 "hubspot_owner_id", "lifecyclestage", "city", "country"},
    "companies": {"name", "domain", "phone", "city", "country", "hubspot_owner_id"},
    "deals": {"dealname", "amount", "dealstage", "pipeline", "closedate", "hubspot_owner_id"},
    "tickets": {"subject", "content", "hs_pipeline", "hs_pipeline_stage", "hubspot_owner_id"},
    "notes": {"hs_note_body", "hs_timestamp", "hubspot_owner_id", "hs_attachment_ids"},
    "calls": {"hs_timestamp", "hs_call_title", "hs_call_body", "hs_call_direction",
              "hs_call_duration", "hs_call_from_number", "hs_call_to_number",
              "hs_call_recording_url", "hs_call_status", "hs_call_disposition",
              "hubspot_owner_id", "hs_attachment_ids"},
    "communications": {"hs_communication_channel_type", "hs_communication_logged_from",
                       "hs_communication_body", "hs_timestamp", "hubspot_owner_id"},
}
REQUIRED_ON_CREATE = {"calls": {"hs_timestamp"}, "notes": {"hs_timestamp"},
                      "communications": {"hs_timestamp"}}

ENUMS = {
    ("calls", "hs_call_direction"): {"INBOUND", "OUTBOUND"},
    ("calls", "hs_call_status"): {"BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED",
                                  "CONNECTING", "FAILED", "IN_PROGRESS", "MISSED", "NO_ANSWER",
                                  "QUEUED", "RINGING"},
    ("communications", "hs_communication_channel_type"): {"SMS", "WHATS_APP",
                                                          "LINKEDIN_MESSAGE"},
    ("communications", "hs_communication_logged_from"): {"CRM"},
}
NUMERIC = {("calls", "hs_call_duration"), ("deals", "amount")}
TIMESTAMPS = {"hs_timestamp", "closedate"}
BODY_PREVIEW = {"calls": "hs_call_body", "notes": "hs_note_body",
                "communications": "hs_communication_body"}

DISPOSITIONS = {
    "9d9162e7-6cf3-4944-bf63-4dff82258764": "Busy",
    "f240bbac-87c9-4f6e-bf70-924b57d47db7": "Connected",
    "a4c4c377-d246-4b32-a13b-75a56a4cd0ff": "Left live message",
    "b2cf5968-551e-4856-9783-52b3da59a7d0": "Left voicemail",
    "73a0d17f-1163-4015-bdd5-ec830791da20": "No answer",
    "17b47fee-58de-441e-a44c-c6300d46f273": "Wrong number",
}

# default association type ids (HUBSPOT_DEFINED), from type -> to type -> id
ASSOCIATION_TYPES: dict[str, dict[str, int]] = {
    "calls": {"contacts": 194, "companies": 182, "deals": 206, "tickets": 220},
    "communications": {"contacts": 81},
}

DEFAULT_PROPERTIES = {
    "contacts": ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate",
                 "lastname"],
    "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "deals": ["amount", "closedate", "createdate", "dealname", "dealstage",
              "hs_lastmodifieddate", "hs_object_id", "pipeline"],
}
# properties the free-text ``query`` of a search looks at
QUERY_PROPERTIES = {
    "contacts": ["firstname", "lastname", "email", "phone", "mobilephone", "company"],
    "companies": ["name", "domain", "phone"],
    "deals": ["dealname"],
    "calls": ["hs_call_title", "hs_call_body"],
    "communications": ["hs_communication_body"],
    "notes": ["hs_note_body"],
    "tickets": ["subject", "content"],
}
PHONE_PROPERTIES = {"phone": "hs_searchable_calculated_phone_number",
                    "mobilephone": "hs_searchable_calculated_mobile_number"}


def created_prop(object_type: str) -> str:
    return CREATED.get(object_type, "hs_createdate")


def modified_prop(object_type: str) -> str:
    return MODIFIED.get(object_type, "hs_lastmodifieddate")


def default_properties(object_type: str) -> list[str]:
    return DEFAULT_PROPERTIES.get(
        object_type, sorted({created_prop(object_type), modified_prop(object_type),
                             "hs_object_id"}))


def association_label(from_type: str, to_type: str) -> str:
    return f"{SINGULAR[from_type]}_to_{SINGULAR[to_type]}"
