"""The state every CRM sandbox has, and the protocol the control API needs from it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from callbridge.clock import Clock, SystemClock
from callbridge.sandbox.crm._kit.faults import Faults
from callbridge.sandbox.crm._kit.requestlog import RequestLog
from callbridge.sandbox.crm._kit.tokens import TokenStore


@dataclass
class SandboxCore:
    """Clock, credentials, faults and request log of one sandbox."""

    name: str
    clock: Clock
    tokens: TokenStore
    rng: random.Random = field(default_factory=lambda: random.Random(5))
    log: RequestLog = field(default_factory=RequestLog)
    faults: Faults = field(default_factory=Faults)

    @classmethod
    def create(
        cls, name: str, clock: Clock | None, clients: dict[str, str | None], token_prefix: str,
        rng_seed: int = 5,
    ) -> SandboxCore:
        real = clock or SystemClock()
        return cls(name, real, TokenStore(real, dict(clients), token_prefix),
                   random.Random(rng_seed))


class Inspectable(Protocol):
    """What a sandbox offers the control API (``/_sandbox/...``)."""

    core: SandboxCore

    def object_types(self) -> list[str]: ...

    def dump_objects(self, object_type: str) -> list[dict[str, Any]]: ...

    def person_edit(self, object_type: str, object_id: str, fields: dict[str, Any]) -> Any:
        """Change ``fields`` as a person in the CRM UI would; KeyError when not found."""
        ...
