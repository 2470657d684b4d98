"""The extension directory under the privacy rules: exported without its sealed values, nothing
of it in clear anywhere, and gone (seals included) when its organization is deleted."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import inspect, select, text

from callbridge.db.models import SealedSecret
from callbridge.jobs.runner import run_one
from callbridge.platforms.ringcentral.directory import SEALED_PURPOSE
from callbridge.privacy.export import stream_export
from callbridge.privacy.lifecycle import request_deletion
from callbridge.tenancy import authenticate
from tests.factories import make_organization
from tests.privacy.data import fill
from tests.web import objects


def _dump(runtime) -> str:
    rows = []
    with runtime.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            rows += [" ".join(str(v) for v in row) for row in conn.execute(text(f'SELECT * FROM "{table}"'))]
    return "\n".join(rows)


def test_export_holds_the_directory_rows_but_no_sealed_value(runtime):
    alpha = make_organization(runtime, "alpha")
    objects.credential(runtime, alpha)
    fill(runtime, alpha)
    document = json.loads(b"".join(stream_export(runtime, alpha.id)))
    [entry] = document["tables"]["extension_directory"]
    assert entry["time_zone"] == "America/Los_Angeles" and entry["ref"].startswith("ps1_")
    assert entry["has_email"] is True and entry["status"] == "Enabled"
    [chosen] = document["tables"]["chosen_conversations"]
    assert chosen["phone_ref"].startswith("ps1_")
    exported = json.dumps(document)
    for secret in ("rep@alpha.example", "Rep of alpha", "4711-alpha", "6505550177"):
        assert secret not in exported
    for secret in ("rep@alpha.example", "Rep of alpha", "4711-alpha"):
        assert secret not in _dump(runtime), "a sealed directory value is in the database in clear"


def test_deleting_the_organization_removes_its_directory_and_its_seals(runtime):
    doomed, kept = make_organization(runtime, "doomed"), make_organization(runtime, "kept")
    for org in (doomed, kept):
        objects.credential(runtime, org)
        fill(runtime, org)
    request = request_deletion(runtime, authenticate(runtime.db, runtime.clock, doomed.token))
    runtime.clock.advance(timedelta(days=31))
    run_one(runtime, request.job_id, worker_id="w")
    with runtime.db.tenant(kept.id) as session:
        assert session.scalars(select(SealedSecret.id).where(SealedSecret.purpose == SEALED_PURPOSE)).all()
    with runtime.db.engine.connect() as conn:
        for table in ("extension_directory", "chosen_conversations", "sealed_secrets"):
            rows = conn.execute(text(f'SELECT organization_id FROM "{table}"')).scalars().all()
            assert doomed.id not in rows and kept.id in rows, table
