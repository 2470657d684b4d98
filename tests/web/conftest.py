import pytest
from fastapi.testclient import TestClient

from callbridge.web.app import create_app
from tests.factories import make_organization


@pytest.fixture
def app(runtime):
    return create_app(runtime)


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def alpha(runtime):
    return make_organization(runtime, "alpha")


@pytest.fixture
def bravo(runtime):
    return make_organization(runtime, "bravo")
