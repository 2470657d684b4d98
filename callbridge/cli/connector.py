"""``callbridge connector``: list CRM connectors and check one against the readiness kit.

``check NAME --sandbox`` starts the connector's CRM sandbox in-process (an ASGI transport on a
virtual clock) and runs the checklist against it; ``--live`` runs it against the real CRM with
the organization's stored credentials (checks that need the sandbox's control API are skipped,
with the reason). One table line per checklist item; the exit code is 1 when any item fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx
import typer
from rich.table import Table

from callbridge.cli.common import console, err_console
from callbridge.clock import VirtualClock
from callbridge.connectors.conformance import (
    CheckResult,
    Harness,
    PhoneProfile,
    SandboxProfile,
    run_checklist,
    sandbox_harness,
)
from callbridge.connectors.registry import (
    ConnectorContext,
    RegisteredConnector,
    get_connector,
    list_connectors,
    problems,
)
from callbridge.errors import CallbridgeError

app = typer.Typer(help="CRM connectors: list them, check one against the readiness kit.",
                  no_args_is_help=True)

SANDBOX_URL = "http://crm.sandbox.test"
STYLE = {"pass": "green", "fail": "red", "skip": "yellow"}


@app.command("list")
def list_command() -> None:
    """Every installed connector with its auth kinds and capabilities."""
    table = Table(title="CRM connectors")
    for column in ("name", "CRM", "auth", "capabilities", "source"):
        table.add_column(column)
    for item in list_connectors():
        info = item.info
        table.add_row(info.name, info.display_name, ", ".join(k.value for k in info.auth_kinds),
                      ", ".join(sorted(c.value for c in info.capabilities)) or "-", item.source)
    console.print(table)
    for name, reason in sorted(problems().items()):
        err_console.print(f"[yellow]skipped {name}[/]: {reason}")


def render(name: str, results: Sequence[CheckResult]) -> Table:
    table = Table(title=f"Readiness of {name}")
    for column in ("#", "checklist item", "result", "reason"):
        table.add_column(column, overflow="fold")
    for index, result in enumerate(results, 1):
        table.add_row(str(index), result.title, f"[{STYLE[result.status]}]{result.status}[/]", result.reason)
    return table


async def check_in_sandbox(registered: RegisteredConnector) -> list[CheckResult]:
    from callbridge.cli.sandbox import sandbox_factory  # the CLI may start sandboxes; products may not

    profile = registered.kit_profile
    if not isinstance(profile, SandboxProfile):
        raise typer.BadParameter(f"{registered.name} has no sandbox profile; use --live")
    clock = VirtualClock()
    app_ = sandbox_factory(profile.sandbox)(clock=clock)
    transport = httpx.ASGITransport(app=app_)
    async with sandbox_harness(registered, transport, SANDBOX_URL, clock) as harness:
        return await run_checklist(harness)


async def check_live(registered: RegisteredConnector, org_id: str, options: dict[str, str],
                     phones: PhoneProfile) -> list[CheckResult]:
    from callbridge.cli.common import runtime
    from callbridge.connectors.credentials import VaultCredentialStore

    rt = runtime()
    store = VaultCredentialStore(rt, org_id, f"crm:{registered.name}")
    connector = registered.build(ConnectorContext(credentials=store, options=options, clock=rt.clock,
                                                  organization_id=org_id))
    try:
        return await run_checklist(Harness(connector, phones=phones, clock=rt.clock))
    finally:
        await connector.aclose()
        rt.close()


@app.command("check")
def check_command(
    name: str = typer.Argument(..., help="A connector name from 'callbridge connector list'"),
    sandbox: bool = typer.Option(True, "--sandbox/--live",
                                 help="Against its sandbox (default) or the real CRM"),
    org_id: str = typer.Option("", "--org-id", help="--live: the organization whose connection to use"),
    option: list[str] = typer.Option([], "--option", help="--live: connection option key=value"),
    phones: str = typer.Option("", help="--live: numbers with 0, 1 and many matches, as none,one,many"),
) -> None:
    """Run the readiness checklist; exit 1 when an item fails."""
    try:
        registered = get_connector(name)
        if sandbox:
            results = asyncio.run(check_in_sandbox(registered))
        else:
            if not org_id:
                raise typer.BadParameter("--live needs --org-id of a connected organization")
            options = dict(o.split("=", 1) for o in option if "=" in o)
            profile = PhoneProfile()
            if phones:
                none, one, many = [*phones.split(","), "", "", ""][:3]
                profile = PhoneProfile(none=none, one=one, many=many, national=())
            results = asyncio.run(check_live(registered, org_id, options, profile))
    except CallbridgeError as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    console.print(render(name, results))
    failed = [r for r in results if r.status == "fail"]
    if failed:
        err_console.print(f"[red]{len(failed)} of {len(results)} checklist items failed.[/]")
        raise typer.Exit(1)
