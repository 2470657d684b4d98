"""``callbridge db``: schema migrations."""

from __future__ import annotations

import typer

from callbridge.cli.common import console, settings
from callbridge.config import mask_url
from callbridge.db import migrate
from callbridge.db.engine import make_engine

app = typer.Typer(help="Database schema: upgrade, downgrade, show the revision.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    s = settings()
    migrate.upgrade(s.db_url, revision)
    console.print(f"[green]Database at {revision}[/] ({mask_url(s.db_url)})")


@app.command()
def downgrade(
    revision: str = typer.Argument(..., help="Target revision, or 'base' to drop everything"),
) -> None:
    """Migrate the database down to REVISION."""
    s = settings()
    migrate.downgrade(s.db_url, revision)
    console.print(f"[yellow]Database at {revision}[/] ({mask_url(s.db_url)})")


@app.command()
def current() -> None:
    """Show the database's revision and the newest one."""
    s = settings()
    engine = make_engine(s.db_url)
    try:
        rev = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision()
    state = "up to date" if rev == head else "run 'callbridge db upgrade'"
    console.print(f"database: {rev or '(empty)'}  newest: {head}  → {state}")
