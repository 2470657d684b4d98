"""Rate limits on the virtual clock: exact limits per window per group, 429s, the penalty."""

from __future__ import annotations

import pytest

from callbridge.sandbox.ringcentral import RingCentralSandboxConfig
from callbridge.sandbox.ringcentral.config import RateGroupLimit

from .conftest import ACC, Sandbox, build

CALL_LOG = f"{ACC}/call-log"
RATE_BODY = {"errorCode": "CMN-301", "message": "Request rate exceeded",
             "errors": [{"errorCode": "CMN-301", "message": "Request rate exceeded"}]}


@pytest.mark.parametrize(("path", "group", "limit"), [
    (CALL_LOG, "heavy", 10),
    (f"{ACC}/extension", "medium", 40),
    (f"{ACC}/extension/~/message-store", "light", 50),
])
def test_exactly_the_limit_then_429(sbx: Sandbox, path: str, group: str, limit: int) -> None:
    for i in range(limit):
        resp = sbx.get(path)
        assert resp.status_code == 200, (i, resp.text)
        assert resp.headers["x-rate-limit-group"] == group
        assert resp.headers["x-rate-limit-limit"] == str(limit)
        assert resp.headers["x-rate-limit-remaining"] == str(limit - i - 1)
        assert resp.headers["x-rate-limit-window"] == "60"
    refused = sbx.get(path)
    assert refused.status_code == 429
    assert refused.json() == RATE_BODY
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["x-rate-limit-group"] == group
    assert refused.headers["x-rate-limit-remaining"] == "0"


def test_groups_are_counted_separately(sbx: Sandbox) -> None:
    for _ in range(10):
        assert sbx.get(CALL_LOG).status_code == 200
    assert sbx.get(CALL_LOG).status_code == 429
    assert sbx.get(f"{ACC}/extension/~/message-store").status_code == 200


def test_sliding_window(sbx: Sandbox) -> None:
    for _ in range(5):
        assert sbx.get(CALL_LOG).status_code == 200
    sbx.clock.advance(30)
    for _ in range(5):
        assert sbx.get(CALL_LOG).status_code == 200
    sbx.clock.advance(29.9)  # the first five are 59.9 s old: still in the window
    assert sbx.state.limiter.check("probe", "probe", "Heavy").allowed  # other users unaffected
    sbx.clock.advance(0.1)  # now exactly 60 s: the first five leave the window
    for _ in range(5):
        assert sbx.get(CALL_LOG).status_code == 200
    assert sbx.get(CALL_LOG).status_code == 429


def test_penalty_restarts_when_client_keeps_calling(sbx: Sandbox) -> None:
    for _ in range(10):
        sbx.get(CALL_LOG)
    assert sbx.get(CALL_LOG).status_code == 429  # penalty until t+60
    sbx.clock.advance(50)
    assert sbx.get(CALL_LOG).status_code == 429  # calling during the penalty restarts it
    sbx.clock.advance(50)  # 100 s after the first 429 but only 50 s after the restart
    still = sbx.get(CALL_LOG)
    assert still.status_code == 429 and still.headers["retry-after"] == "60"
    sbx.clock.advance(60)  # a full quiet penalty interval
    ok = sbx.get(CALL_LOG)
    assert ok.status_code == 200 and ok.headers["x-rate-limit-remaining"] == "9"


def test_waiting_out_the_penalty_without_calling(sbx: Sandbox) -> None:
    for _ in range(10):
        sbx.get(CALL_LOG)
    assert sbx.get(CALL_LOG).status_code == 429
    sbx.clock.advance(59.999)
    assert sbx.state.limiter.check(sbx.state.config.auth.client_id, "nobody", "Heavy").allowed
    sbx.clock.advance(0.001)
    assert sbx.get(CALL_LOG).status_code == 200


def test_auth_group_on_token_endpoint() -> None:
    sandbox = build(generate_data=True, days=1)
    for _ in range(5):
        sandbox.login()
    cfg = sandbox.state.config.auth
    refused = sandbox.client.post(
        "/restapi/oauth/token", auth=(cfg.client_id, cfg.client_secret),
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": cfg.jwt})
    assert refused.status_code == 429
    assert refused.headers["x-rate-limit-group"] == "auth"
    assert refused.headers["x-rate-limit-limit"] == "5"
    assert "retry-after" in refused.headers


def test_limits_are_configurable_for_bigger_plans() -> None:
    cfg = RingCentralSandboxConfig(recording_bytes=1024)
    cfg.rate_limits.groups["Heavy"] = RateGroupLimit(limit=3, window_seconds=10,
                                                     penalty_seconds=5)
    cfg.rate_limits.group_header_style = "title"
    sandbox = build(cfg, days=1)
    sandbox.login()
    assert [sandbox.get(CALL_LOG).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert sandbox.get(CALL_LOG).headers["x-rate-limit-group"] == "Heavy"
    sandbox.clock.advance(10)
    assert sandbox.get(CALL_LOG).status_code == 200
    resp = sandbox.client.put("/_sandbox/rate-limits",
                              json={"groups": {"Heavy": {"limit": 1000}}})
    assert resp.status_code == 200
    assert all(sandbox.get(CALL_LOG).status_code == 200 for _ in range(50))


def test_requests_are_logged_with_their_group(sbx: Sandbox) -> None:
    sbx.get(CALL_LOG)
    for _ in range(10):
        sbx.get(CALL_LOG)
    log = sbx.client.get("/_sandbox/requests", params={"path_contains": "/call-log"}).json()
    rows = log["records"]
    assert [r["status"] for r in rows].count(429) == 1
    assert all(r["group"] == "Heavy" and r["method"] == "GET" for r in rows)
