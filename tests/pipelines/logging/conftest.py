"""Fixtures of the logging tests: settings with a public URL (recording links), an organization."""

from __future__ import annotations

import pytest

from callbridge.config import Settings
from tests.factories import OrgFixture, make_organization


@pytest.fixture
def settings(backend) -> Settings:
    return backend.settings(public_url="https://callbridge.test")


@pytest.fixture
def org(runtime) -> OrgFixture:
    return make_organization(runtime, "alpha")
