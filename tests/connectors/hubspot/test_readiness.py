"""The readiness kit, one test per checklist item, for HubSpot against its sandbox."""

from callbridge.connectors.conformance import readiness_suite
from tests.connectors.conftest import harness_for

TestHubSpotReadiness = readiness_suite(lambda: harness_for("hubspot"))
