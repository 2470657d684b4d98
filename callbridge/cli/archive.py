"""``callbridge archive``: copy call logs, recordings and messages out before retention deletes them.

Pooling: RingCentral counts rate limits per authorised user, so several admins of one account can
lend their budgets to the archive. Connect each under its own name (``archive connect
--connection admin2 …``); ``run``, ``plan``, ``verify`` and ``delete`` then use ``default`` and
every connection known to sign in to the same account, or exactly the ``--connection`` options
given (repeat it). The scheduled run does the same, once per account.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from callbridge.cli.common import console, runtime
from callbridge.errors import InvalidInput
from callbridge.jobs.schedule import period_start
from callbridge.pipelines.archive.accounts import learn_accounts
from callbridge.pipelines.archive.datasets import check_window, parse_datasets
from callbridge.pipelines.archive.jobs import INCREMENTAL, incremental_key
from callbridge.pipelines.archive.parquet import export_parquet
from callbridge.pipelines.archive.plan import Plan, make_plan
from callbridge.pipelines.archive.prune import delete_archived
from callbridge.pipelines.archive.retention import retention_days
from callbridge.pipelines.archive.run import Archiver
from callbridge.pipelines.archive.service import (
    choose_connections,
    organization_id,
    parse_when,
    prepare,
    with_session,
)
from callbridge.pipelines.archive.status import archive_status
from callbridge.pipelines.archive.verify import verify as verify_archive
from callbridge.platforms.ringcentral.auth import AppCredentials
from callbridge.platforms.ringcentral.connection import Connection, save_connection
from callbridge.platforms.ringcentral.factory import RingCentralSession

app = typer.Typer(
    help="Archive: plan, run, status, verify, export, delete. Several admins' connections of one "
    "RingCentral account are pooled (see --connection).",
    no_args_is_help=True,
)

ORG = typer.Option(..., "--org", help="Organization slug")
CONN = typer.Option("default", "--connection", help="RingCentral connection name")
CONNS = typer.Option(
    [],
    "--connection",
    help="RingCentral connection to use; repeat it to pool several admins of one account (their "
    "rate budgets add up: RingCentral counts limits per user). Default: 'default' and every "
    "connection known to sign in to the same account",
)


def _print_json(data: Any) -> None:
    console.print_json(json.dumps(data, default=str))


class RichProgress:
    """One bar per dataset: items, bytes, rate and ETA."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.bytes: dict[str, int] = {}

    def start(self, dataset: str, total: int | None) -> None:
        self.tasks[dataset] = self.progress.add_task(dataset, total=total, bytes_done="")

    def advance(self, dataset: str, items: int = 1, nbytes: int = 0) -> None:
        task = self.tasks[dataset]
        self.bytes[dataset] = self.bytes.get(dataset, 0) + nbytes
        self.progress.update(task, advance=items, bytes_done=f"{self.bytes[dataset] / 1e6:.1f} MB")

    def done(self, dataset: str) -> None:
        task = self.tasks[dataset]
        total = self.progress.tasks[task].completed
        self.progress.update(task, total=total, completed=total)


@app.command()
def connect(
    org: str = ORG,
    server: str = typer.Option("https://platform.ringcentral.com", help="RingCentral API base URL"),
    media: str | None = typer.Option(None, help="Media host base URL, if different"),
    client_id: str = typer.Option(..., envvar="CALLBRIDGE_RC_CLIENT_ID"),
    client_secret: str = typer.Option(..., envvar="CALLBRIDGE_RC_CLIENT_SECRET"),
    jwt: str = typer.Option(..., envvar="CALLBRIDGE_RC_JWT", help="JWT credential of an admin user"),
    connection: str = CONN,
) -> None:
    """Store the RingCentral app credentials (sealed in the vault) and test a sign-in.

    Connect a second admin of the same account under another --connection name to pool its rate
    budget: archive runs then send through both."""
    rt = runtime()
    org_id = organization_id(rt, org)
    with rt.db.tenant(org_id) as session:
        save_connection(
            session,
            rt.vault,
            Connection(connection, server, media, AppCredentials(client_id, client_secret, jwt)),
        )

    async def check(rc: RingCentralSession) -> None:
        await rc.client.auth.login_jwt()
        # which account it signs in to: connections of one account are pooled by the archive
        await learn_accounts(rt, org_id, rc, check=False)

    with_session(rt, org_id, check, connection=connection)
    # start the connection's periodic incremental archive (one run per interval, see archive.jobs)
    interval = timedelta(minutes=rt.settings.archive_interval_minutes)
    rt.submit(
        org_id,
        INCREMENTAL,
        {"connection": connection},
        key=incremental_key(connection, period_start(rt.clock.now(), interval)),
    )
    console.print(f"[green]Connected[/] RingCentral ({server}) for {org} as connection {connection!r}.")


@app.command()
def plan(
    org: str = ORG,
    days: int = typer.Option(90, min=1, max=400, help="How far back to archive"),
    as_json: bool = typer.Option(False, "--json"),
    connection: list[str] = CONNS,
) -> None:
    """Requests per dataset, time under the current limits, and whether it beats retention.

    With several connections (a pool) the limits add up: N admins have N times one user's budget."""
    rt = runtime()
    org_id = organization_id(rt, org)
    keep = retention_days(rt.settings)["recording"] or 90
    conns = choose_connections(rt, org_id, connection)

    async def work(rc: RingCentralSession) -> Plan:
        await learn_accounts(rt, org_id, rc)  # one account, distinct users: else no added capacity
        return await make_plan(rc, rt.clock.now(), days, recording_retention_days=keep)

    result = with_session(rt, org_id, work, connection=conns[0], pool=conns[1:])
    if as_json:
        _print_json(result.as_dict())
        return
    table = Table("dataset", "items", "requests", "rate group", "retention (days)")
    for d in result.datasets:
        table.add_row(d.dataset, str(d.items), str(d.requests), d.group, str(d.retention_days or "-"))
    console.print(table)
    for group, seconds in result.seconds_by_group.items():
        took = "never finishes" if math.isinf(seconds) else f"{seconds / 3600:.2f} h"
        console.print(f"{group}: {took} under the current limit")
    per = "per credential" if result.credentials == 1 else f"with {result.credentials} pooled credentials"
    console.print(
        f"Heavy capacity {result.daily_heavy_capacity} requests a day {per}; new traffic needs "
        f"~{result.daily_heavy_needed:.0f}."
    )
    verdict = (
        "[green]finishes before retention[/]" if result.fits else "[red]does NOT finish before retention[/]"
    )
    total = result.finishes_in_seconds
    took = "forever" if math.isinf(total) else f"{total / 3600:.2f} h"
    console.print(f"Backlog of {days} days takes {took}: {verdict}")
    for line in result.advice:
        console.print(f"- {line}")


@app.command()
def run(
    org: str = ORG,
    date_from: str | None = typer.Option(None, "--from", help="Start (YYYY-MM-DD or ISO time)"),
    date_to: str | None = typer.Option(None, "--to", help="End (default: now)"),
    dataset: list[str] = typer.Option([], "--dataset", help="calls, recordings, messages, attachments"),
    as_json: bool = typer.Option(False, "--json"),
    parquet: bool = typer.Option(False, "--parquet", help="Also rewrite the Parquet export"),
    connection: list[str] = CONNS,
) -> None:
    """Archive now (incrementally from the cursors when --from is not given).

    With several connections (--connection a --connection b, or the connections known to sign in
    to the same account) each request goes through the admin whose rate budget frees first; the
    account's data is archived once, under the account's cursors."""
    chosen = parse_datasets(dataset)
    start, end = parse_when(date_from, "from"), parse_when(date_to, "to")
    rt = runtime()
    if start and end:
        check_window(start, end, rt.clock.now())
    org_id = organization_id(rt, org)
    store = prepare(rt)

    async def work(rc: RingCentralSession) -> Any:
        archiver = Archiver(rt, org_id, rc, store)
        archiver.window(start, end)  # checks the window before anything is fetched
        if as_json:
            return await archiver.run(chosen, start, end)
        columns = (
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[bytes_done]}"),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as bars:
            archiver.progress = RichProgress(bars)
            return await archiver.run(chosen, start, end)

    conns = choose_connections(rt, org_id, connection)
    result = with_session(rt, org_id, work, connection=conns[0], pool=conns[1:])
    if parquet:
        export_parquet(rt, org_id, store)
    if as_json:
        _print_json(result.as_dict())
    else:
        table = Table("dataset", "listed", "new", "updated", "downloaded", "bytes", "failed")
        for name, s in result.datasets.items():
            table.add_row(
                name,
                str(s.listed),
                str(s.new),
                str(s.updated),
                str(s.downloaded),
                str(s.bytes),
                str(s.failed + s.missing),
            )
        console.print(table)
        console.print(f"429 responses: {result.throttled} (each one is a planning bug)")
        if len(result.credentials) > 1:
            shares = ", ".join(f"{name} {used['requests']}" for name, used in result.credentials.items())
            console.print(f"Requests per pooled connection: {shares}")
        for warning in result.warnings:
            console.print(f"[yellow]warning[/] {warning}")
    if result.errors:
        raise typer.Exit(3)


@app.command()
def status(
    org: str = ORG,
    as_json: bool = typer.Option(False, "--json"),
    strict: bool = typer.Option(False, help="Exit 5 when a retention warning is raised"),
) -> None:
    """Cursors, counts, pending and failed objects, and retention warnings."""
    rt = runtime()
    data = archive_status(rt, organization_id(rt, org))
    warnings = data["retention_warnings"]
    if as_json:
        _print_json(data)
    else:
        table = Table("dataset", "position")
        for key, position in sorted(data["cursors"].items()):
            table.add_row(key, position)
        console.print(table)
        console.print(
            f"{data['calls']} calls, {data['messages']} messages archived "
            f"({data['messages_deleted_from_platform']} deleted from the platform after archive)."
        )
        objects = Table("objects", "status", "count", "bytes")
        for kind, by_status in sorted(data["objects"].items()):
            for state, figures in sorted(by_status.items()):
                objects.add_row(kind, state, str(figures["count"]), str(figures["bytes"]))
        console.print(objects)
        if not warnings:
            days = rt.settings.archive_retention_warn_days
            console.print(
                f"[green]Retention:[/] nothing unarchived is within {days} days of its retention age."
            )
        for w in warnings:
            colour = "red" if w["lost"] else "yellow"
            console.print(f"[{colour}]retention warning[/] {w['dataset']}: {w['message']}")
    if strict and warnings:
        raise typer.Exit(5)


@app.command()
def verify(
    org: str = ORG,
    date_from: str = typer.Option(..., "--from"),
    date_to: str | None = typer.Option(None, "--to"),
    repair: bool = typer.Option(False, help="Re-queue objects that fail their checks"),
    as_json: bool = typer.Option(False, "--json"),
    connection: list[str] = CONNS,
) -> None:
    """Re-list the platform, compare counts per day and checksums; exit 4 when there are gaps."""
    start = parse_when(date_from, "from")
    rt = runtime()
    end = parse_when(date_to, "to") or rt.clock.now()
    assert start is not None
    check_window(start, end, rt.clock.now())
    org_id = organization_id(rt, org)
    store = prepare(rt, probe=False)
    conns = choose_connections(rt, org_id, connection)
    report = with_session(
        rt,
        org_id,
        lambda rc: verify_archive(
            rt, org_id, rc, store, start, end, window_hours=rt.settings.archive_window_hours, repair=repair
        ),
        connection=conns[0],
        pool=conns[1:],
    )
    if as_json:
        _print_json(
            {
                "ok": report.ok,
                "objects_checked": report.objects_checked,
                "gaps": [vars(g) for g in report.gaps],
            }
        )
    else:
        for gap in report.gaps:
            console.print(f"[red]gap[/] {gap.day} {gap.dataset}: {gap.problem}")
        console.print(f"{report.objects_checked} objects re-hashed; {len(report.gaps)} gaps.")
    if not report.ok:
        raise typer.Exit(4)


@app.command("export")
def export(
    org: str = ORG, prefix: str = typer.Option("parquet", help="Folder in the archive storage")
) -> None:
    """Rewrite the Parquet export (partitioned by day) from the database."""
    rt = runtime()
    counts = export_parquet(rt, organization_id(rt, org), prepare(rt), prefix)
    _print_json(counts)


@app.command("delete")
def delete(
    org: str = ORG,
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be deleted; delete nothing"),
    as_json: bool = typer.Option(False, "--json"),
    connection: list[str] = CONNS,
) -> None:
    """Delete messages from RingCentral's message store whose archived copy verifies (size + sha256).

    Off unless CALLBRIDGE_ARCHIVE_DELETE_AFTER_ARCHIVE=true; --dry-run always works.
    """
    rt = runtime()
    if not dry_run and not rt.settings.archive_delete_after_archive:
        raise InvalidInput(
            "Delete after archive is off.",
            field="archive_delete_after_archive",
            hint="set CALLBRIDGE_ARCHIVE_DELETE_AFTER_ARCHIVE=true to allow it, or pass --dry-run to see "
            "what would be deleted",
        )
    org_id = organization_id(rt, org)
    store = prepare(rt, probe=False)
    conns = choose_connections(rt, org_id, connection)
    report = with_session(
        rt,
        org_id,
        lambda rc: delete_archived(rt, org_id, rc, store, dry_run=dry_run),
        connection=conns[0],
        pool=conns[1:],
    )
    if as_json:
        _print_json(report.as_dict())
        return
    verb = "would delete" if dry_run else "deleted"
    ids = report.eligible if dry_run else report.deleted
    for message_id in ids:
        console.print(f"{verb} message {message_id}")
    for message_id, reason in sorted(report.kept.items()):
        console.print(f"[yellow]kept[/] message {message_id}: {reason}")
    console.print(f"{len(ids)} messages {verb}; {len(report.kept)} kept (archive not verified).")
