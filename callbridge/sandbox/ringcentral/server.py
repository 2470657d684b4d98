"""Run a sandbox app as a real uvicorn server in a background thread (tests, bench, demos)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

__all__ = ["running_server"]


@contextlib.contextmanager
def running_server(app: FastAPI, host: str = "127.0.0.1", *,
                   startup_timeout: float = 10.0) -> Iterator[str]:
    """Serve `app` on a free port of `host`; yields the base URL, stops the server on exit."""
    config = uvicorn.Config(app, host=host, port=0, log_level="warning", access_log=False,
                            lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(int(startup_timeout / 0.01)):
        if server.started:
            started.set()
            break
        started.wait(0.01)
    if not server.started:
        server.should_exit = True
        raise RuntimeError(f"the sandbox server did not start within {startup_timeout} s")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
