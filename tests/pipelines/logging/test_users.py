"""Server-side logging: an admin connects the CRM once; each communication is logged as its
owner's CRM user, matched by email through the extension directory. Unmapped users are logged
without an owner and counted in the connection's health; a user's own connection takes precedence."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from callbridge.connectors.base import CrmUser
from callbridge.db.models import CrmActivity, CrmConnection
from callbridge.pipelines.ingest.names import USERS
from callbridge.pipelines.logging.connections import create_connection
from callbridge.pipelines.logging.users import map_by_email
from callbridge.platforms.ringcentral.directory import Extension, store_extension
from tests.pipelines.logging.support import CONNECT, HUBSPOT_SPARE_TOKEN, T0, call, make_world, sms_day

CRMS = ["hubspot", "salesforce"]


# -- matching (pure) -------------------------------------------------------------------------------
def test_emails_match_ignoring_case_and_spaces_and_only_when_one_crm_user_has_them():
    users = [CrmUser("1", "Bob@Callbridge.test"), CrmUser("2", "twin@x.test"), CrmUser("3", "TWIN@x.test "),
             CrmUser("4", ""), CrmUser("", "ghost@x.test")]
    people = [("ref-bob", " bob@CALLBRIDGE.test"), ("ref-twin", "twin@x.test"), ("ref-none", None),
              ("ref-empty", ""), ("ref-ghost", "ghost@x.test"), ("ref-stranger", "nobody@x.test")]
    assert map_by_email(people, users) == {"ref-bob": "1"}  # twins are ambiguous: nobody guesses
    assert map_by_email(people, []) == {}


# -- through the pipeline ------------------------------------------------------------------------
def add_people(runtime, org_id: str, people: list[tuple[str, str | None, str]]) -> dict[str, str]:
    """Directory rows as a refresh stores them: (extension id, email, type) → their pseudonyms."""
    refs = {}
    with runtime.db.tenant(org_id) as session:
        for ext_id, email, ext_type in people:
            row = store_extension(
                session, runtime.vault, lambda i: runtime.pseudonyms.pseudonym(session, "extension", i),
                "default", Extension(ext_id, email, f"Person {ext_id}", ext_type, "Enabled",
                                     "America/Los_Angeles"), runtime.clock.now())
            refs[ext_id] = row.ref
    return refs


def crm_user(world, email: str) -> str:
    if world.crm == "hubspot":
        return next(o["id"] for o in world.objects("owners") if o["email"] == email)
    return next(u["Id"] for u in world.objects("User") if u["Email"] == email)


def owner_of(world, activity: dict[str, Any]) -> str | None:
    if world.crm == "hubspot":
        return (activity.get("properties") or {}).get("hubspot_owner_id") or None
    return activity.get("OwnerId")


def map_users(world) -> None:
    world.workers += 1  # a new key each time: every call maps again
    world.runtime.submit(world.org.id, USERS, {}, key=f"map-{world.workers}")
    world.settle()


def health(world) -> dict[str, Any]:
    from callbridge.web.app import create_app

    with TestClient(create_app(world.runtime)) as client:
        answer = client.get("/api/v1/logging/connections", headers=world.org.auth)
    assert answer.status_code == 200, answer.text
    return next(c for c in answer.json() if c["id"] == world.connection_id)


@pytest.mark.parametrize("crm", CRMS)
def test_communications_are_logged_as_their_owners_crm_user_and_unmapped_ones_are_counted(runtime, org, crm):
    world = make_world(runtime, org, crm)
    refs = add_people(runtime, org.id, [("101", "BOB@callbridge.test", "User"),
                                        ("102", "stranger@elsewhere.test", "User"),
                                        ("103", None, "User"),
                                        ("104", "carol@callbridge.test", "Department")])
    map_users(world)
    bob, carol = crm_user(world, "bob@callbridge.test"), crm_user(world, "carol@callbridge.test")
    stored = world.connection().user_map
    assert stored == {refs["101"]: bob, refs["104"]: carol}
    assert "@" not in json.dumps(stored), "no email is cached with the map"
    state = health(world)
    # active people not mapped: the stranger and the one without email (a Department is no person)
    assert (state["mapped_users"], state["unmapped_users"]) == (2, 2) and state["users_mapped_at"]

    world.store(call("s-bob", owner_ref=refs["101"]))
    world.store(call("s-stranger", owner_ref=refs["102"]))
    world.store(replace(sms_day("conv-bob", T0, ["m-1"]), owner_ref=refs["101"]))
    world.settle()
    assert world.dead() == []
    by_key = {r.communication_key: r for r in world.rows()}
    calls = {a.get("id") or a.get("Id"): a for a in world.activities("call")}
    assert owner_of(world, calls[by_key["ringcentral:call:s-bob"].crm_activity_id]) == bob
    stranger = owner_of(world, calls[by_key["ringcentral:call:s-stranger"].crm_activity_id])
    admin = crm_user(world, "alice@callbridge.test")
    assert stranger in (None, admin), "unmapped: no owner given (the CRM's default applies)"
    [sms] = [a for a in world.activities("message") if "m-1" in json.dumps(a)]
    assert owner_of(world, sms) == bob


@pytest.mark.parametrize("crm", CRMS)
def test_a_new_crm_user_is_picked_up_at_the_next_refresh_and_a_later_update_sets_the_owner(runtime, org,
                                                                                            crm):
    world = make_world(runtime, org, crm)
    refs = add_people(runtime, org.id, [("201", "dave@callbridge.test", "User")])
    map_users(world)
    assert world.connection().user_map == {} and health(world)["unmapped_users"] == 1
    world.store(call("s-dave", owner_ref=refs["201"], final=False, result=None, duration=None))
    world.settle()
    [first] = world.activities("call")
    assert owner_of(world, first) in (None, crm_user(world, "alice@callbridge.test"))

    add_people(runtime, org.id, [("201", "bob@callbridge.test", "User")])  # the directory changed
    map_users(world)
    assert health(world)["unmapped_users"] == 0
    world.store(call("s-dave", owner_ref=refs["201"], sequence=5))  # the call ends: an update
    world.settle()
    [after] = world.activities("call")
    assert owner_of(world, after) == crm_user(world, "bob@callbridge.test")


def test_a_listing_the_crm_refuses_keeps_the_last_map_and_tells_the_admin(runtime, org):
    world = make_world(runtime, org, "hubspot")
    refs = add_people(runtime, org.id, [("301", "bob@callbridge.test", "User")])
    map_users(world)
    good = world.connection().user_map
    assert good == {refs["301"]: crm_user(world, "bob@callbridge.test")}
    from tests.pipelines.logging.support import HUBSPOT_TOKEN

    tokens = world.control("GET", "/tokens")["tokens"]
    scopes = next(t["scopes"] for t in tokens if t["token"] == HUBSPOT_TOKEN)
    world.control("POST", "/faults", {"set_scopes": {"token": HUBSPOT_TOKEN, "scopes": [
        s for s in scopes if "owners" not in s]}})
    map_users(world)
    connection = world.connection()
    assert connection.user_map == good, "a refused listing must not unmap everybody"
    assert "Users could not be mapped" in (connection.last_error or "") and "owners" in connection.last_error
    assert world.dead() == []


def test_an_expired_crm_token_pauses_the_connection_while_mapping(runtime, org):
    world = make_world(runtime, org, "hubspot")
    add_people(runtime, org.id, [("401", "bob@callbridge.test", "User")])
    from tests.pipelines.logging.support import HUBSPOT_TOKEN

    world.control("POST", "/faults", {"revoke_token": HUBSPOT_TOKEN})
    map_users(world)
    connection = world.connection()
    assert connection.status.value == "paused" and "mapped" in (connection.paused_reason or "")


# -- per-user connections take precedence --------------------------------------------------------
def _personal(runtime, org, owner_ref: str) -> str:
    options, _ = CONNECT["hubspot"]
    connection_id = create_connection(runtime, org.id, "hubspot", options=options, name="hubspot-own",
                                      credentials={"api_key:org": {"api_key": HUBSPOT_SPARE_TOKEN}},
                                      actor="test")
    with runtime.db.tenant(org.id) as session:
        session.get_one(CrmConnection, connection_id).owner_ref = owner_ref
    return connection_id


def test_a_users_own_connection_takes_precedence_over_the_org_wide_one(runtime, org):
    world = make_world(runtime, org, "hubspot")
    refs = add_people(runtime, org.id, [("501", "bob@callbridge.test", "User"),
                                        ("502", "carol@callbridge.test", "User")])
    own = _personal(runtime, org, refs["501"])
    map_users(world)
    world.store(call("s-own", owner_ref=refs["501"]))
    world.store(call("s-other", owner_ref=refs["502"]))
    world.settle()
    rows = {(r.communication_key, r.connection_id) for r in world.rows()}
    assert rows == {("ringcentral:call:s-own", own), ("ringcentral:call:s-other", world.connection_id)}
    assert len(world.activities("call")) == 2 and world.dead() == []


def test_a_communication_logged_org_wide_stays_there_when_its_user_connects_later(runtime, org):
    world = make_world(runtime, org, "hubspot")
    refs = add_people(runtime, org.id, [("601", "bob@callbridge.test", "User")])
    world.store(call("s-1", owner_ref=refs["601"], final=False, result=None, duration=None))
    world.settle()
    _personal(runtime, org, refs["601"])  # the user connects personally while the call goes on
    world.store(call("s-1", owner_ref=refs["601"], sequence=7, recording="rec-1"))
    world.store(call("s-2", owner_ref=refs["601"]))
    world.settle()
    with runtime.db.tenant(org.id) as session:
        used = dict(session.execute(select(CrmActivity.communication_key, CrmActivity.connection_id)).all())
    assert used["ringcentral:call:s-1"] == world.connection_id, "no second activity through the new one"
    assert used["ringcentral:call:s-2"] != world.connection_id
    first_id = world.row("ringcentral:call:s-1").crm_activity_id
    [first] = [a for a in world.activities("call") if a["id"] == first_id]
    assert first["properties"]["hs_call_duration"] == "65000"  # the update reached the first activity
    assert len(world.activities("call")) == 2
