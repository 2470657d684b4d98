"""``callbridge archive``: copy call logs, recordings and messages out before retention deletes them."""

from __future__ import annotations

import typer

app = typer.Typer(help="Archive: plan, run, status, verify.", no_args_is_help=True)
