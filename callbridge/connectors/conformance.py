"""The readiness checklist (seed 001, "Is your CRM App Connect-ready?") as executable checks.

Each item of the seed's compatibility checklist is one :class:`Check`; :func:`run_checklist`
runs them all against a :class:`Harness` (a connected connector, optionally a second one with
fewer rights, and — in sandbox mode — the sandbox's control API through a :class:`KitSession`)
and returns one :class:`CheckResult` per item: ``pass``, ``fail`` with the reason, or ``skip``
with the reason (e.g. "needs the sandbox control API" in ``--live`` mode).

A connector joins the kit by carrying a ``kit_profile`` (:class:`SandboxProfile`): which sandbox
it runs against, how to connect to it, which sandbox object a person edits, and which phone
numbers give 0, 1 and many matches there. Use from pytest with one line::

    TestReadiness = readiness_suite(lambda: sandbox_harness_for("hubspot"))

This module never imports the sandboxes: the caller passes an httpx transport (an
``ASGITransport`` over the sandbox app) and the base URL.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import httpx

from callbridge.clock import Clock, VirtualClock
from callbridge.connectors.auth import ClientApp, OAuth2
from callbridge.connectors.base import (
    Activity,
    ActivityDraft,
    ActivityKind,
    AuthKind,
    Connector,
    ConnectorError,
    ContactMatch,
    PermissionDenied,
    RateLimited,
    Unavailable,
    marker_token,
)
from callbridge.connectors.credentials import CredentialStore, MemoryCredentialStore
from callbridge.connectors.registry import ConnectorContext, RegisteredConnector
from callbridge.domain.merge import merge_body, merge_fields

__all__ = [
    "CHECKS",
    "Check",
    "CheckResult",
    "Harness",
    "KitSession",
    "PhoneProfile",
    "SandboxProfile",
    "readiness_suite",
    "reconcile_create",
    "run_checklist",
    "sandbox_harness",
]

REDIRECT_URI = "https://callbridge.test/oauth/callback/kit"
Status = Literal["pass", "fail", "skip"]


class Skip(Exception):
    """A check that cannot run in this mode (the reason says why)."""


@dataclass(frozen=True)
class PhoneProfile:
    """Numbers (E.164) that give 0, 1 and many matches, and ones stored in national formats."""

    none: str = "+16505550199"
    one: str = "+16505550101"
    many: str = "+16505550100"
    national: tuple[str, ...] = ("+442079460959", "+16505550103", "+14155550198")


@dataclass(frozen=True)
class SandboxProfile:
    """How the kit runs a connector against its sandbox."""

    sandbox: str  # a name in callbridge.sandbox.crm.SANDBOXES
    activity_objects: Mapping[str, str]  # ActivityKind -> sandbox object type (person edits)
    body_fields: Mapping[str, str]  # ActivityKind -> the CRM field holding the body
    connect: Callable[[KitSession], Awaitable[Connector]]
    connect_restricted: Callable[[KitSession], Awaitable[Connector]] | None = None
    phones: PhoneProfile = field(default_factory=PhoneProfile)
    rate_limit_fault: Mapping[str, object] = field(default_factory=lambda: {"force_429": 20})
    oauth_client: ClientApp | None = field(
        default_factory=lambda: ClientApp("callbridge-sandbox-client", "callbridge-sandbox-secret"))
    sandbox_config: Mapping[str, object] = field(default_factory=dict)


class KitSession:
    """A running sandbox reached through ``transport``: builds connectors, drives the control API."""

    def __init__(self, registered: RegisteredConnector, transport: httpx.AsyncBaseTransport, base_url: str,
                 clock: Clock, profile: SandboxProfile) -> None:
        self.registered = registered
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.profile = profile
        self._http = httpx.AsyncClient(transport=transport, base_url=self.base_url, follow_redirects=False)
        self.built: list[Connector] = []

    async def sleep(self, seconds: float) -> None:
        """Waits of the HTTP layer move the virtual clock instead of sleeping."""
        if isinstance(self.clock, VirtualClock):
            self.clock.advance(max(0.0, seconds))

    def build(self, options: Mapping[str, str], store: CredentialStore | None = None) -> Connector:
        ctx = ConnectorContext(credentials=store or MemoryCredentialStore(),
                               options={"base_url": self.base_url, **options}, clock=self.clock,
                               transport=self.transport, sleep=self.sleep,
                               oauth_client=self.profile.oauth_client)
        connector = self.registered.build(ctx)
        self.built.append(connector)
        return connector

    async def oauth_connect(self, connector: Connector, extra: Mapping[str, str] | None = None) -> None:
        """Run the authorization-code + PKCE dance against the (auto-approving) sandbox."""
        auth = getattr(connector, "auth", None)
        if not isinstance(auth, OAuth2):
            raise TypeError(f"{connector.info.name} is not set up for OAuth")
        pending = await auth.begin(REDIRECT_URI, extra=extra)
        answer = await self._http.get(pending.url)
        location = answer.headers.get("location", "")
        query = parse_qs(urlsplit(location).query)
        if answer.status_code != 302 or "code" not in query:
            raise RuntimeError("the sandbox's authorize step did not redirect with a code "
                               f"({answer.status_code})")
        await auth.complete(pending, query["code"][0], query.get("state", [""])[0])

    async def control(self, method: str, path: str, body: Mapping[str, object] | None = None) -> Any:
        answer = await self._http.request(method, f"/_sandbox{path}", json=body)
        if answer.status_code >= 400:
            raise RuntimeError(f"sandbox control {method} {path} answered {answer.status_code}: "
                               f"{answer.text[:200]}")
        return answer.json()

    async def advance(self, seconds: float) -> None:
        if isinstance(self.clock, VirtualClock):
            self.clock.advance(seconds)
        else:
            await self.control("POST", "/clock", {"advance_seconds": seconds})

    async def person_edit(self, kind: ActivityKind, activity_id: str, fields: Mapping[str, object]) -> None:
        await self.control("POST", f"/edit/{self.profile.activity_objects[kind]}/{activity_id}", dict(fields))

    async def faults(self, **settings: object) -> None:
        await self.control("POST", "/faults", settings)

    async def clear_faults(self) -> None:
        await self.control("DELETE", "/faults")

    async def requests_served(self) -> int:
        return len((await self.control("GET", "/requests"))["requests"])

    async def aclose(self) -> None:
        for connector in self.built:
            await connector.aclose()
        await self._http.aclose()


@dataclass
class Harness:
    """A connected connector (and optionally one with fewer rights) plus the sandbox, if any."""

    connector: Connector
    restricted: Connector | None = None
    session: KitSession | None = None
    phones: PhoneProfile = field(default_factory=PhoneProfile)
    body_fields: Mapping[str, str] = field(default_factory=dict)
    clock: Clock = field(default_factory=VirtualClock)

    @property
    def crm(self) -> str:
        return self.connector.info.display_name


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: Status
    reason: str


@dataclass(frozen=True)
class Check:
    id: str
    title: str  # the seed's checklist question
    run: Callable[[Harness], Awaitable[str]]  # returns what passed; raises AssertionError / Skip


def _draft(kind: ActivityKind, contact: ContactMatch | None, harness: Harness,
           **changes: Any) -> ActivityDraft:
    base = ActivityDraft(
        kind=kind, marker=f"kit-{kind}-{secrets.token_hex(8)}", subject=f"Kit {kind} with Alan",
        occurred_at=harness.clock.now(),
        contact=contact, direction="inbound", duration_seconds=65, result="completed",
        from_number="+16505550101", to_number="+16505550123",
        body_sections={"summary": "Asked about the renewal."})
    return replace(base, **changes)


async def _one_contact(h: Harness) -> ContactMatch:
    found = await h.connector.find_contact(h.phones.one)
    assert len(found) == 1, f"{h.phones.one} should match one contact, found {len(found)}"
    return found[0]


# -- the checks ------------------------------------------------------------------------------
async def check_auth(h: Harness) -> str:
    kinds = set(h.connector.info.auth_kinds)
    assert kinds - {AuthKind.password}, "only username/password is offered; add OAuth or an API key"
    first = await h.connector.get_user_info()
    second = await h.connector.get_user_info()
    assert first.user_id, "get_user_info returned no user id"
    assert first.user_id == second.user_id, "the CRM user id is not stable across calls"
    offered = ", ".join(sorted(k.value for k in kinds))
    return f"{offered}; user {first.user_id} ({first.email or 'no email'}) is stable"


async def check_phone(h: Harness) -> str:
    none = await h.connector.find_contact(h.phones.none)
    assert not none, f"{h.phones.none} should match nobody, found {len(none)}"
    one = await h.connector.find_contact(h.phones.one)
    assert len(one) == 1, f"{h.phones.one} should match one contact, found {len(one)}"
    many = await h.connector.find_contact(h.phones.many)
    assert len(many) >= 2, f"{h.phones.many} should match several contacts, found {len(many)}"
    for match in [*one, *many]:
        assert match.id and match.type and match.name, f"a match lacks id, type or name: {match}"
    for number in h.phones.national:
        assert await h.connector.find_contact(number), f"{number} (stored in another format) was not found"
    return f"0/1/{len(many)} matches with type and name; {len(h.phones.national)} other formats found"


async def reconcile_create(connector: Connector, draft: ActivityDraft,
                           wait: Callable[[float], Awaitable[None]],
                           create: Callable[[ActivityDraft], Awaitable[Activity]] | None = None
                           ) -> Activity:
    """Reference reconciler (Decision 3): look for the marker after the search lag, else create."""
    lag = connector.info.search_lag.total_seconds()
    if lag:
        await wait(lag + 1)
    found = await connector.find_activity_by_marker(draft.marker, draft.kind)
    if found is not None:
        return found
    make = create or (connector.create_message_log if draft.kind == "message" else connector.create_call_log)
    return await make(draft)


async def check_exactly_one(h: Harness) -> str:
    if h.session is None:
        raise Skip("needs the sandbox to wait out the search lag and count activities")
    contact = await _one_contact(h)
    draft = _draft("call", contact, h)
    created = await h.connector.create_call_log(draft)  # "the CRM said created", then we crashed
    again = await reconcile_create(h.connector, draft, h.session.advance)
    assert again.id == created.id, (f"the reconciler created a second activity ({again.id} "
                                    f"besides {created.id})")
    other = await h.connector.find_activity_by_marker(f"kit-absent-{secrets.token_hex(4)}", "call")
    assert other is None, "an unknown marker found an activity"
    message = _draft("message", contact, h, subject="Kit SMS")
    sms = await h.connector.create_message_log(message)
    sms_again = await reconcile_create(h.connector, message, h.session.advance)
    assert sms_again.id == sms.id, "a lost message log was created twice"
    return (f"lost creates found by marker {marker_token(draft.marker)[:9]}… (call and message), "
            "none duplicated")


async def check_update_by_id(h: Harness) -> str:
    contact = await _one_contact(h)
    draft = _draft("call", contact, h)
    created = await h.connector.create_call_log(draft)
    later = replace(draft, duration_seconds=125, subject="Kit call, updated")
    before = h.connector.fields_of(draft)
    changes = {k: v for k, v in h.connector.fields_of(later).items() if before.get(k) != v}
    updated = await h.connector.update_call_log(created.id, changes, None)
    assert updated.id == created.id, "the update answered another activity"
    read = await h.connector.get_call_log(created.id)
    for name, value in changes.items():
        got = read.fields.get(name)
        assert str(got) == str(value), f"{name} is {got!r}, wanted {value!r}"
    return f"activity {created.id} updated in place ({', '.join(sorted(changes))})"


async def check_no_overwrite(h: Harness) -> str:
    if h.session is None:
        raise Skip("needs the sandbox's 'person edits this activity' endpoint")
    contact = await _one_contact(h)
    draft = _draft("call", contact, h)
    ours = await h.connector.create_call_log(draft)
    subject_field = next(k for k, v in h.connector.fields_of(draft).items() if v == draft.subject)
    body_field = h.body_fields["call"]
    note = "Customer prefers email. (typed by a person)"
    await h.session.person_edit("call", ours.id, {subject_field: "Renewal call (edited)",
                                                  body_field: f"{ours.body}\n\n{note}"})
    later = replace(draft, subject="Kit call, final", duration_seconds=300,
                    body_sections={"summary": "Renewal agreed.", "recording": "https://example.test/r/1"})
    current = await h.connector.get_call_log(ours.id)
    merged = merge_fields(ours.fields, current.fields, h.connector.fields_of(later))
    body = merge_body(ours.body, current.body, later.body_sections)
    await h.connector.update_call_log(ours.id, merged.changes, body)
    final = await h.connector.get_call_log(ours.id)
    assert final.fields.get(subject_field) == "Renewal call (edited)", "the person's subject was overwritten"
    assert subject_field in merged.kept, "the merge did not keep the person's field"
    assert note in final.body, "the person's note in the body was lost"
    assert "Renewal agreed." in final.body, "our new summary section was not written"
    return f"kept the person's {subject_field} and note; updated {len(merged.changes)} field(s) and the body"


async def check_urls(h: Harness) -> str:
    info = h.connector.info
    for template in (info.contact_url_template, info.activity_url_template):
        assert "{id}" in template, f"URL template {template!r} lacks {{id}}"
    contact = await _one_contact(h)
    created = await h.connector.create_call_log(_draft("call", contact, h))
    read = await h.connector.get_call_log(created.id)
    assert created.url and created.id in created.url, (f"activity URL {created.url!r} does not "
                                                       "name the activity")
    assert read.url == created.url, "the activity URL changed between create and read"
    assert contact.url and contact.id in contact.url, (f"contact URL {contact.url!r} does not "
                                                       "name the contact")
    return f"{created.url}"


def _actionable(error: ConnectorError, crm: str) -> None:
    text = str(error)
    assert crm in text, f"the message does not name {crm}: {text}"
    assert error.hint, f"the message gives no fix: {text}"


async def check_errors(h: Harness) -> str:
    if h.session is None:
        raise Skip("needs the sandbox to inject rate limits and permission failures")
    said = []
    await h.session.faults(**h.session.profile.rate_limit_fault)
    try:
        await h.connector.find_contact(h.phones.none)
        raise AssertionError("a forced rate limit did not raise RateLimited")
    except RateLimited as exc:
        assert exc.retry_after > timedelta(0), "RateLimited carries no retry_after"
        _actionable(exc, h.crm)
        said.append(f"rate limit → retry in {int(exc.retry_after.total_seconds())} s")
    finally:
        await h.session.clear_faults()
    await h.session.faults(fail_next=20, fail_status=503)
    try:
        await h.connector.get_user_info()
        raise AssertionError("a CRM outage did not raise Unavailable")
    except Unavailable as exc:
        _actionable(exc, h.crm)
        said.append("outage → Unavailable")
    finally:
        await h.session.clear_faults()
    if h.restricted is None:
        raise Skip("no restricted connection to provoke a permission failure; " + "; ".join(said))
    contact = await _one_contact(h)
    try:
        await h.restricted.create_call_log(_draft("call", contact, h))
        raise AssertionError("a user without write permission could log a call")
    except PermissionDenied as exc:
        _actionable(exc, h.crm)
        said.append(f"permission → {exc.message[:60]}")
    return "; ".join(said)


CHECKS: tuple[Check, ...] = (
    Check("auth", "Can users authenticate without sharing unsafe credentials?", check_auth),
    Check("phone", "Can the connector map a phone number to zero, one, or many records?", check_phone),
    Check("exactly_one", "Can the CRM create exactly one activity per call or message group?",
          check_exactly_one),
    Check("update_by_id", "Can later updates target that same activity by ID?", check_update_by_id),
    Check("no_overwrite", "Can the connector avoid overwriting CRM-side edits?", check_no_overwrite),
    Check("urls", "Can CRM pages be opened with stable URL templates?", check_urls),
    Check("errors", "Are rate-limit and permission failures actionable?", check_errors),
)


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:299] + "…"


async def run_check(check: Check, harness: Harness) -> CheckResult:
    try:
        said = await check.run(harness)
    except Skip as exc:
        return CheckResult(check.id, check.title, "skip", _reason(exc))
    except AssertionError as exc:
        return CheckResult(check.id, check.title, "fail", _reason(exc))
    except ConnectorError as exc:
        return CheckResult(check.id, check.title, "fail", f"{type(exc).__name__}: {_reason(exc)}")
    except Exception as exc:  # the kit reports, it does not crash
        return CheckResult(check.id, check.title, "fail", f"{type(exc).__name__}: {_reason(exc)}")
    return CheckResult(check.id, check.title, "pass", said)


async def run_checklist(harness: Harness, only: Sequence[str] = ()) -> list[CheckResult]:
    return [await run_check(c, harness) for c in CHECKS if not only or c.id in only]


@contextlib.asynccontextmanager
async def sandbox_harness(registered: RegisteredConnector, transport: httpx.AsyncBaseTransport,
                          base_url: str, clock: Clock) -> AsyncIterator[Harness]:
    """Connect ``registered`` to a running sandbox through its ``kit_profile``."""
    profile = registered.kit_profile
    if not isinstance(profile, SandboxProfile):
        raise LookupError(f"the connector {registered.name!r} has no sandbox profile (kit_profile)")
    session = KitSession(registered, transport, base_url, clock, profile)
    try:
        connector = await profile.connect(session)
        restricted = await profile.connect_restricted(session) if profile.connect_restricted else None
        yield Harness(connector, restricted, session, profile.phones, profile.body_fields, clock)
    finally:
        await session.aclose()


def readiness_suite(make_harness: Callable[[], contextlib.AbstractAsyncContextManager[Harness]]) -> type:
    """A pytest test class with one test per checklist item (skips become pytest skips)."""

    def make_test(check: Check) -> Callable[[Any], Awaitable[None]]:
        async def test(self: Any) -> None:
            import pytest

            async with make_harness() as harness:
                result = await run_check(check, harness)
            if result.status == "skip":
                pytest.skip(result.reason)
            assert result.status == "pass", f"{check.title} {result.reason}"

        test.__name__ = f"test_{check.id}"
        return test

    return type("ReadinessSuite", (), {f"test_{c.id}": make_test(c) for c in CHECKS})
