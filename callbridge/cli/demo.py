"""``callbridge demo``: the whole product, end to end, on the embedded defaults."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import typer

from callbridge.cli.common import console
from callbridge.cli.demo_logging import CRMS, LoggingDemo, start_sandboxes
from callbridge.clock import SystemClock
from callbridge.config import load_settings
from callbridge.db import migrate
from callbridge.errors import CallbridgeError
from callbridge.privacy.vault import KeyRing
from callbridge.runtime import Runtime
from callbridge.tenancy import create_organization, issue_token

MARKER = ".callbridge-demo"
WAIT_SECONDS = 60.0
BUDGET_SECONDS = 100.0  # the whole demo, sandboxes to summary, ends well within two minutes
ARCHIVE_DAYS = 5  # the generated weekday is at most three days back


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _fresh_data_dir(path: Path) -> None:
    """Start from nothing; only a folder an earlier demo made is ever removed."""
    if path.exists():
        if not (path / MARKER).exists():
            raise CallbridgeError(
                f"{path} exists and was not made by the demo; refusing to delete it.",
                hint="pass --data-dir with a new folder",
            )
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("made by 'callbridge demo'; safe to delete\n")


@contextmanager
def _process(args: list[str], env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log_path.open("wb") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "callbridge", *args], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_until(check: object, what: str) -> None:
    waiter = threading.Event()
    for _ in range(int(WAIT_SECONDS / 0.2)):
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.HTTPError:
            pass
        waiter.wait(0.2)
    raise CallbridgeError(f"The demo gave up waiting for {what}.", hint="read the logs in the data directory")


def demo(
    data_dir: Path = typer.Option(Path("var/demo"), help="Folder for the demo's database, keys and logs"),
) -> None:
    """Set up a demo organization, start the server and a worker, run a job end to end, then log a
    day of RingCentral sandbox traffic to the HubSpot and Salesforce sandboxes and report."""
    deadline = time.monotonic() + BUDGET_SECONDS
    data_dir = data_dir.resolve()
    _fresh_data_dir(data_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLBRIDGE_")}
    env["CALLBRIDGE_DATA_DIR"] = str(data_dir)
    settings = load_settings(data_dir=data_dir)
    steps: list[str] = []

    KeyRing([KeyRing.generate_key("k1")]).save(settings.keyring_path)
    steps.append(f"created the key ring {settings.keyring_path}")
    migrate.upgrade(settings.db_url)
    steps.append(f"migrated the SQLite database {settings.db_url.removeprefix('sqlite:///')}")

    rt = Runtime(settings)
    org_id, membership_id = create_organization(
        rt.db, rt.clock, name="Demo Co", slug="demo", owner_email="admin@demo.example"
    )
    with rt.db.tenant(org_id) as session:
        _, token = issue_token(session, rt.clock, membership_id=membership_id, name="demo", actor="demo")
        rt.vault.put(session, "crm:demo:api-key", "demo", "demo-secret-value")
    steps.append(
        "created organization 'demo' with owner admin@demo.example, an API token and a sealed credential"
    )
    rt.close()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    # webhooks reach the server at its own loopback address; the sandboxes are on loopback too
    env["CALLBRIDGE_PUBLIC_URL"] = base
    env["CALLBRIDGE_ALLOW_PRIVATE_DESTINATIONS"] = "true"
    env["CALLBRIDGE_INGEST_INITIAL_HOURS"] = "120"  # the generated weekday may be last Friday
    with (
        ExitStack() as stack,
        _process(["serve", "--port", str(port)], env, data_dir / "server.log"),
        _process(["worker", "--poll-seconds", "0.2"], env, data_dir / "worker.log"),
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        _wait_until(lambda: client.get("/readyz").status_code == 200, "the server to be ready")
        steps.append(f"started the server at {base} and a worker")
        job = client.post("/api/v1/jobs/selftest", headers=headers).json()
        steps.append(f"queued job {job['id']} ({job['kind']}) through the API")

        def job_done() -> bool:
            state = client.get(f"/api/v1/jobs/{job['id']}", headers=headers).json()
            return bool(state["status"] == "done")

        _wait_until(job_done, f"job {job['id']} to finish")
        audit = client.get("/api/v1/audit", headers=headers, params={"action": "selftest.completed"}).json()
        steps.append(f"the worker ran it; the audit log shows {len(audit)} 'selftest.completed' entry")
        ready = client.get("/readyz").json()

        sandboxes = start_sandboxes(stack)
        rt = Runtime(settings)
        try:
            scenario = LoggingDemo(rt, org_id, sandboxes, steps, deadline)
            scenario.generate_traffic()
            scenario.connect()
            scenario.subscribe()
            if scenario.live:
                scenario.play_live()
            scenario.catch_up()
            scenario.settle()
            notes, table = scenario.summary()
        finally:
            rt.close()
        _archive(env, data_dir, steps)
        _privacy_files(client, headers, data_dir, steps)

    console.rule("[bold green]callbridge demo: done")
    for i, step in enumerate(steps, 1):
        console.print(f"{i}. {step}")
    console.print()
    _print_logging(table, notes, sandboxes.urls, base)
    console.print()
    console.print(f"Data directory: {data_dir}  (database, key ring, server.log, worker.log)")
    console.print(f"Readiness:      {ready['checks']}")
    console.print("Run it yourself:")
    console.print(
        f"  CALLBRIDGE_DATA_DIR={data_dir} .venv/bin/callbridge serve   # then open http://127.0.0.1:8000/docs"
    )
    console.print(f"  CALLBRIDGE_DATA_DIR={data_dir} .venv/bin/callbridge worker")
    console.print("  curl -H 'Authorization: Bearer <token>' http://127.0.0.1:8000/api/v1/me")
    console.print(
        f"  (create a token: CALLBRIDGE_DATA_DIR={data_dir} .venv/bin/callbridge token create "
        "--org demo --email admin@demo.example)"
    )


def _callbridge_json(args: list[str], env: dict[str, str], what: str,
                     allow_exit: tuple[int, ...] = ()) -> dict[str, Any]:
    """Run a callbridge CLI command as a user would, with ``--json``; its answer, or a clear error."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "callbridge", *args, "--json"], env=env, capture_output=True, text=True,
        timeout=WAIT_SECONDS * 2,
    )
    if done.returncode != 0 and done.returncode not in allow_exit:
        raise CallbridgeError(f"The demo's {what} failed (exit {done.returncode}): {done.stderr[-400:]}",
                              hint="read the output above and the logs in the data directory")
    answer: dict[str, Any] = json.loads(done.stdout[done.stdout.index("{"):])
    return answer


def _archive(env: dict[str, str], data_dir: Path, steps: list[str]) -> None:
    """Archive the sandbox's last days with the real CLI, then verify the copy against RingCentral."""
    now = SystemClock().now()  # the demo's servers and sandboxes run on the wall clock
    # one explicit window for both: the demo's live calls ended seconds ago, and the sandbox shows
    # them in the call log after 2 s (a plain run stops a minute short of now, for late records)
    window = ["--from", (now - timedelta(days=ARCHIVE_DAYS)).date().isoformat(),
              "--to", (now - timedelta(seconds=5)).isoformat()]
    run = _callbridge_json(["archive", "run", "--org", "demo", *window, "--parquet"], env, "archive run")
    check = _callbridge_json(["archive", "verify", "--org", "demo", *window], env, "archive verify",
                             allow_exit=(4,))  # exit 4: gaps, reported in the step below
    sets = run["datasets"]
    size = sum(d.get("bytes", 0) for d in sets.values())
    steps.append(
        f"archived the last {ARCHIVE_DAYS} days with 'callbridge archive run': "
        f"{sets['calls']['listed']} call records, {sets['messages']['listed']} messages, "
        f"{sets['recordings']['downloaded']} recordings and {sets['attachments']['downloaded']} attachments "
        f"({size // 1024} KiB) into {data_dir / 'archive'}, with a Parquet export; "
        f"{run.get('throttled_429', 0)} 429s; 'callbridge archive verify' re-listed RingCentral: "
        + ("no gap" if check["ok"] else f"{len(check['gaps'])} gaps")
        + f" ({check['objects_checked']} objects re-hashed)"
    )


def _privacy_files(client: httpx.Client, headers: dict[str, str], data_dir: Path, steps: list[str]) -> None:
    """Take what a compliance officer would ask for: the organization's export and a support bundle."""
    export_path = data_dir / "export.json"
    with client.stream("GET", "/api/v1/organization/export", headers=headers) as response:
        response.raise_for_status()
        with export_path.open("wb") as out:
            for chunk in response.iter_bytes():
                out.write(chunk)
    steps.append(f"exported the organization through the API to {export_path} "
                 f"({export_path.stat().st_size // 1024} KiB, no secrets)")
    consent = client.get("/api/v1/support-sessions/consent", headers=headers).json()["consent_text"]
    opened = client.post("/api/v1/support-sessions", headers=headers,
                         json={"consent": True, "consent_text": consent})
    opened.raise_for_status()
    detail = client.get(f"/api/v1/support-sessions/{opened.json()['id']}", headers=headers).json()
    bundle_path = data_dir / "support-bundle.json"
    bundle_path.write_text(json.dumps(detail, indent=2))
    steps.append(f"opened a consented support session; its redacted bundle is in {bundle_path} "
                 f"(deleted from the database after 30 days)")


def _print_logging(table: dict[str, dict[str, int]], notes: list[str], urls: dict[str, str],
                   base: str) -> None:
    from rich.table import Table

    grid = Table(title="Communications logged to the CRM sandboxes")
    grid.add_column("")
    for crm in CRMS:
        grid.add_column(crm, justify="right")
    labels = [("calls", "calls logged"), ("sms", "SMS groups logged"), ("fax", "faxes logged"),
              ("voicemail", "voicemails logged"), ("placeholders", "placeholders created"),
              ("ambiguous", "ambiguous matches waiting"), ("skipped", "skipped by preferences"),
              ("failed", "failed"), ("in_crm", "activities in the CRM"), ("duplicates", "duplicates")]
    for key, label in labels:
        grid.add_row(label, *(str(table[crm][key]) for crm in CRMS))
    console.print(grid, width=100)
    for crm in CRMS:  # one line each, for people and for tests to read
        row = table[crm]
        console.print(f"{crm}: calls logged {row['calls']}, SMS groups {row['sms']}, faxes {row['fax']}, "
                      f"voicemails {row['voicemail']}, placeholders {row['placeholders']}, "
                      f"ambiguous waiting {row['ambiguous']}, duplicates {row['duplicates']}", soft_wrap=True)
    for note in notes:
        console.print(f"note: {note}", soft_wrap=True)
    console.print("Look at:")
    console.print(f"  {base}/docs   (API; GET /api/v1/logging/communications with the token)")
    console.print(f"  {urls['ringcentral']}/_sandbox/state   (RingCentral sandbox: counts, webhooks)")
    console.print(f"  {urls['hubspot']}/_sandbox/objects/calls   (HubSpot calls; also /communications)")
    console.print(f"  {urls['salesforce']}/_sandbox/objects/Task   (Salesforce tasks)")
    console.print("  (the servers stop when the demo exits; the database keeps the logged rows)")
