"""Connecting Zoom's webhook side: the secret token sealed, one endpoint per organization, the CLI."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from callbridge.db.models import AuditEntry, Job, SealedSecret, WebhookSubscription
from callbridge.errors import InvalidInput
from callbridge.platforms.zoom.connection import OAUTH, PURPOSE, WEBHOOK_SECRET, connect_zoom
from tests.factories import make_organization
from tests.platforms.zoom.support import OTHER_SECRET, SECRET


def _connect(runtime, org_id, secret=SECRET, **kw):
    return connect_zoom(runtime.db, runtime.vault, runtime.clock, org_id, secret_token=secret,
                        public_url=kw.pop("public_url", "https://cb.example.com"), actor="test", **kw)


def _rows(runtime, org_id, model, *where):
    with runtime.db.tenant(org_id) as s:
        rows = list(s.scalars(select(model).where(*where)))
        s.expunge_all()
        return rows


def test_connect_seals_the_secret_and_gives_an_endpoint_url(runtime):
    org = make_organization(runtime, "alpha")
    endpoint = _connect(runtime, org.id, client_id="cid", client_secret="csecret-xyz", account_id="acc1")
    assert endpoint.created
    assert endpoint.address == f"https://cb.example.com/webhooks/zoom/{endpoint.route_key}"
    assert len(endpoint.route_key) >= 32
    [row] = _rows(runtime, org.id, WebhookSubscription)
    assert (row.platform, row.connection, row.status) == ("zoom", "zoom", "active")
    with runtime.db.tenant(org.id) as s:
        assert runtime.vault.get_text(s, PURPOSE, WEBHOOK_SECRET) == SECRET
        assert json.loads(runtime.vault.get_text(s, PURPOSE, OAUTH)) == {
            "account_id": "acc1", "client_id": "cid", "client_secret": "csecret-xyz"}
    for sealed in _rows(runtime, org.id, SealedSecret):
        assert SECRET.encode() not in sealed.ciphertext and b"csecret-xyz" not in sealed.ciphertext
    [audit] = _rows(runtime, org.id, AuditEntry, AuditEntry.action == "zoom.connected")
    assert audit.object_id == row.id and audit.details["credentials"] == [WEBHOOK_SECRET, OAUTH]
    assert SECRET not in json.dumps(audit.details)


def test_reconnect_keeps_the_address_replaces_the_secret_and_turns_the_endpoint_on(runtime):
    org = make_organization(runtime, "alpha")
    first = _connect(runtime, org.id)
    with runtime.db.tenant(org.id) as s:
        s.get_one(WebhookSubscription, first.id).status = "off"
    again = _connect(runtime, org.id, secret=OTHER_SECRET)
    assert not again.created and again.route_key == first.route_key
    [row] = _rows(runtime, org.id, WebhookSubscription)
    assert row.status == "active" and row.last_error is None
    with runtime.db.tenant(org.id) as s:
        assert runtime.vault.get_text(s, PURPOSE, WEBHOOK_SECRET) == OTHER_SECRET
    [audit] = _rows(runtime, org.id, AuditEntry, AuditEntry.action == "zoom.reconnected")
    assert audit.details["previous_status"] == "off"


def test_without_a_public_url_the_address_is_the_path(runtime):
    org = make_organization(runtime, "alpha")
    endpoint = _connect(runtime, org.id, public_url=None)
    assert endpoint.address == f"/webhooks/zoom/{endpoint.route_key}" and not endpoint.has_public_url


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"secret": "  "}, "--secret-token-env"),
        ({"secret": "two words"}, "--secret-token-env"),
        ({"client_id": "cid"}, "client_secret"),
        ({"client_id": "cid", "client_secret": "s"}, "account_id"),
    ],
)
def test_bad_input_is_refused_without_echoing_secrets_and_stores_nothing(runtime, kw, field):
    org = make_organization(runtime, "alpha")
    with pytest.raises(InvalidInput) as caught:
        _connect(runtime, org.id, **kw)
    assert caught.value.field == field
    assert "two words" not in str(caught.value)
    assert _rows(runtime, org.id, WebhookSubscription) == []
    assert _rows(runtime, org.id, SealedSecret, SealedSecret.purpose == PURPOSE) == []


@pytest.fixture
def cli_env(cli_env, monkeypatch):
    """The shared CLI environment (tests/conftest.py), plus what these tests need."""
    monkeypatch.setenv("CALLBRIDGE_PUBLIC_URL", "https://cb.example.com")


def test_cli_connect_zoom_prints_the_url_to_paste(runtime, cli_env, monkeypatch):
    from callbridge.cli.main import app

    org = make_organization(runtime, "alpha")
    monkeypatch.setenv("MY_ZOOM_SECRET", SECRET)
    monkeypatch.setenv("MY_ZOOM_CLIENT_SECRET", "client-secret-1")
    result = CliRunner().invoke(app, ["connect", "zoom", "--org", "alpha",
                                      "--secret-token-env", "MY_ZOOM_SECRET",
                                      "--client-id", "cid", "--client-secret-env", "MY_ZOOM_CLIENT_SECRET",
                                      "--account-id", "acc1"])
    assert result.exit_code == 0, result.output
    [row] = _rows(runtime, org.id, WebhookSubscription)
    assert f"https://cb.example.com/webhooks/zoom/{row.route_key}" in result.output
    assert "Validate" in result.output
    assert SECRET not in result.output and "client-secret-1" not in result.output
    with runtime.db.tenant(org.id) as s:
        assert runtime.vault.get_text(s, PURPOSE, WEBHOOK_SECRET) == SECRET
        assert json.loads(runtime.vault.get_text(s, PURPOSE, OAUTH))["client_secret"] == "client-secret-1"
    # the default variable; a reconnect keeps the URL
    monkeypatch.setenv("CALLBRIDGE_ZOOM_SECRET_TOKEN", OTHER_SECRET)
    again = CliRunner().invoke(app, ["connect", "zoom", "--org", "alpha"])
    assert again.exit_code == 0, again.output
    assert "Reconnected" in again.output and row.route_key in again.output
    with runtime.db.tenant(org.id) as s:
        assert runtime.vault.get_text(s, PURPOSE, WEBHOOK_SECRET) == OTHER_SECRET


def test_cli_connect_zoom_names_an_unset_variable(runtime, cli_env, monkeypatch):
    from callbridge.cli.main import app

    org = make_organization(runtime, "alpha")
    monkeypatch.delenv("NO_SUCH_ZOOM_VAR", raising=False)
    result = CliRunner().invoke(app, ["connect", "zoom", "--org", "alpha",
                                      "--secret-token-env", "NO_SUCH_ZOOM_VAR"])
    assert result.exit_code == 2
    assert "NO_SUCH_ZOOM_VAR" in result.output
    assert _rows(runtime, org.id, WebhookSubscription) == []


def test_the_ringcentral_sweep_offers_no_sync_to_a_zoom_endpoint(runtime):
    """A Zoom endpoint is a webhook_subscriptions row too; RingCentral's catch-up sync must skip it."""
    from callbridge.jobs.runner import run_due
    from callbridge.pipelines.ingest.names import SWEEP, SYNC

    org = make_organization(runtime, "alpha")
    _connect(runtime, org.id)
    runtime.submit(None, SWEEP, {}, key="sweep-now")
    report = run_due(runtime, worker_id="w1", limit=100)
    assert report.dead == []
    with runtime.db.tenant(org.id) as session:
        assert session.scalars(select(Job).where(Job.kind == SYNC)).all() == []
