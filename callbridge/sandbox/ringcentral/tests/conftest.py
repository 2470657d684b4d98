"""Fixtures: a sandbox on a virtual clock, an authorised client, the published schemas, and a
real local HTTP receiver for webhooks."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.ringcentral import RingCentralSandboxConfig, create_app, generate
from callbridge.sandbox.ringcentral.state import SandboxState

from .schema_check import SchemaValidator

REAL = Path(__file__).resolve().parents[4] / ".." / "shared" / "fixtures" / "real"
HISTORY_START = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 12, 18, 0, tzinfo=UTC)
ACC = "/restapi/v1.0/account/~"


@pytest.fixture(scope="session")
def validator() -> SchemaValidator:
    path = REAL / "rc_schemas.json"
    if not path.exists():
        reason = f"RingCentral schemas not found at {path.resolve()} (../shared/fixtures/real)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; they must be present in CI")
        pytest.skip(reason)
    return SchemaValidator(json.loads(path.read_text()))


def assert_valid(validator: SchemaValidator, value: Any, schema: str) -> None:
    errors = validator.validate(value, schema)
    assert not errors, f"{schema}: " + "\n".join(errors[:15])


@dataclass
class Sandbox:
    app: FastAPI
    client: TestClient
    clock: VirtualClock
    state: SandboxState
    headers: dict[str, str] = field(default_factory=dict)

    def login(self, **extra: str) -> dict[str, Any]:
        cfg = self.state.config.auth
        resp = self.client.post(
            "/restapi/oauth/token", auth=(cfg.client_id, cfg.client_secret),
            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                  "assertion": cfg.jwt, **extra})
        assert resp.status_code == 200, resp.text
        token = resp.json()
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}
        return dict(token)

    def get(self, path: str, **kw: Any) -> Any:
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.get(path, headers=headers, **kw)


def build(config: RingCentralSandboxConfig | None = None, *, seed: int = 7,
          generate_data: bool = True, **gen: Any) -> Sandbox:
    cfg = config or RingCentralSandboxConfig(recording_bytes=4096)
    clock = VirtualClock(NOW)
    app = create_app(cfg, clock)
    state: SandboxState = app.state.sandbox
    if generate_data:
        args = {"extensions": 4, "days": 7, "start": HISTORY_START, "calls_per_day": 30,
                "recording_bytes": cfg.recording_bytes, **gen}
        generate(state, seed=seed, **args)
    client = TestClient(app, follow_redirects=False)
    return Sandbox(app, client, clock, state)


@pytest.fixture
def sbx() -> Iterator[Sandbox]:
    sandbox = build()
    sandbox.login()
    yield sandbox
    sandbox.client.close()


class _Handler(BaseHTTPRequestHandler):
    server: _ReceiverServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner = self.server.owner
        with owner.lock:
            owner.requests.append({"headers": {k: v for k, v in self.headers.items()},
                                   "body": json.loads(body) if body else None})
            status = owner.status
            owner.cond.notify_all()
        self.send_response(status)
        token = self.headers.get("Validation-Token")
        if token and owner.echo_validation:
            self.send_header("Validation-Token", token)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


class _ReceiverServer(ThreadingHTTPServer):
    owner: Receiver


class Receiver:
    """A real HTTP server on 127.0.0.1 (free port) recording what it receives."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.echo_validation = True
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.server = _ReceiverServer(("127.0.0.1", 0), _Handler)
        self.server.owner = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def deliveries(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["body"] is not None]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.close()
