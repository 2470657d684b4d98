"""Shared helpers of the archive tests: run the archiver in-process, run the CLI in-process."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner, Result

import callbridge.cli.archive as cli_archive
import callbridge.pipelines.archive.service as service
from callbridge.clock import VirtualClock
from callbridge.pipelines.archive.run import Archiver
from callbridge.pipelines.archive.storage import ObjectStore
from callbridge.runtime import Runtime
from tests.platforms.ringcentral.support import open_rc, virtual_sleep


def archive(
    runtime: Runtime, org_id: str, app: FastAPI, clock: VirtualClock, store: ObjectStore, **kw: Any
) -> Any:
    async def go() -> Any:
        rc = open_rc(runtime, org_id, app, clock)
        try:
            return await Archiver(runtime, org_id, rc, store, sleep=virtual_sleep(clock)).run(**kw)
        finally:
            await rc.aclose()

    return asyncio.run(go())


def in_process(monkeypatch: pytest.MonkeyPatch, runtime: Runtime, app: FastAPI, clock: VirtualClock) -> None:
    """The CLI and the worker jobs use this runtime and reach the sandbox app in-process."""
    real_open = service.open_ringcentral

    def open_in_process(rt: Runtime, org_id: str, **kw: Any) -> Any:
        kw["transport"] = httpx.ASGITransport(app=app)
        kw["sleep"] = virtual_sleep(clock)
        return real_open(rt, org_id, **kw)

    monkeypatch.setattr(service, "open_ringcentral", open_in_process)
    monkeypatch.setattr(cli_archive, "runtime", lambda: runtime)


def cli(*args: str) -> Result:
    return CliRunner().invoke(cli_archive.app, list(args), catch_exceptions=True, terminal_width=200)


def text_of(result: Result) -> str:
    return " ".join(result.output.split())
