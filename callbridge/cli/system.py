"""``callbridge serve``, ``worker``, ``config check`` and ``clock``."""

from __future__ import annotations

import typer

from callbridge.cli.common import console, runtime, settings
from callbridge.config import effective_config
from callbridge.db.clock import DatabaseClock
from callbridge.errors import ConfigError

config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
clock_app = typer.Typer(help="The shared virtual clock (CALLBRIDGE_CLOCK=virtual).", no_args_is_help=True)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
) -> None:
    """Run the web server (JSON API, webhooks, /docs)."""
    import uvicorn

    from callbridge.web.app import create_app

    rt = runtime()
    console.print(f"callbridge serving on http://{host}:{port} (API docs at /docs)")
    uvicorn.run(create_app(rt), host=host, port=port, log_level=rt.settings.log_level.lower())


def worker(
    poll_seconds: float = typer.Option(1.0, min=0.01, help="Seconds between database sweeps when idle"),
    max_ticks: int | None = typer.Option(None, min=1, help="Stop after this many rounds (for scripts)"),
) -> None:
    """Run a job worker until interrupted (Ctrl-C or SIGTERM stop it cleanly)."""
    import signal

    from callbridge.jobs.worker import Worker

    w = Worker(runtime(), poll_seconds=poll_seconds)
    signal.signal(signal.SIGTERM, lambda *_: w.stop.set())
    try:
        totals = w.run(max_ticks=max_ticks)
    except KeyboardInterrupt:
        totals = w.totals
    console.print(
        f"worker stopped: {len(totals.succeeded)} done, {len(totals.retried)} retried, "
        f"{len(totals.dead)} dead"
    )


@config_app.command("check")
def check() -> None:
    """Validate the settings and print the effective configuration, secrets masked."""
    s = settings()
    for name, value in effective_config(s).items():
        console.print(f"{name} = {value}")
    if s.public_url is None:
        console.print(
            "[yellow]note:[/] CALLBRIDGE_PUBLIC_URL is unset: callbridge runs polling-only "
            "(no webhooks), which spends more of the platforms' rate budget."
        )
    console.print("[green]configuration is valid[/]")


def _virtual_clock() -> DatabaseClock:
    rt = runtime()
    if rt.settings.clock != "virtual":
        raise ConfigError(
            "The clock is the system clock; it cannot be moved.",
            field="clock",
            hint="set CALLBRIDGE_CLOCK=virtual for every process that should share it",
        )
    assert isinstance(rt.clock, DatabaseClock)
    return rt.clock


@clock_app.command("show")
def clock_show() -> None:
    """Print the shared virtual time."""
    console.print(_virtual_clock().now().isoformat())


@clock_app.command("advance")
def clock_advance(seconds: float = typer.Argument(..., min=0, help="How far to move, in seconds")) -> None:
    """Move the shared virtual clock forward for every process."""
    console.print(_virtual_clock().advance(seconds).isoformat())
