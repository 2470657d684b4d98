"""``callbridge jobs``: watch work, read the dead-letter list, replay."""

from __future__ import annotations

import typer
from rich.table import Table

from callbridge.cli.common import console, runtime
from callbridge.db.models import JobStatus
from callbridge.jobs.admin import dead_letters, job_organization, recent_jobs
from callbridge.jobs.runner import replay_dead

app = typer.Typer(help="Background jobs: list, dead letters, replay.", no_args_is_help=True)


@app.command("failed")
def failed(limit: int = typer.Option(50, min=1, max=1000)) -> None:
    """Jobs that used up their attempts (the dead-letter list), newest first."""
    rows = dead_letters(runtime(), limit)
    if not rows:
        console.print("No failed jobs.")
        return
    table = Table("job id", "kind", "organization", "attempts", "died at", "error")
    for r in rows:
        table.add_row(
            r.job_id,
            r.kind,
            r.organization_id or "(system)",
            str(r.attempts),
            r.died_at.isoformat(timespec="seconds"),
            r.error,
        )
    console.print(table)
    console.print("Replay one with: callbridge jobs retry JOB_ID")


@app.command("list")
def list_jobs(
    status: JobStatus | None = typer.Option(None, help="Only jobs in this state"),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """Recent jobs with their state."""
    rows = recent_jobs(runtime(), status, limit)
    table = Table("job id", "kind", "status", "attempts", "next attempt", "last error")
    for j in rows:
        table.add_row(
            j.id,
            j.kind,
            j.status.value,
            f"{j.attempts}/{j.max_attempts}",
            j.next_attempt_at.isoformat(timespec="seconds"),
            j.last_error or "",
        )
    console.print(table)


@app.command("retry")
def retry(job_id: str) -> None:
    """Put a dead job back in the queue with fresh attempts."""
    rt = runtime()
    job = replay_dead(rt, job_organization(rt, job_id), job_id, actor="cli")
    console.print(f"[green]Queued[/] {job.id} ({job.kind}) again; a running worker will pick it up.")
