"""The ``callbridge`` command."""

from __future__ import annotations

import sys

import typer

from callbridge.cli import db, jobs, keys, org, system
from callbridge.cli.common import err_console
from callbridge.errors import CallbridgeError

app = typer.Typer(
    name="callbridge",
    help="callbridge: business communications from phone platforms into CRMs and your archive.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(system.serve)
app.command()(system.worker)
app.add_typer(system.config_app, name="config")
app.add_typer(system.clock_app, name="clock")
app.add_typer(db.app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(jobs.app, name="jobs")
app.add_typer(org.org_app, name="org")
app.add_typer(org.token_app, name="token")


def _register_more() -> None:
    from callbridge.cli import archive, connect, connector, demo, disconnect, docs, sandbox

    app.command()(demo.demo)
    app.add_typer(sandbox.app, name="sandbox")
    app.add_typer(connector.app, name="connector")
    app.add_typer(archive.app, name="archive")
    app.add_typer(docs.app, name="docs")
    app.command("connect")(connect.connect)
    app.command("disconnect")(disconnect.disconnect)


_register_more()


def main() -> None:
    """Entry point: run the command; a CallbridgeError becomes a clear message and exit code."""
    try:
        app()
    except CallbridgeError as exc:
        err_console.print(f"[red]error[/] ({exc.code}): {exc.message}")
        if exc.hint and exc.hint not in exc.message:
            err_console.print(f"[bold]fix:[/] {exc.hint}")
        sys.exit(2 if exc.code == "config_invalid" else 1)
