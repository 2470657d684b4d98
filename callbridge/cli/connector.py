"""``callbridge connector``: list CRM connectors and check one against the readiness kit."""

from __future__ import annotations

import typer

app = typer.Typer(help="CRM connectors: list them, check one against the readiness kit.", no_args_is_help=True)
