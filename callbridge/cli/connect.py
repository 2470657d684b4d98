"""``callbridge connect <crm>``: connect a CRM with an API key or a password login (OAuth connects
go through /oauth/callback/{provider}). Secrets go to the vault, never to the options or logs."""

from __future__ import annotations

import asyncio
import os

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
    crm: str = typer.Argument(..., help="A connector name from 'callbridge connector list', or 'zoom'"),
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
    secret_token_env: str = typer.Option(
        "CALLBRIDGE_ZOOM_SECRET_TOKEN", "--secret-token-env", metavar="VAR",
        help="zoom: environment variable holding the app's webhook secret token"),
    client_id: str = typer.Option("", "--client-id", help="zoom: Server-to-Server OAuth client id"),
    client_secret_env: str = typer.Option("", "--client-secret-env", metavar="VAR",
                                          help="zoom: environment variable holding the OAuth client secret"),
    account_id: str = typer.Option("", "--account-id", help="zoom: Server-to-Server OAuth account id"),
) -> None:
    """Connect (or reconnect) a CRM; a paused connection resumes and its backlog is logged.
    ``connect zoom`` stores the Zoom app's webhook secret token and prints the endpoint URL."""
    if crm == "zoom":
        _connect_zoom(org, secret_token_env, client_id, client_secret_env, account_id)
        return
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


def _connect_zoom(org: str, secret_env: str, client_id: str, client_secret_env: str, account_id: str) -> None:
    from callbridge.platforms.zoom.connection import connect_zoom

    try:
        if not os.environ.get(secret_env):
            raise InvalidInput(f"The environment variable {secret_env} holding the webhook secret token is "
                               "unset or empty.", field="--secret-token-env",
                               hint="export it (Zoom app → Features → Secret Token) or name another variable")
        if client_secret_env and not os.environ.get(client_secret_env):
            raise InvalidInput(f"The environment variable {client_secret_env} is unset or empty.",
                               field="--client-secret-env", hint="export the app's client secret in it")
        rt = runtime()
        try:
            endpoint = connect_zoom(
                rt.db, rt.vault, rt.clock, _org_id(rt, org), secret_token=os.environ[secret_env],
                public_url=rt.settings.public_url, client_id=client_id or None,
                client_secret=os.environ.get(client_secret_env) if client_secret_env else None,
                account_id=account_id or None, actor="cli:connect")
        finally:
            rt.close()
    except CallbridgeError as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    console.print(f"[green]{'Connected' if endpoint.created else 'Reconnected'}[/] Zoom webhooks for {org}. "
                  "Paste this event notification endpoint URL into the Zoom app (Features → Event "
                  "subscriptions), then press Validate:")
    console.print(endpoint.address, soft_wrap=True)
    if not endpoint.has_public_url:
        err_console.print("[yellow]CALLBRIDGE_PUBLIC_URL is not set:[/] prefix the path above with the "
                          "public https address at which Zoom reaches this server, and set "
                          "CALLBRIDGE_PUBLIC_URL.")
