"""The readiness kit, one test per checklist item, for Pipedrive against its sandbox."""

from callbridge.connectors.conformance import readiness_suite
from tests.connectors.conftest import harness_for

_Suite = readiness_suite(lambda: harness_for("pipedrive"))


class TestPipedriveReadiness(_Suite):  # type: ignore[misc, valid-type]
    """Calls are activities, message logs are notes (found again through ``GET /v1/notes``)."""
