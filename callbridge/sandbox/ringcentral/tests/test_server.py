"""The sandbox as a real server: the README's curl example works as written."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest

from callbridge.sandbox.ringcentral.cli import build_app
from callbridge.sandbox.ringcentral.server import running_server

README = Path(__file__).resolve().parents[4] / "README.md"  # the project README


def _example() -> str:
    text = README.read_text()
    block = text.split("<!-- curl-example -->", 1)[1].split("<!-- /curl-example -->", 1)[0]
    match = re.search(r"```bash\n(.*?)```", block, re.S)
    assert match, "README lost its curl example"
    return match.group(1)


def test_readme_curl_against_a_real_server() -> None:
    script = _example()
    assert "http://127.0.0.1:8090" in script
    app = build_app(seed=None, auto_deliver_seconds=None)
    with running_server(app) as url:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c",  # noqa: S603, S607 (our README)
                               script.replace("http://127.0.0.1:8090", url)],
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert int(out.splitlines()[0]) > 0  # calls generated
    assert "HTTP/1.1 200 OK" in out and "x-rate-limit-group: heavy" in out.lower()
    assert '"paging"' in out and '"legs"' in out


def test_connection_reset_on_a_real_server() -> None:
    app = build_app(seed=None, auto_deliver_seconds=None)
    app.state.sandbox.faults.configure({"reset_next": 1})
    with running_server(app) as url, httpx.Client(base_url=url, timeout=5) as client:
        with pytest.raises(httpx.HTTPError):
            client.get("/restapi/v1.0/account/~/call-log")
        assert client.get("/restapi/v1.0/account/~/call-log").status_code == 401
