"""Migrations: up from empty, down to nothing, and models and migrations agree (on both databases)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from callbridge.db import migrate
from callbridge.db.base import Base
from callbridge.db.engine import make_engine
from tests.conftest import PG_ADMIN_URL


@pytest.fixture
def empty_database(backend) -> Iterator[str]:
    """A database of its own, empty, dropped afterwards."""
    if backend.name == "sqlite":
        yield f"sqlite:///{backend.root / f'mig_{secrets.token_hex(4)}.db'}"
        return
    name = f"{backend.jobs_name}_mig_{secrets.token_hex(3)}".lower()
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_from_empty_then_downgrade_to_nothing(empty_database):
    migrate.upgrade(empty_database)
    assert _tables(empty_database) == set(Base.metadata.tables)
    engine = make_engine(empty_database)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
    migrate.downgrade(empty_database, "base")
    assert _tables(empty_database) == set()
    migrate.upgrade(empty_database)  # and back up again: downgrade left nothing behind
    assert _tables(empty_database) == set(Base.metadata.tables)


def test_models_and_migrations_agree(empty_database):
    migrate.upgrade(empty_database)
    assert migrate.pending_diff(empty_database) == []


def test_the_check_notices_a_model_the_migrations_lack(empty_database):
    migrate.upgrade(empty_database)
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE dead_letters"))
    engine.dispose()
    diff = migrate.pending_diff(empty_database)
    assert any(d[0] == "add_table" and d[1].name == "dead_letters" for d in diff)
