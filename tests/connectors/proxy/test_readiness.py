"""The readiness kit for both built-in declarative connectors against the generic CRM sandbox."""

import callbridge.connectors.proxy  # noqa: F401 - registers the built-in manifests
from callbridge.connectors.conformance import readiness_suite
from tests.connectors.conftest import harness_for

TestGenericRestReadiness = readiness_suite(lambda: harness_for("generic_rest"))
TestGenericAppConnectReadiness = readiness_suite(lambda: harness_for("generic_appconnect"))
