"""The connector contract: what every CRM connector does, in callbridge's own types.

A connector is a Python class implementing :class:`Connector` (registered through the entry-point
group ``callbridge.connectors``) or a declarative proxy manifest; both pass the same readiness kit
(``callbridge connector check NAME``).

Every operation returns a result or raises one of these, each carrying a message a person can act
on and telling the caller what to do next:

    ConnectorError          base; ``crm`` names the CRM, ``hint`` says what to do
    ├── AuthExpired         the token is gone or refused after one refresh: pause, ask to reconnect
    ├── PermissionDenied    the connected user lacks a scope/permission: tell the admin which
    ├── RateLimited         the CRM said slow down: retry after ``retry_after``
    ├── NotFound            the record is not (or no longer) in the CRM
    ├── Conflict            the record changed or exists already (duplicate external id, etag)
    ├── InvalidInput        the CRM rejected a field value: names the field; do not retry as is
    └── Unavailable         the CRM is down or unreachable: retry with backoff
"""

from __future__ import annotations

import abc
import enum
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar, Literal

__all__ = [
    "Activity",
    "ActivityDraft",
    "ActivityKind",
    "AuthExpired",
    "AuthKind",
    "Capability",
    "Conflict",
    "Connector",
    "ConnectorError",
    "ConnectorInfo",
    "ContactMatch",
    "CrmIdentity",
    "CrmUser",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "Related",
    "Unavailable",
    "marker_token",
]


# -- errors ------------------------------------------------------------------------------------
class ConnectorError(Exception):
    """Base of the typed connector errors."""

    code: ClassVar[str] = "crm_error"
    retryable: ClassVar[bool] = False

    def __init__(self, crm: str, message: str, *, hint: str | None = None, field: str | None = None) -> None:
        self.crm = crm
        self.message = message
        self.hint = hint
        self.field = field
        super().__init__(f"{crm}: {message}" + (f" Fix: {hint}" if hint else ""))


class AuthExpired(ConnectorError):
    code = "crm_auth_expired"


class PermissionDenied(ConnectorError):
    code = "crm_permission_denied"

    def __init__(self, crm: str, message: str, *, hint: str | None = None, scope: str | None = None) -> None:
        super().__init__(crm, message, hint=hint)
        self.scope = scope


class RateLimited(ConnectorError):
    code = "crm_rate_limited"
    retryable = True

    def __init__(self, crm: str, message: str, *, retry_after: timedelta, hint: str | None = None) -> None:
        super().__init__(crm, message, hint=hint)
        self.retry_after = retry_after


class NotFound(ConnectorError):
    code = "crm_not_found"


class Conflict(ConnectorError):
    code = "crm_conflict"


class InvalidInput(ConnectorError):
    code = "crm_invalid_input"


class Unavailable(ConnectorError):
    code = "crm_unavailable"
    retryable = True


# -- what a connector declares -------------------------------------------------------------------
class Capability(enum.StrEnum):
    """Optional operations; a connector declares the ones it implements."""

    find_contact_by_name = "find_contact_by_name"
    list_users = "list_users"
    related_entities = "related_entities"
    call_disposition = "call_disposition"
    upsert_by_external_id = "upsert_by_external_id"
    media_links = "media_links"
    create_contact = "create_contact"


class AuthKind(enum.StrEnum):
    oauth = "oauth"  # authorization code + PKCE with callbridge's registered app
    admin_oauth = "admin_oauth"  # the organization's own client app (id/secret in the vault)
    api_key = "api_key"  # per user, or one admin-managed key shared across the organization
    password = "password"  # noqa: S105 - legacy username/password (a kind, not a secret)


@dataclass(frozen=True)
class ConnectorInfo:
    """A connector's manifest as the rest of callbridge sees it."""

    name: str
    display_name: str
    auth_kinds: tuple[AuthKind, ...]
    capabilities: frozenset[Capability]
    contact_url_template: str  # e.g. "https://app.hubspot.com/contacts/{portal_id}/contact/{id}"
    activity_url_template: str
    search_lag: timedelta = timedelta(0)  # how long a new record takes to become searchable


# -- values ------------------------------------------------------------------------------------
ActivityKind = Literal["call", "message", "fax", "voicemail", "meeting"]


@dataclass(frozen=True)
class Related:
    """A record an activity can be linked to besides the contact (deal, opportunity, matter…)."""

    id: str
    type: str
    name: str = ""


@dataclass(frozen=True)
class ContactMatch:
    """One contact found for a phone number (or created as a placeholder)."""

    id: str
    type: str  # the CRM's own word: Contact, Lead, Person, …
    name: str
    phone: str = ""  # as the CRM stored it
    related: tuple[Related, ...] = ()
    url: str = ""


@dataclass(frozen=True)
class CrmUser:
    id: str
    email: str
    name: str = ""


@dataclass(frozen=True)
class CrmIdentity:
    """Who the connection acts as."""

    user_id: str
    email: str
    name: str = ""
    account_id: str = ""  # portal / org / company id used in URLs


@dataclass(frozen=True)
class ActivityDraft:
    """What callbridge wants an activity to say; each connector maps it to its CRM's fields.

    ``body_sections`` are merged section by section (Decision 6); ``marker`` is written where the
    CRM can search for it (or used as the external id) so a lost create can be found again.
    """

    kind: ActivityKind
    marker: str
    subject: str
    occurred_at: datetime
    contact: ContactMatch | None = None
    related: tuple[Related, ...] = ()
    owner_id: str | None = None
    direction: Literal["inbound", "outbound"] | None = None
    duration_seconds: int | None = None
    result: str | None = None
    disposition: str | None = None
    recording_url: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    body_sections: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Activity:
    """An activity as the CRM holds it: its id, its fields as returned, and its body."""

    id: str
    kind: ActivityKind
    fields: Mapping[str, str | int | float | bool | None]
    body: str = ""
    url: str = ""


def marker_token(marker: str) -> str:
    """The idempotency marker as one alphanumeric search token (``cbm`` + 24 hex digits).

    CRMs tokenise text differently (HubSpot's CONTAINS_TOKEN, SOSL, SOQL equality); a token of
    letters and digits only is found the same way by all of them, and it reveals nothing of the
    communication it stands for.
    """
    return "cbm" + hashlib.sha256(marker.encode("utf-8")).hexdigest()[:24]


# -- the contract ------------------------------------------------------------------------------
class Connector(abc.ABC):
    """One connection to one CRM account. Async; raises only the errors above."""

    info: ClassVar[ConnectorInfo]

    @abc.abstractmethod
    async def get_user_info(self) -> CrmIdentity: ...

    @abc.abstractmethod
    async def find_contact(self, phone: str) -> Sequence[ContactMatch]:
        """Contacts whose stored number is ``phone`` (E.164) in any formatting; 0, 1 or many."""

    @abc.abstractmethod
    async def create_call_log(self, draft: ActivityDraft) -> Activity: ...

    @abc.abstractmethod
    async def update_call_log(
        self, activity_id: str, changes: Mapping[str, object], body: str | None
    ) -> Activity:
        """Write only ``changes`` (already merged) and ``body`` if given; returns what the CRM holds."""

    @abc.abstractmethod
    async def get_call_log(self, activity_id: str) -> Activity: ...

    @abc.abstractmethod
    async def create_message_log(self, draft: ActivityDraft) -> Activity: ...

    async def get_message_log(self, activity_id: str) -> Activity:
        """A message log as the CRM holds it; CRMs that log messages as calls need no override."""
        return await self.get_call_log(activity_id)

    @abc.abstractmethod
    async def update_message_log(
        self, activity_id: str, changes: Mapping[str, object], body: str | None
    ) -> Activity: ...

    @abc.abstractmethod
    async def create_contact(self, phone: str, name: str) -> ContactMatch: ...

    @abc.abstractmethod
    async def find_activity_by_marker(self, marker: str, kind: ActivityKind) -> Activity | None:
        """The activity carrying ``marker``, if the CRM shows it yet (see ``info.search_lag``)."""

    @abc.abstractmethod
    async def unauthorize(self) -> None:
        """Revoke the token at the CRM and forget the stored credentials."""

    # optional capabilities: override and declare them in ``info.capabilities``
    async def find_contact_by_name(self, name: str) -> Sequence[ContactMatch]:
        raise NotImplementedError(f"{self.info.name} cannot search contacts by name")

    async def list_users(self) -> Sequence[CrmUser]:
        raise NotImplementedError(f"{self.info.name} cannot list users")

    async def upsert_call_disposition(self, activity_id: str, disposition: str) -> Activity:
        raise NotImplementedError(f"{self.info.name} has no call dispositions")

    @abc.abstractmethod
    def fields_of(self, draft: ActivityDraft) -> dict[str, str | int | float | bool | None]:
        """The structured CRM fields ``draft`` maps to (what the 3-way merge compares)."""

    async def aclose(self) -> None:  # noqa: B027 - an optional hook, not an abstract method
        """Release connections; override when the connector holds an HTTP client."""
