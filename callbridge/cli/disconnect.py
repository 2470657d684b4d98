"""``callbridge disconnect <crm>``: revoke the token at the CRM, delete the credentials, pause logging.

Exit codes: 0 disconnected (revoked, or nothing revocable); 3 disconnected locally but the CRM's
revocation could not be confirmed (remove callbridge's access in the CRM by hand); 1/2 errors.
"""

from __future__ import annotations

import typer
from sqlalchemy import select

from callbridge.cli.common import console, err_console, runtime
from callbridge.db.models import CrmConnection, Organization
from callbridge.errors import CallbridgeError, InvalidInput, NotFound
from callbridge.pipelines.logging.disconnect import Revocation, disconnect_connection
from callbridge.runtime import Runtime

UNCONFIRMED_EXIT = 3


def _org_id(rt: Runtime, slug: str) -> str:
    with rt.db.anonymous() as session:
        found = session.scalars(select(Organization.id).where(Organization.slug == slug)).first()
    if found is None:
        raise NotFound(f"No organization with slug {slug!r}.", field="org", hint="see 'callbridge org list'")
    return str(found)


def disconnect(
    crm: str = typer.Argument(..., help="The connector of the connection, e.g. hubspot"),
    org: str = typer.Option(..., "--org", help="Organization slug"),
    connection: str = typer.Option("", "--connection", help="Connection name (default: the CRM's name)"),
) -> None:
    """Disconnect a CRM: revoke its token at the CRM, delete the credentials from the vault and pause
    logging through it; communications and CRM activities are kept. Exit code 3: disconnected here,
    but the CRM's revocation could not be confirmed."""
    name = connection or crm
    try:
        rt = runtime()
        try:
            org_id = _org_id(rt, org)
            with rt.db.tenant(org_id) as session:
                found = session.scalars(select(CrmConnection).where(CrmConnection.name == name)).first()
                if found is None:
                    names = sorted(session.scalars(select(CrmConnection.name)))
                    raise NotFound(
                        f"No CRM connection named {name!r} in {org}.",
                        field="connection",
                        hint=f"its connections: {', '.join(names)}" if names else "it has no CRM connection",
                    )
                if found.connector != crm:
                    raise InvalidInput(
                        f"The connection {name!r} is a {found.connector} connection, not {crm}.",
                        field="crm",
                        hint=f"run 'callbridge disconnect {found.connector} --org {org} --connection {name}'",
                    )
                connection_id = found.id
            done = disconnect_connection(rt, org_id, connection_id, actor="cli:disconnect")
        finally:
            rt.close()
    except CallbridgeError as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    console.print(
        f"[green]Disconnected[/] {done.name} ({done.connector}) for {org}: {done.credentials_deleted} "
        f"credential(s) deleted; {done.waiting} communication(s) wait for a reconnect."
    )
    if done.revocation is Revocation.unconfirmed:
        err_console.print(f"[yellow]warning:[/] {done.message}")
        raise typer.Exit(UNCONFIRMED_EXIT)
    console.print(done.message)
