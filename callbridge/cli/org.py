"""``callbridge org`` and ``callbridge token``: tenants, their owners, API tokens."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from callbridge.cli.common import console, err_console, runtime
from callbridge.db.models import Membership, Organization, User
from callbridge.errors import NotFound
from callbridge.privacy.audit import record_audit
from callbridge.privacy.export import stream_export
from callbridge.tenancy import create_organization, issue_token

org_app = typer.Typer(help="Organizations (tenants).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)


@org_app.command("create")
def create(
    name: str = typer.Option(..., help="Display name, e.g. 'Acme Inc.'"),
    slug: str = typer.Option(..., help="Short id: lowercase letters, digits, dashes"),
    owner_email: str = typer.Option(..., help="Email of the first owner"),
) -> None:
    """Create an organization and its first owner."""
    rt = runtime()
    org_id, _ = create_organization(rt.db, rt.clock, name=name, slug=slug, owner_email=owner_email)
    console.print(f"[green]Created[/] organization {slug} ({org_id}) owned by {owner_email}.")
    console.print(f"Next: callbridge token create --org {slug} --email {owner_email}")


@org_app.command("list")
def list_orgs() -> None:
    """Every organization on this installation."""
    rt = runtime()
    with rt.db.anonymous() as session:
        rows = session.scalars(select(Organization).order_by(Organization.created_at)).all()
    table = Table("id", "slug", "name", "created")
    for o in rows:
        table.add_row(o.id, o.slug, o.name, o.created_at.isoformat(timespec="seconds"))
    console.print(table)


@token_app.command("create")
def create_token(
    org: str = typer.Option(..., help="Organization slug"),
    email: str = typer.Option(..., help="Member's email"),
    name: str = typer.Option("cli", help="A label for the token"),
) -> None:
    """Create an API token for a member; it is printed once and stored only as a hash."""
    rt = runtime()
    with rt.db.anonymous() as session:
        org_id = session.scalars(select(Organization.id).where(Organization.slug == org)).first()
        user_id = session.scalars(select(User.id).where(User.email == email.strip().lower())).first()
    if org_id is None:
        raise NotFound(f"No organization with slug {org!r}.", field="org", hint="see 'callbridge org list'")
    with rt.db.tenant(org_id) as session:
        membership_id = session.scalars(select(Membership.id).where(Membership.user_id == user_id)).first()
        if membership_id is None:
            raise NotFound(f"{email} is not a member of {org}.", field="email")
        _, plain = issue_token(session, rt.clock, membership_id=membership_id, name=name, actor="cli")
    console.print(plain)


@org_app.command("export")
def export(
    org: str = typer.Option(..., help="Organization slug"),
    out: Path | None = typer.Option(None, help="Write to this file (default: standard output)"),
) -> None:
    """Write all of an organization's data as one JSON document (schema: privacy/export.schema.json)."""
    rt = runtime()
    with rt.db.anonymous() as session:
        org_id = session.scalars(select(Organization.id).where(Organization.slug == org)).first()
    if org_id is None:
        raise NotFound(f"No organization with slug {org!r}.", field="org", hint="see 'callbridge org list'")
    with rt.db.tenant(org_id) as session:
        record_audit(
            session,
            rt.clock,
            actor="cli",
            action="organization.exported",
            object_type="organization",
            object_id=org_id,
        )
    target = out.open("wb") if out else sys.stdout.buffer
    try:
        for chunk in stream_export(rt, org_id):
            target.write(chunk)
    finally:
        if out:
            target.close()
            err_console.print(f"wrote {out}")
