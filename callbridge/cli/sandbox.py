"""``callbridge sandbox``: the built-in simulators of RingCentral and the CRMs."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import typer

from callbridge.cli.common import console
from callbridge.errors import InvalidInput

app = typer.Typer(help="Simulated platforms and CRMs for demos, tests and benchmarks.", no_args_is_help=True)

# name -> "module:factory"; each factory is create_app(config=None, clock=None) -> FastAPI
SANDBOXES = {
    "ringcentral": "callbridge.sandbox.ringcentral:create_app",
    "hubspot": "callbridge.sandbox.crm.hubspot:create_app",
    "salesforce": "callbridge.sandbox.crm.salesforce:create_app",
    "pipedrive": "callbridge.sandbox.crm.pipedrive:create_app",
    "clio": "callbridge.sandbox.crm.clio:create_app",
    "generic": "callbridge.sandbox.crm.generic:create_app",
}


def sandbox_factory(name: str) -> Callable[..., Any]:
    if name not in SANDBOXES:
        raise InvalidInput(
            f"No sandbox named {name!r}.", field="name", hint=f"use one of: {', '.join(SANDBOXES)}"
        )
    module_name, _, attr = SANDBOXES[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        raise InvalidInput(f"The {name} sandbox is not built yet.", field="name") from None
    factory: Callable[..., Any] = getattr(module, attr)
    return factory


@app.command("list")
def list_sandboxes() -> None:
    """Name every simulator."""
    for name in SANDBOXES:
        console.print(name)


@app.command("serve")
def serve(
    name: str = typer.Argument(..., help=f"One of: {', '.join(SANDBOXES)}"),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8090, min=1, max=65535, help="TCP port"),
) -> None:
    """Run one simulator as a real HTTP server."""
    import uvicorn

    application = sandbox_factory(name)()
    console.print(f"{name} sandbox on http://{host}:{port} (control API under /_sandbox/)")
    uvicorn.run(application, host=host, port=port, log_level="warning")


def _mount_generate() -> None:
    from callbridge.sandbox.ringcentral.cli import generate_command

    help_text = "Seed a RingCentral sandbox account with realistic traffic."
    app.command("generate", help=help_text)(generate_command)


_mount_generate()
