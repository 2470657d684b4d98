"""The proxy manifest grammar: pydantic models, every slot strict (``extra="forbid"``).

::

    manifest_version: 1
    name: generic_rest                 # the connector's name (lower case, digits, _)
    display_name: Generic REST CRM
    base_url: "{{ settings.base_url }}"
    settings: {base_url: {description: …}, secret_key: {secret: true, required: false}}
    auth: {kind: api_key, headers: {X-API-Key: "{{ credentials.api_key }}"}}
    headers: {Accept: application/json}          # sent with every request
    urls: {contact: "…/contacts/{{ id }}", activity: "…/activities/{{ id }}"}
    activity: {body_field: description, fields: {subject: "{{ draft.subject }}"}}
    operations:
      find_contact:
        phone_formats: [e164, national_digits]   # one request per spelling, results merged
        request: {method: GET, path: /contacts, query: {phone: "{{ phone }}"}}
        response: {list: contacts, id: id, fields: {name: name, phone: phone, type: type}}
        errors: [{status: 404, action: empty}]

Templates are sandboxed Jinja2 (see :mod:`.templates`); response paths are JMESPath against the
response body. The published JSON Schema is ``manifest.schema.json`` beside this module.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ActivitySpec", "ApiKeyAuth", "ErrorAction", "ErrorRule", "Manifest", "OAuthAuth",
    "Operation", "Operations", "PhoneFormat", "RequestSpec", "ResponseSpec", "Setting", "Urls",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Setting(Strict):
    """A per-connection value an admin supplies (``settings.<name>`` in templates)."""

    description: str = ""
    secret: bool = False
    required: bool = True
    default: str | None = None


class ApiKeyAuth(Strict):
    """An API key (per user or admin-managed), sent by the headers/query templates given."""

    kind: Literal["api_key"]
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)


class OAuthAuth(Strict):
    """OAuth 2 authorization code + PKCE; the token is sent as ``headers`` say."""

    kind: Literal["oauth"]
    authorize_url: str
    token_url: str
    revoke_url: str | None = None
    scopes: list[str] = Field(default_factory=list)
    headers: dict[str, str] = Field(
        default_factory=lambda: {"Authorization": "Bearer {{ credentials.access_token }}"})


Auth = Annotated[ApiKeyAuth | OAuthAuth, Field(discriminator="kind")]

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


class RequestSpec(Strict):
    method: Method = "GET"
    path: str = Field(description="joined to base_url unless absolute; values are URL-escaped")
    query: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = Field(default=None, description="JSON value; its strings are templates")


class ResponseSpec(Strict):
    """JMESPath expressions against the response body."""

    id: str | None = Field(default=None, description="the record's id (stringified)")
    list: str | None = Field(default=None, description="the records of a search or listing")
    fields: dict[str, str] = Field(default_factory=dict, description="name -> JMESPath, per item")
    message: str | None = Field(default=None, description="the CRM's error message, on errors")


ErrorAction = Literal[
    "empty",  # a search found nothing / a read found no record: [] or None
    "existing",  # the record exists already: read the one whose id the error body names
    "not_found", "conflict", "invalid_input", "permission_denied", "auth_expired",
    "rate_limited", "unavailable",
]


class ErrorRule(Strict):
    status: int | list[int] = Field(description="HTTP status (or statuses) this rule handles")
    action: ErrorAction
    id: str | None = Field(default=None, description="'existing': JMESPath of the id in the error")
    hint: str | None = Field(default=None, description="what the user should do")


PhoneFormat = Literal["e164", "e164_digits", "international", "national", "national_digits",
                      "national_number"]


class Operation(Strict):
    request: RequestSpec
    response: ResponseSpec = Field(default_factory=ResponseSpec)
    errors: list[ErrorRule] = Field(default_factory=list)
    phone_formats: list[PhoneFormat] | None = Field(
        default=None, description="find_contact only: spellings tried, results merged by id")


class Operations(Strict):
    """The contract's operations; the optional ones declare capabilities."""

    get_user_info: Operation
    find_contact: Operation
    create_contact: Operation
    create_call_log: Operation
    update_call_log: Operation
    get_call_log: Operation
    create_message_log: Operation
    update_message_log: Operation
    find_activity_by_marker: Operation
    find_contact_by_name: Operation | None = None
    list_users: Operation | None = None
    upsert_call_disposition: Operation | None = None
    unauthorize: Operation | None = None


class Urls(Strict):
    """Stable page URL templates (``id``, ``settings``, ``account_id`` known)."""

    contact: str
    activity: str


class ActivitySpec(Strict):
    """How a draft maps to the CRM's activity: structured fields and the free-text body."""

    body_field: str = Field(description="the CRM field holding the sectioned body")
    fields: dict[str, str] = Field(
        default_factory=dict, description="CRM field -> template over draft (what merges)")


class Manifest(Strict):
    manifest_version: Literal[1] = 1
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    display_name: str
    base_url: str
    settings: dict[str, Setting] = Field(default_factory=dict)
    auth: Auth
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    search_lag_seconds: float = Field(default=0.0, ge=0)
    urls: Urls
    activity: ActivitySpec
    operations: Operations
