"""The CLI as a person runs it: bad input (acceptance 6) and SIGKILL mid-download (acceptance 2),
with real processes against the sandbox served by uvicorn."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callbridge.clock import VirtualClock
from callbridge.db.models import ArchivedCall, ArchivedObject
from callbridge.sandbox.ringcentral.config import RateGroupLimit
from callbridge.sandbox.ringcentral.media import recording_blob
from callbridge.sandbox.ringcentral.server import running_server
from tests.conftest import TEST_KEYS
from tests.factories import make_organization
from tests.platforms.ringcentral.support import connect, sandbox, seed


def _env(runtime, storage: str, **extra: str) -> dict[str, str]:
    s = runtime.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLBRIDGE_")}
    env.update(
        CALLBRIDGE_DATABASE_URL=s.db_url,
        CALLBRIDGE_JOBS_URL=s.broker_url,
        CALLBRIDGE_JOBS_NAME=s.jobs_name,
        CALLBRIDGE_KEYS=TEST_KEYS,
        CALLBRIDGE_DATA_DIR=str(s.data_dir),
        CALLBRIDGE_ARCHIVE_STORAGE_URL=storage,
        CALLBRIDGE_CONFIG_FILE="/nonexistent.toml",
        CALLBRIDGE_LOG_LEVEL="WARNING",
        **extra,
    )
    if s.ratelimit_url:
        env["CALLBRIDGE_RATELIMIT_URL"] = s.ratelimit_url
    return env


def _cli(env, *args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "callbridge", "archive", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("args", "storage", "expect"),
    [
        (["--dataset", "bogus"], "ok", "Unknown dataset 'bogus'"),
        (["--from", "2026-01-04", "--to", "2026-01-02"], "ok", "is not before --to"),
        (["--from", "yesterday"], "ok", "is not a date"),
        ([], "file", "is not writable"),
        ([], "s3", "is not writable"),
    ],
)
def test_bad_input_exits_non_zero_and_archives_nothing(runtime, clock, tmp_path, args, storage, expect):
    app = sandbox(clock)
    seed(app, clock, days=2)
    org = make_organization(runtime, "acme")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    extra = {}
    url = str(tmp_path / "archive")
    if storage == "file":
        url = str(blocker / "archive")
    elif storage == "s3":
        url = "s3://no-such-bucket/archive"
        extra = {
            "CALLBRIDGE_ARCHIVE_S3_ENDPOINT_URL": "http://127.0.0.1:9",
            "CALLBRIDGE_ALLOW_PRIVATE_DESTINATIONS": "true",  # past the SSRF guard, to the probe
            "CALLBRIDGE_ARCHIVE_S3_KEY": "bad",
            "CALLBRIDGE_ARCHIVE_S3_SECRET": "bad-secret",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
        }
    with running_server(app) as base:
        connect(runtime, org.id, app, base=base)
        done = _cli(_env(runtime, url, **extra), "run", "--org", "acme", *args)
    assert done.returncode != 0
    assert expect in " ".join((done.stderr + done.stdout).split())
    assert "bad-secret" not in done.stderr + done.stdout
    assert [r for r in app.state.sandbox.request_log if r["path"].startswith("/restapi")] == []
    with runtime.db.tenant(org.id) as s:
        assert s.scalar(select(func.count()).select_from(ArchivedCall)) == 0
    assert not (tmp_path / "archive").exists() or not any((tmp_path / "archive").rglob("*.mp3"))


def _parts(archive: Path) -> dict[Path, int]:
    """The non-empty ``.part`` files and their sizes (a file may vanish while we look)."""
    found = {}
    for part in archive.rglob("*.part") if archive.exists() else []:
        try:
            size = part.stat().st_size
        except FileNotFoundError:
            continue
        if size:
            found[part] = size
    return found


def test_sigkill_mid_download_resumes_without_missing_duplicate_or_truncated_objects(runtime, tmp_path):
    clock = VirtualClock()
    app = sandbox(clock, recording_bytes=6_000_000)
    groups = (
        app.state.sandbox.config.rate_limits.groups
    )  # real time here: generous limits, learnt from headers
    for name in groups:
        groups[name] = RateGroupLimit(limit=5000)
    seed(app, clock, days=4, calls_per_day=6, recorded_share=0.6)
    org = make_organization(runtime, "acme")
    archive = tmp_path / "archive"
    window = ["--from", (clock.now() - timedelta(days=5)).isoformat(), "--to", clock.now().isoformat()]
    with running_server(app) as base:
        connect(runtime, org.id, app, base=base)
        env = _env(runtime, str(archive))
        args = [sys.executable, "-m", "callbridge", "archive", "run", "--org", "acme", "--json", *window]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        killed_mid_download = False
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            stored = [p for p in archive.rglob("*.mp3")] if archive.exists() else []
            if stored and _parts(archive):
                proc.send_signal(signal.SIGKILL)
                killed_mid_download = True
                break
            time.sleep(0.001)
        proc.wait(timeout=30)
        assert killed_mid_download, "the run finished before it could be killed"
        left = _parts(archive)  # what reached the disk before the kill
        assert len(left) == 1
        ((part, part_size),) = left.items()
        recording_id = part.name.split(".")[0].rsplit("-", 1)[1]
        # the sandbox logs a request when its response ends: wait for the killed run's download
        # of that recording to be logged, so it is not mistaken for one of the rerun's requests
        content = f"/recording/{recording_id}/content"
        settle = time.monotonic() + 10
        while time.monotonic() < settle and not any(
                content in r["path"] for r in list(app.state.sandbox.request_log)):
            time.sleep(0.01)
        app.state.sandbox.request_log.clear()
        done = _cli(env, "run", "--org", "acme", "--json", *window)
        assert done.returncode == 0, done.stderr
        # the rerun continued the part: its first request for that recording asked from its size on
        resumed = [
            r for r in app.state.sandbox.request_log if content in r["path"]
        ]
        assert [(r["range"], r["status"]) for r in resumed] == [(f"bytes={part_size}-", 206)]
        verify = _cli(env, "verify", "--org", "acme", "--json", "--from", window[1], "--to", window[3])
        assert verify.returncode == 0, verify.stdout + verify.stderr
    state = app.state.sandbox
    with runtime.db.tenant(org.id) as s:
        objects = list(s.scalars(select(ArchivedObject).where(ArchivedObject.kind == "recording")))
    assert objects and all(o.status == "stored" for o in objects)
    files = sorted(archive.rglob("*.mp3"))
    assert len(files) == len(objects) == len({o.source_id for o in objects})
    assert not list(archive.rglob("*.part"))
    for obj in objects:
        rec = state.recordings[obj.source_id]
        blob = recording_blob(rec.id, rec.content_type, rec.duration, state.config.recording_bytes)
        digest = hashlib.sha256()
        for chunk in blob.iter_range(0, blob.size - 1):
            digest.update(chunk)
        assert obj.size == blob.size == Path(archive / obj.path).stat().st_size
        assert obj.sha256 == digest.hexdigest()
