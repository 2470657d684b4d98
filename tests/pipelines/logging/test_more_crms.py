"""The logging pipeline beyond HubSpot and Salesforce: Pipedrive (API token), Clio (OAuth) and a
declarative connector (the generic REST manifest), each against its own sandbox.

The same promises as acceptance 1, 3, 4 and 5: pieces delivered out of order and twice give one
activity with the final figures; a person's edits survive our later update; five SMS of a
conversation-day share one activity and the next day gets its own.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from callbridge.connectors.conformance import KitSession
from callbridge.connectors.credentials import VaultCredentialStore
from callbridge.connectors.matching import MatchCache
from callbridge.connectors.pipedrive.kit import ADMIN_TOKEN as PIPEDRIVE_TOKEN
from callbridge.connectors.proxy.builtin import GENERIC_KEY
from callbridge.connectors.registry import get_connector as registered_connector
from callbridge.db.models import ActivityStatus, CrmConnection
from callbridge.pipelines.logging.connections import Wiring, create_connection, set_wiring
from callbridge.sandbox.crm import SANDBOXES
from tests.pipelines.logging.support import (
    ALAN,
    BASE_URL,
    SANDBOX_CLIENT,
    T0,
    World,
    call,
    sms_day,
)

CRMS = ["pipedrive", "clio", "generic_rest"]
SANDBOX = {"pipedrive": "pipedrive", "clio": "clio", "generic_rest": "generic"}
SUBJECT = {"pipedrive": "subject", "clio": "subject", "generic_rest": "subject"}


def _world(runtime, org, crm: str) -> World:
    clock = runtime.clock
    clock.set(T0)
    app = SANDBOXES[SANDBOX[crm]](clock=clock)
    transport = httpx.ASGITransport(app=app)

    async def sleep(seconds: float) -> None:
        clock.advance(max(0.0, seconds))

    set_wiring(runtime, Wiring(transport=transport, sleep=sleep, max_retries=0, match_cache=MatchCache(clock),
                               oauth_clients={crm: SANDBOX_CLIENT}))
    world = World(runtime, org, crm, app, transport)
    if crm == "pipedrive":
        world.connection_id = create_connection(
            runtime, org.id, crm, options={"auth": "api_key", "base_url": BASE_URL},
            credentials={"api_key:org": {"api_key": PIPEDRIVE_TOKEN}}, actor="test")
    elif crm == "generic_rest":
        world.connection_id = create_connection(
            runtime, org.id, crm, options={"base_url": BASE_URL},
            credentials={"api_key:org": {"api_key": GENERIC_KEY}}, actor="test")
    else:  # Clio has OAuth only: the authorization-code dance against its sandbox, tokens sealed
        options = {"auth": "oauth", "base_url": BASE_URL}
        world.connection_id = create_connection(runtime, org.id, crm, options=options, credentials={},
                                                actor="test")
        with runtime.db.tenant(org.id) as session:
            purpose = session.get_one(CrmConnection, world.connection_id).credential_purpose
        registered = registered_connector(crm)

        async def dance() -> None:
            kit = KitSession(registered, transport, BASE_URL, clock, registered.kit_profile)
            try:
                connector = kit.build(options, VaultCredentialStore(runtime, org.id, purpose))
                await kit.oauth_connect(connector)
                await connector.aclose()
            finally:
                await kit.aclose()

        asyncio.run(dance())
    return world


def _activities(world: World, kind: str = "call") -> list[dict]:
    profile = registered_connector(world.crm).kit_profile
    objects = world.objects(profile.activity_objects[kind])
    return [o for o in objects if not o.get("deleted") and o.get("active_flag", True) is not False]


def _body(world: World, record: dict, kind: str = "call") -> str:
    return str(record.get(registered_connector(world.crm).kit_profile.body_fields[kind]) or "")


@pytest.fixture(params=CRMS)
def world(request, runtime, org) -> World:
    return _world(runtime, org, request.param)


def test_out_of_order_duplicates_by_two_workers_make_one_activity_with_the_final_figures(world):
    world.store(call("x-1", sequence=3, duration=185, result="Accepted", recording="rec-9"))
    world.store(call("x-1", sequence=1, duration=None, result=None, final=False))
    world.store(call("x-1", sequence=3, duration=185, result="Accepted", recording="rec-9"))  # again
    world.run(rounds=2)  # two workers, one after the other, on the same due jobs
    world.settle()
    [activity] = _activities(world)
    row = world.row("ringcentral:call:x-1")
    assert row.status is ActivityStatus.created and row.crm_activity_id
    assert row.contact_id  # on Alan Turing, the one contact with that number
    body = _body(world, activity)
    assert "3 min 5 s" in body and "rec-9" in body
    assert world.dead() == []


def test_a_persons_edits_survive_the_recording_arriving(world):
    world.store(call("x-2"))
    world.settle()
    row = world.row("ringcentral:call:x-2")
    [before] = _activities(world)
    note = "Prefers a call back on Tuesdays. (typed by a person)"
    object_type = registered_connector(world.crm).kit_profile.activity_objects["call"]
    body_field = registered_connector(world.crm).kit_profile.body_fields["call"]
    edited = {SUBJECT[world.crm]: "Retainer call (edited)", body_field: f"{_body(world, before)}\n\n{note}"}
    world.control("POST", f"/edit/{object_type}/{row.crm_activity_id}", edited)
    assert _activities(world)[0][SUBJECT[world.crm]] == "Retainer call (edited)"  # the premise
    assert before[SUBJECT[world.crm]] != "Retainer call (edited)"

    world.store(call("x-2", sequence=3, duration=300, recording="rec-77"))
    world.settle()
    [after] = _activities(world)
    assert after[SUBJECT[world.crm]] == "Retainer call (edited)"  # theirs
    body = _body(world, after)
    assert note in body  # theirs
    assert "rec-77" in body and "5 min 0 s" in body  # ours
    assert world.dead() == []


def test_five_sms_of_a_day_share_one_activity_and_the_next_day_gets_its_own(world):
    ids = [f"m-{n}" for n in range(1, 6)]
    for n in range(1, 6):  # each message merges into the conversation-day as it arrives
        world.store(sms_day("conv-1", T0, ids[:n], number=ALAN))
        world.run()
    world.settle()
    first = _activities(world, "message")
    assert len(first) == 1, first
    assert world.row(f"ringcentral:sms:conv-1:{T0.date().isoformat()}").status is ActivityStatus.created
    assert all(i in _body(world, first[0], "message") for i in ids)

    world.store(sms_day("conv-1", T0 + timedelta(days=1), ["m-6"], number=ALAN))
    world.settle()
    assert len(_activities(world, "message")) == 2
    assert world.dead() == []
