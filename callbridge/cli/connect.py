"""``callbridge connect <crm>``: connect a CRM with an API key or a password login (OAuth connects
go through /oauth/callback/{provider}). Secrets go to the vault, never to the options or logs."""

from __future__ import annotations

import asyncio

import typer
from sqlalchemy import select

from callbridge.cli.common import console, err_console, runtime
from callbridge.db.models import CrmConnection, Organization
from callbridge.errors import CallbridgeError, InvalidInput, NotFound
from callbridge.pipelines.logging.connections import build_connector, create_connection


def _org_id(rt: object, slug: str) -> str:
    db = rt.db  # type: ignore[attr-defined]
    with db.anonymous() as session:
        found = session.scalars(select(Organization.id).where(Organization.slug == slug)).first()
    if found is None:
        raise NotFound(f"No organization with slug {slug!r}.", field="org", hint="see 'callbridge org list'")
    return str(found)


def connect(
    crm: str = typer.Argument(..., help="A connector name from 'callbridge connector list'"),
    org: str = typer.Option(..., "--org", help="Organization slug"),
    api_key: str = typer.Option("", "--api-key", help="API key / private-app token (admin-managed)",
                                envvar="CALLBRIDGE_CRM_API_KEY"),
    username: str = typer.Option("", "--username", help="Legacy login: user name"),
    password: str = typer.Option("", "--password", help="Legacy login: password",
                                 envvar="CALLBRIDGE_CRM_PASSWORD"),
    security_token: str = typer.Option("", "--security-token", help="Salesforce security token"),
    option: list[str] = typer.Option([], "--option", help="Connection option key=value (no secrets)"),
    name: str = typer.Option("", "--name", help="Connection name (default: the CRM's name)"),
    check: bool = typer.Option(True, "--check/--no-check", help="Ask the CRM who we are after connecting"),
) -> None:
    """Connect (or reconnect) a CRM; a paused connection resumes and its backlog is logged."""
    try:
        options = dict(o.split("=", 1) for o in option if "=" in o)
        credentials: dict[str, dict[str, str]] = {}
        if api_key:
            options.setdefault("auth", "api_key")
            credentials["api_key:org"] = {"api_key": api_key}
        elif username and password:
            options.setdefault("auth", "password")
            entry = {"username": username, "password": password}
            if security_token:
                entry["security_token"] = security_token
            credentials["password"] = entry
        else:
            raise InvalidInput("Give --api-key, or --username and --password.", field="credentials",
                               hint="OAuth connections are made in the browser at /oauth/callback/{provider}")
        rt = runtime()
        try:
            org_id = _org_id(rt, org)
            connection_id = create_connection(rt, org_id, crm, options=options, credentials=credentials,
                                              name=name or None, actor="cli:connect")
            who = ""
            if check:
                with rt.db.tenant(org_id) as session:
                    connection = session.get_one(CrmConnection, connection_id)
                    connector = build_connector(rt, org_id, connection)

                async def ask() -> str:
                    try:
                        identity = await connector.get_user_info()
                        return identity.email or identity.user_id
                    finally:
                        await connector.aclose()

                who = asyncio.run(ask())
        finally:
            rt.close()
    except CallbridgeError as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    except Exception as exc:  # a connector error: its message says what to fix
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    console.print(f"[green]Connected[/] {crm} for {org} as connection {connection_id}"
                  + (f" (acting as {who})" if who else "") + ".")
