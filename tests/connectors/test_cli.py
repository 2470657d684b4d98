"""``callbridge connector list`` and ``check NAME --sandbox``."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from callbridge.cli.connector import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    from callbridge.cli import common

    monkeypatch.setattr(common.console, "width", 240)
    monkeypatch.setattr(common.err_console, "width", 240)


def test_list_shows_connectors_with_capabilities() -> None:
    result = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "hubspot" in result.output and "salesforce" in result.output
    assert "call_disposition" in result.output


@pytest.mark.parametrize("name", ["hubspot", "salesforce"])
def test_check_in_the_sandbox_prints_one_line_per_item_and_passes(name: str) -> None:
    result = runner.invoke(app, ["check", name, "--sandbox"], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    assert result.output.count(" pass ") == 7
    assert "Can the connector avoid overwriting CRM-side edits?" in result.output


def test_check_fails_with_exit_code_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from callbridge.connectors import conformance

    async def broken(h: conformance.Harness) -> str:
        raise AssertionError("phone lookup found nobody")

    checks = tuple(conformance.Check(c.id, c.title, broken if c.id == "phone" else c.run)
                   for c in conformance.CHECKS)
    monkeypatch.setattr(conformance, "CHECKS", checks)
    result = runner.invoke(app, ["check", "hubspot"], env={"COLUMNS": "220"})
    assert result.exit_code == 1
    assert "fail" in result.output and "phone lookup found nobody" in result.output


def test_unknown_connector_exits_two() -> None:
    result = runner.invoke(app, ["check", "nosuchcrm"])
    assert result.exit_code == 2
