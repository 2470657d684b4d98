"""The extension directory: read from the sandbox, stored under the normaliser's pseudonyms, the
real id, email and name sealed (nowhere in clear), tolerant of missing emails and time zones."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import inspect, select, text

from callbridge.db.models import DirectoryEntry, Job, SealedSecret
from callbridge.jobs.runner import run_due
from callbridge.pipelines.ingest import platform as ingest_platform
from callbridge.pipelines.ingest.directory import refresh_directory
from callbridge.pipelines.ingest.names import DIRECTORY, RENEW, SWEEP
from callbridge.platforms.ringcentral.directory import (
    SEALED_PURPOSE,
    Extension,
    entries,
    extension_of,
    open_extension,
    time_zone_name,
)
from callbridge.platforms.ringcentral.normalise import message_piece
from callbridge.privacy.vault import KeyRing, Vault
from callbridge.sandbox.ringcentral.generator import seed_extensions
from callbridge.sandbox.ringcentral.models import Extension as SandboxExtension
from tests.factories import make_organization
from tests.platforms.ringcentral.support import connect, open_rc, sandbox, virtual_sleep


# -- parsing (pure) ------------------------------------------------------------------------------
@pytest.mark.parametrize(("record", "expected"), [
    ({"id": 11, "contact": {"email": " Bob@Example.com ", "firstName": "Bob", "lastName": "Rep"},
      "type": "User", "status": "Enabled"},
     Extension("11", "Bob@Example.com", "Bob Rep", "User", "Enabled", None)),
    ({"id": "12", "name": "Support", "type": "Department"},  # no contact at all
     Extension("12", None, "Support", "Department", None, None)),
    ({"id": 13, "contact": {"email": ""}, "name": "  "}, Extension("13")),  # blanks are unknown
    ({"id": 14, "contact": "not an object", "regionalSettings": {"timezone": {"name": "Mars/Olympus"}}},
     Extension("14")),  # an unknown zone is no zone
    ({"id": 15, "regionalSettings": {"timezone": {"name": "America/Los_Angeles"}}},
     Extension("15", time_zone="America/Los_Angeles")),
])
def test_extension_records_parse_tolerantly(record, expected):
    assert extension_of(record) == expected


@pytest.mark.parametrize("record", [None, [], {}, {"id": None}, {"id": ""}, {"name": "no id"}])
def test_a_record_without_an_id_is_no_extension(record):
    assert extension_of(record) is None


@pytest.mark.parametrize("regional", [None, "x", {}, {"timezone": None}, {"timezone": {"name": 5}},
                                      {"timezone": {"name": "../../etc/passwd"}}])
def test_missing_or_strange_time_zones_are_none(regional):
    assert time_zone_name({"regionalSettings": regional}) is None


# -- against the sandbox -------------------------------------------------------------------------
@pytest.fixture
def rc(clock):
    return sandbox(clock)


@pytest.fixture
def org(runtime, rc):
    found = make_organization(runtime, "acme")
    connect(runtime, found.id, rc)
    return found


def _seed(rc, clock, count=4):
    state = rc.state.sandbox
    exts = seed_extensions(state, count, seed=5, start=clock.now())
    return state, exts


def _refresh(runtime, org_id, rc, clock):
    async def go():
        session = open_rc(runtime, org_id, rc, clock)
        try:
            return await refresh_directory(runtime, org_id, session)
        finally:
            await session.aclose()

    return asyncio.run(go())


def _everything_in_clear(runtime) -> str:
    out = []
    with runtime.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


def test_the_directory_joins_the_normalisers_pseudonyms_and_keeps_no_real_value_in_clear(runtime, clock, rc,
                                                                                          org):
    _, exts = _seed(rc, clock)
    bob = exts[1]
    bob.email = "Bob.Rep@Example.COM"  # as RingCentral may spell it
    change = _refresh(runtime, org.id, rc, clock)
    assert (change.added, change.updated, change.removed) == (4, 0, 0)

    record = {"id": 1, "type": "SMS", "creationTime": "2026-01-05T09:00:00Z", "direction": "Inbound",
              "from": {"phoneNumber": "+14155550123"}, "to": [{"phoneNumber": bob.phone_number}]}
    with runtime.db.tenant(org.id) as session:
        rows = {r.ref: r for r in entries(session)}
        piece = message_piece(record, lambda i: runtime.pseudonyms.pseudonym(session, "extension", i),
                              owner_id=str(bob.id), owner_zone=ingest_platform.zone("UTC"))
        assert piece is not None and piece.owner_ref in rows  # owner_ref joins the directory
        row = rows[piece.owner_ref]
        assert (row.time_zone, row.extension_type, row.status, row.has_email) == (
            bob.timezone, "User", "Enabled", True)
        opened = open_extension(session, runtime.vault, row)
        assert (opened.id, opened.email, opened.name) == (str(bob.id), "Bob.Rep@Example.COM", bob.name)
        assert {r.time_zone for r in rows.values()} == {e.timezone for e in exts}
    dump = _everything_in_clear(runtime)
    for ext in exts:
        assert ext.email.lower() not in dump.lower() and ext.name not in dump
        assert str(ext.id) not in dump  # no real extension id in any column


def test_missing_email_and_time_zone_are_tolerated_and_a_known_zone_is_kept(runtime, clock, rc, org):
    state, exts = _seed(rc, clock, count=3)
    _refresh(runtime, org.id, rc, clock)
    known_zone = exts[1].timezone
    exts[1].email = ""
    exts[1].timezone = ""  # the platform shows no zone this time
    state.add_extension(SandboxExtension(
        id=state.ids.numeric(), number="301", first_name="Front", last_name="Desk", email="",
        phone_number="+16505559999", creation_time=clock.now(), type="Department", timezone=""))
    change = _refresh(runtime, org.id, rc, clock)
    assert (change.added, change.updated, change.without_email) == (1, 3, 2)
    with runtime.db.tenant(org.id) as session:
        rows = entries(session)
        by_id = {open_extension(session, runtime.vault, r).id: r for r in rows}
    assert by_id[str(exts[1].id)].has_email is False
    assert by_id[str(exts[1].id)].time_zone == known_zone, "a zone once known is kept"
    desk = next(r for r in rows if r.extension_type == "Department")
    assert desk.time_zone is None and desk.has_email is False


def test_an_extension_gone_from_the_platform_leaves_with_its_sealed_values(runtime, clock, rc, org):
    state, exts = _seed(rc, clock, count=3)
    with runtime.db.tenant(org.id) as session:  # a zone cached the way callbridge did before the directory
        runtime.vault.put(session, SEALED_PURPOSE, "tz:ps1_0123456789abcdef0123456789abcdef", "Europe/Paris")
    _refresh(runtime, org.id, rc, clock)
    with runtime.db.tenant(org.id) as session:
        gone_ref = runtime.pseudonyms.pseudonym(session, "extension", str(exts[2].id))
    with state.lock:
        del state.extensions[exts[2].id]
    change = _refresh(runtime, org.id, rc, clock)
    assert change.removed == 1
    with runtime.db.tenant(org.id) as session:
        assert gone_ref not in {r.ref for r in entries(session)} and len(entries(session)) == 2
        names = set(session.scalars(select(SealedSecret.name).where(SealedSecret.purpose == SEALED_PURPOSE)))
    assert len(names) == 2 and not any(gone_ref in n for n in names)


def test_rotating_the_key_ring_reseals_the_directory_with_every_other_secret(runtime, clock, rc, org):
    _, exts = _seed(rc, clock, count=2)
    _refresh(runtime, org.id, rc, clock)
    old = runtime.vault.keyring
    new_key = KeyRing.generate_key("k-new")
    rotated = Vault(old.with_new_primary(new_key), runtime.clock)
    with runtime.db.tenant(org.id) as session:
        assert rotated.reseal_all(session) >= 2
    only_new = Vault(KeyRing([new_key]), runtime.clock)  # the old keys are dropped after a rotation
    with runtime.db.tenant(org.id) as session:
        emails = {open_extension(session, only_new, r).email for r in entries(session)}
    assert emails == {e.email for e in exts}


def test_another_organization_sees_no_directory_row(runtime, clock, rc, org):
    _seed(rc, clock, count=2)
    _refresh(runtime, org.id, rc, clock)
    other = make_organization(runtime, "other")
    with runtime.db.tenant(other.id) as session:
        assert entries(session) == []
        assert session.scalars(select(DirectoryEntry)).all() == []


# -- the job: on connect, daily -----------------------------------------------------------------
@pytest.fixture
def in_process(runtime, clock, rc, monkeypatch):
    real_open = ingest_platform.open_ringcentral

    def open_in_process(rt, org_id, **kw):
        kw["transport"] = httpx.ASGITransport(app=rc)
        kw["sleep"] = virtual_sleep(clock)
        return real_open(rt, org_id, **kw)

    monkeypatch.setattr(ingest_platform, "open_ringcentral", open_in_process)


def _jobs(runtime, org_id, kind):
    with runtime.db.tenant(org_id) as session:
        return list(session.scalars(select(Job.idempotency_key).where(Job.kind == kind)))


def test_turning_ingest_on_refreshes_the_directory_then_the_sweep_once_a_day(runtime, clock, rc, org,
                                                                              in_process):
    _seed(rc, clock, count=3)
    runtime.submit(org.id, RENEW, {"connection": "default"}, key="turn-on")  # polling-only here
    for _ in range(3):
        run_due(runtime, worker_id="w")
    with runtime.db.tenant(org.id) as session:
        assert len(entries(session)) == 3
    assert len(_jobs(runtime, org.id, DIRECTORY)) == 1

    for _ in range(3):  # sweeps within the same day offer the same refresh
        runtime.submit(None, SWEEP, {}, key=f"sweep-{clock.now().isoformat()}")
        run_due(runtime, worker_id="w")
        clock.advance(timedelta(minutes=5))
    assert len(_jobs(runtime, org.id, DIRECTORY)) == 1
    clock.advance(timedelta(days=1))
    runtime.submit(None, SWEEP, {}, key="sweep-next-day")
    run_due(runtime, worker_id="w")
    run_due(runtime, worker_id="w")
    assert len(_jobs(runtime, org.id, DIRECTORY)) == 2
