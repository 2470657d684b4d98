"""Which connectors exist, what they can do, and how one is built for a connection.

Sources, in this order (a later source never replaces an earlier name; the clash is reported):

1. **Entry points** of the group ``callbridge.connectors`` (built-in and third-party code
   connectors): ``name = "package.module:ConnectorClass"``. The class subclasses
   :class:`~callbridge.connectors.base.Connector`, declares ``info`` and builds itself with the
   classmethod ``from_context(ctx: ConnectorContext) -> Connector``.
2. **Manifest loaders** registered with :func:`register_manifest_loader` (the declarative proxy
   connectors): a loader is a zero-argument callable returning :class:`RegisteredConnector`
   items; it is called on every :func:`list_connectors` (manifests can change on disk). A loader
   that raises is reported as a problem, not fatal.

A broken entry point (import error, no ``info``) shows up in :func:`problems` with the reason and
is left out of :func:`list_connectors`; :func:`get_connector` names the known connectors.

A connector may carry a ``kit_profile`` (:class:`callbridge.connectors.conformance.SandboxProfile`)
telling the readiness kit how to connect it to its sandbox.
"""

from __future__ import annotations

import asyncio
import logging
import string
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from callbridge.clock import Clock, SystemClock
from callbridge.connectors.auth import ClientApp
from callbridge.connectors.base import AuthKind, Capability, Connector, ConnectorInfo
from callbridge.connectors.credentials import CredentialStore
from callbridge.connectors.matching import MatchCache
from callbridge.errors import ConfigError
from callbridge.http.client import HttpClient
from callbridge.http.ssrf import DestinationGuard

__all__ = [
    "ENTRY_POINT_GROUP",
    "CodeManifest",
    "ConnectorContext",
    "ConnectorFactory",
    "ManifestLoader",
    "RegisteredConnector",
    "get_connector",
    "list_connectors",
    "load_manifest",
    "problems",
    "register_manifest_loader",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "callbridge.connectors"
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class ConnectorContext:
    """Everything a connector needs for one connection; the test seams included.

    ``options`` are the connection's non-secret settings (``base_url``, ``auth`` kind,
    ``region``, ``user_id`` …; each connector documents its own); secrets are only in
    ``credentials``. ``default_region`` is the organization's region for national numbers.
    """

    credentials: CredentialStore
    options: Mapping[str, str] = field(default_factory=dict)
    clock: Clock = field(default_factory=SystemClock)
    transport: httpx.AsyncBaseTransport | None = None
    sleep: Sleep = asyncio.sleep
    default_region: str = "US"
    match_cache: MatchCache | None = None
    max_retries: int = 2
    organization_id: str = ""
    oauth_client: ClientApp | None = None  # callbridge's registered app (AuthKind.oauth)
    # Refuses loopback/private destinations; declarative connectors always get one (their URLs
    # are written by tenant admins), code connectors when the caller passes it.
    guard: DestinationGuard | None = None

    def option(self, name: str, default: str | None = None) -> str:
        value = self.options.get(name, default)
        if value is None:
            raise ConfigError(f"The connection option {name!r} is missing.", field=name,
                              hint="set it when connecting the CRM")
        return value

    def http(self, service: str, base_url: str = "", *, guarded: bool = False) -> HttpClient:
        """An :class:`HttpClient` wired to this context's transport, clock, sleep and guard.

        ``guarded=True`` applies a destination guard even when the caller set none.
        """
        guard = self.guard if self.guard is not None else (DestinationGuard() if guarded else None)
        return HttpClient(service, base_url=base_url, transport=self.transport, clock=self.clock,
                          sleep=self.sleep, max_retries=self.max_retries, guard=guard)


URL_FIELDS = frozenset({"id", "account_id", "instance_url"})


class CodeManifest(BaseModel):
    """A code connector's ``manifest.yaml``: names, auth, capabilities, URL templates, scopes.

    Connectors subclass it to add their own typed sections (fields, objects, association
    types); unknown keys are refused (``extra="forbid"``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    display_name: str
    auth_kinds: tuple[AuthKind, ...]
    capabilities: frozenset[Capability] = frozenset()
    api_base: str
    contact_url_template: str
    activity_url_template: str
    search_lag_seconds: float = 0.0
    scopes: tuple[str, ...] = ()

    @field_validator("contact_url_template", "activity_url_template")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        names = {f for _, f, _, _ in string.Formatter().parse(value) if f}
        unknown = names - URL_FIELDS
        if unknown:
            raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; use {sorted(URL_FIELDS)}")
        if "id" not in names:
            raise ValueError("a record URL template needs the {id} placeholder")
        if not value.startswith("https://") and not value.startswith("{instance_url}"):
            raise ValueError("record URLs are https:// (or start with {instance_url})")
        return value

    def info(self) -> ConnectorInfo:
        return ConnectorInfo(self.name, self.display_name, self.auth_kinds, self.capabilities,
                             self.contact_url_template, self.activity_url_template,
                             timedelta(seconds=self.search_lag_seconds))


M = TypeVar("M", bound=CodeManifest)


def load_manifest(path: Path, model: type[M]) -> M:
    """Read and validate a manifest; errors name the file and the key path."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        manifest = model.model_validate(data)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"The connector manifest {path} is invalid: {where}.", field=str(path)) from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"The connector manifest {path} cannot be read: {exc}.", field=str(path)) from None
    if manifest.name != path.parent.name:
        raise ConfigError(f"The connector manifest {path} names {manifest.name!r}; it must equal its "
                          f"folder name {path.parent.name!r}.", field=f"{path}:name")
    return manifest


ConnectorFactory = Callable[[ConnectorContext], Connector]


@dataclass(frozen=True)
class RegisteredConnector:
    """A connector as listed: its manifest, how to build it, where it came from."""

    info: ConnectorInfo
    factory: ConnectorFactory
    source: str  # "entry-point:<module:attr>" or "manifest:<path>"
    kit_profile: Any = None  # a conformance.SandboxProfile, when the connector has a sandbox

    @property
    def name(self) -> str:
        return self.info.name

    def build(self, ctx: ConnectorContext) -> Connector:
        return self.factory(ctx)


ManifestLoader = Callable[[], Iterable[RegisteredConnector]]
_LOADERS: list[ManifestLoader] = []
_PROBLEMS: dict[str, str] = {}


def register_manifest_loader(loader: ManifestLoader) -> None:
    """Add a source of declarative connectors (idempotent for the same callable)."""
    if loader not in _LOADERS:
        _LOADERS.append(loader)


def _from_entry_points() -> Iterable[RegisteredConnector]:
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            cls = ep.load()
            info = cls.info
            if not isinstance(info, ConnectorInfo):
                raise TypeError("its 'info' is not a ConnectorInfo")
            if not callable(getattr(cls, "from_context", None)):
                raise TypeError("it has no from_context(ctx) classmethod")
        except Exception as exc:  # a third-party plugin must not break the listing
            _PROBLEMS[ep.name] = f"entry point {ep.value!r} cannot be loaded: {type(exc).__name__}: {exc}"
            log.warning("connector %s skipped: %s", ep.name, _PROBLEMS[ep.name])
            continue
        if info.name != ep.name:
            _PROBLEMS[ep.name] = f"entry point {ep.name!r} declares info.name {info.name!r}; they must match"
            continue
        yield RegisteredConnector(info, cls.from_context, f"entry-point:{ep.value}",
                                  getattr(cls, "kit_profile", None))


def _from_loaders() -> Iterable[RegisteredConnector]:
    for loader in list(_LOADERS):
        try:
            yield from list(loader())
        except Exception as exc:  # one bad manifest directory must not hide the others
            name = getattr(loader, "__qualname__", repr(loader))
            _PROBLEMS[f"loader:{name}"] = f"{type(exc).__name__}: {exc}"


def list_connectors() -> list[RegisteredConnector]:
    """Every loadable connector, by name."""
    _PROBLEMS.clear()
    import callbridge.connectors.proxy  # noqa: F401  (registers the built-in manifests' loader)

    found: dict[str, RegisteredConnector] = {}
    for item in [*_from_entry_points(), *_from_loaders()]:
        if item.name in found:
            _PROBLEMS[item.name] = (f"{item.source} declares {item.name!r}, already provided by "
                                    f"{found[item.name].source}; ignored")
            continue
        found[item.name] = item
    return [found[k] for k in sorted(found)]


def problems() -> dict[str, str]:
    """Connectors (or loaders) left out by the last :func:`list_connectors`, with the reason."""
    return dict(_PROBLEMS)


def get_connector(name: str) -> RegisteredConnector:
    known = {c.name: c for c in list_connectors()}
    if name in known:
        return known[name]
    reason = _PROBLEMS.get(name)
    if reason:
        raise ConfigError(f"The connector {name!r} cannot be loaded: {reason}", field="connector")
    raise ConfigError(f"There is no connector named {name!r}; known: {', '.join(sorted(known)) or 'none'}.",
                      field="connector", hint="see 'callbridge connector list'")
