"""Test isolation on shared services.

Each pytest session (each xdist worker) gets a database of its own — a SQLite file, or a
PostgreSQL database with a unique name created here and dropped at the end — and a Redis key
prefix of its own, cleared at the end. Between tests every table is emptied. Nothing depends on
what a service held before the run.

Backends: ``CALLBRIDGE_TEST_BACKEND=sqlite`` (default) or ``postgresql`` (PostgreSQL for the
database, Redis for jobs and rate budgets); ``CALLBRIDGE_TEST_PG_URL`` and ``CALLBRIDGE_TEST_REDIS_URL``
point at the servers.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from callbridge.clock import VirtualClock
from callbridge.config import Settings, load_settings
from callbridge.db import migrate
from callbridge.db.base import Base
from callbridge.runtime import Runtime

BACKEND = os.environ.get("CALLBRIDGE_TEST_BACKEND", "sqlite")
PG_ADMIN_URL = os.environ.get("CALLBRIDGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CALLBRIDGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def pytest_report_header(config: pytest.Config) -> str:
    if BACKEND == "postgresql":
        return f"callbridge backend: PostgreSQL ({make_url(PG_ADMIN_URL).host}) + Redis jobs"
    return "callbridge backend: SQLite + SqliteHuey"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that use storage fixtures are marked ``storage``: they run on every backend."""
    storage_fixtures = {"backend", "runtime", "settings", "make_org", "client", "db"}
    for item in items:
        if storage_fixtures & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.storage)


@dataclass
class Backend:
    """The database and job broker this test session owns."""

    name: str
    database_url: str
    jobs_url: str
    jobs_name: str
    root: Path

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": self.root / "data",
            "database_url": self.database_url,
            "jobs_url": self.jobs_url,
            "jobs_name": self.jobs_name,
            "keys": TEST_KEYS,
        }
        if self.name == "postgresql":  # rate budgets in Redis too (keys '<jobs_name>:ratelimit:…')
            values["ratelimit_url"] = self.jobs_url
        values.update(overrides)
        return load_settings(**values)


TEST_KEYS = "t1:" + base64.b64encode(secrets.token_bytes(32)).decode()


def _unique(prefix: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{prefix}_{worker}_{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    root = tmp_path_factory.mktemp("backend")
    if BACKEND == "sqlite":
        db_path = root / "callbridge.db"
        b = Backend(
            "sqlite", f"sqlite:///{db_path}", f"sqlite:///{root / 'jobs.db'}", _unique("cbtest"), root
        )
        migrate.upgrade(b.database_url)
        yield b
        return
    if BACKEND != "postgresql":
        raise pytest.UsageError(f"CALLBRIDGE_TEST_BACKEND={BACKEND!r}: use sqlite or postgresql")
    name = _unique("cbtest").lower()
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    b = Backend("postgresql", url, REDIS_URL, name, root)
    try:
        migrate.upgrade(b.database_url)
        yield b
    finally:
        _clear_redis(name)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _clear_redis(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"*{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def empty_all_tables(runtime: Runtime) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with runtime.db.engine.begin() as conn:
        if runtime.db.dialect == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def settings(backend: Backend) -> Settings:
    return backend.settings()


@pytest.fixture
def runtime(settings: Settings, clock: VirtualClock) -> Iterator[Runtime]:
    rt = Runtime(settings, clock=clock)
    try:
        yield rt
    finally:
        empty_all_tables(rt)
        rt.broker.flush()
        rt.close()


@pytest.fixture
def shared_fixtures() -> Path:
    """``../shared/fixtures/real``: skipped with a reason when absent, a failure in CI."""
    path = SHARED / "fixtures" / "real"
    if not path.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing in CI: the vendor samples must sit beside the project")
        pytest.skip(f"vendor samples not found at {path}")
    return path


@pytest.fixture
def cli_env(backend, monkeypatch):
    """Environment for the CLI run in-process (CliRunner) against this test's backend."""
    from callbridge.cli import common

    monkeypatch.setattr(common.console, "width", 400)
    monkeypatch.setattr(common.err_console, "width", 400)
    for name, value in {
        "CALLBRIDGE_DATABASE_URL": backend.database_url,
        "CALLBRIDGE_JOBS_URL": backend.jobs_url,
        "CALLBRIDGE_JOBS_NAME": backend.jobs_name,
        "CALLBRIDGE_KEYS": TEST_KEYS,
        "CALLBRIDGE_DATA_DIR": str(backend.root / "data"),
        "CALLBRIDGE_CONFIG_FILE": "/nonexistent.toml",
        "CALLBRIDGE_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)
