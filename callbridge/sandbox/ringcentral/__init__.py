"""A faithful simulator of the RingCentral REST API parts callbridge uses (issue 4).

Entry points: :func:`create_app`, :class:`RingCentralSandboxConfig`, :func:`generate`,
:func:`summarise`, :func:`play_live`. Nothing here imports callbridge's product code
(design Decision 4); time comes from an injected :class:`callbridge.clock.Clock`.
"""

from __future__ import annotations

from .app import create_app
from .config import RingCentralSandboxConfig
from .generator import generate, play_live, summarise
from .state import SandboxState

__all__ = ["RingCentralSandboxConfig", "SandboxState", "create_app", "generate", "play_live",
           "summarise"]
