"""Helpers for the sandbox tests: real vendor samples, clocks, clients, the OAuth dance."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from callbridge.clock import VirtualClock
from callbridge.sandbox.crm._kit.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from callbridge.sandbox.crm._kit.pkce import challenge_for

__all__ = [
    "DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "REDIRECT_URI", "VERIFIER", "authorize_code",
    "client_for", "code_grant_form", "key_paths", "real_sample", "virtual_clock",
]

REPO_ROOT = Path(__file__).resolve().parents[4]
REAL_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "real"
REDIRECT_URI = "https://callbridge.test/oauth/callback/sandbox"
VERIFIER = "verifier-" + "x" * 48


def real_sample(name: str) -> Any:
    """A vendor sample from ``../shared/fixtures/real``; skip (or fail in CI) when absent."""
    path = REAL_FIXTURES / name
    if not path.exists():
        message = f"real vendor sample {path} is absent (../shared/fixtures/real not beside repo)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return json.loads(path.read_text(encoding="utf-8"))


def virtual_clock() -> VirtualClock:
    return VirtualClock()


def client_for(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False)


def authorize_code(client: TestClient, path: str, *, scope: str | None = None,
                   verifier: str = VERIFIER, extra: dict[str, str] | None = None) -> str:
    """Run the (auto-approving) authorize step with PKCE and return the code."""
    params = {"client_id": DEFAULT_CLIENT_ID, "redirect_uri": REDIRECT_URI,
              "response_type": "code", "state": "st-1",
              "code_challenge": challenge_for(verifier), "code_challenge_method": "S256"}
    if scope:
        params["scope"] = scope
    params.update(extra or {})
    answer = client.get(path, params=params)
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlparse(answer.headers["location"]).query)
    assert query["state"] == ["st-1"]
    return str(query["code"][0])


def code_grant_form(code: str, verifier: str = VERIFIER) -> dict[str, str]:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET,
            "code_verifier": verifier}


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value (list items collapse to ``[]``), for shape comparisons."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else key
            found.add(path)
            found |= key_paths(inner, path)
    elif isinstance(value, list):
        for item in value:
            found |= key_paths(item, f"{prefix}[]")
    return found
