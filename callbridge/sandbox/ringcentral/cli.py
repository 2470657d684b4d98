"""Command functions for `callbridge sandbox serve ringcentral` and `... generate`.

Mount with `app.command("generate")(generate_command)`; `serve()` is a plain function.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import httpx
import typer

from callbridge.clock import Clock, SystemClock, VirtualClock

from .app import create_app
from .config import RingCentralSandboxConfig
from .generator import generate
from .state import SandboxState

__all__ = ["build_app", "generate_command", "serve"]


def build_app(*, seed: int | None = 1, extensions: int = 5, days: int = 7,
              calls_per_day: int = 40, virtual_clock: bool = False,
              recording_bytes: int | None = None, auto_deliver_seconds: float | None = 1.0,
              config: RingCentralSandboxConfig | None = None):  # type: ignore[no-untyped-def]
    """A sandbox app, seeded with `days` of history when `seed` is not None."""
    cfg = config or RingCentralSandboxConfig()
    if recording_bytes is not None:
        cfg.recording_bytes = recording_bytes
    if auto_deliver_seconds:
        cfg.webhooks.auto_deliver_interval_seconds = auto_deliver_seconds
    clock: Clock = VirtualClock(SystemClock().now()) if virtual_clock else SystemClock()
    app = create_app(cfg, clock)
    if seed is not None:
        generate(app, seed=seed, extensions=extensions, days=days, calls_per_day=calls_per_day,
                 recording_bytes=recording_bytes)
    return app


def serve(port: int = 8090, host: str = "127.0.0.1", seed: int | None = 1, extensions: int = 5,
          days: int = 7, calls_per_day: int = 40, virtual_clock: bool = False,
          recording_bytes: int | None = None) -> None:
    """Run the RingCentral sandbox under uvicorn until interrupted."""
    import uvicorn

    app = build_app(seed=seed, extensions=extensions, days=days, calls_per_day=calls_per_day,
                    virtual_clock=virtual_clock, recording_bytes=recording_bytes)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def generate_command(
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same data")] = 1,
    extensions: Annotated[int, typer.Option(min=1, help="Users in the account")] = 5,
    days: Annotated[int, typer.Option(min=1, help="Days of history")] = 7,
    start: Annotated[str | None, typer.Option(help="First day (ISO date); default: "
                                                   "`days` before now")] = None,
    calls_per_day: Annotated[int, typer.Option(min=0)] = 40,
    sms_conversations_per_day: Annotated[int, typer.Option(min=0)] = 8,
    faxes_per_day: Annotated[int, typer.Option(min=0)] = 2,
    recording_bytes: Annotated[int | None, typer.Option(help="Fixed recording size; "
                                                             "default: by duration")] = None,
    url: Annotated[str | None, typer.Option(help="Seed a running sandbox at this base URL "
                                                 "instead of an in-memory one")] = None,
    stats: Annotated[bool, typer.Option("--stats", help="Print distribution figures")] = False,
) -> None:
    """Generate reproducible RingCentral traffic (calls, recordings, SMS, faxes, voicemail)."""
    when = datetime.fromisoformat(start).replace(tzinfo=UTC) if start else None
    args = {"seed": seed, "extensions": extensions, "days": days, "calls_per_day": calls_per_day,
            "sms_conversations_per_day": sms_conversations_per_day,
            "faxes_per_day": faxes_per_day, "recording_bytes": recording_bytes}
    if url:
        body = {**args, "start": when.isoformat() if when else None}
        resp = httpx.post(f"{url.rstrip('/')}/_sandbox/generate", json=body, timeout=120)
        resp.raise_for_status()
        summary = resp.json()
    else:
        state = SandboxState(RingCentralSandboxConfig(), SystemClock())
        summary = generate(state, start=when, **args)  # type: ignore[arg-type]
    if stats:
        typer.echo(json.dumps(summary, indent=2))
    else:
        typer.echo(f"generated {summary['calls']['total']} call records, "
                   f"{summary['recordings']['total']} recordings and "
                   f"{summary['messages']['total']} messages for {summary['extensions']} users")
