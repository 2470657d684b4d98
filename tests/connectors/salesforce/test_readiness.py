"""The readiness kit, one test per checklist item, for Salesforce against its sandbox."""

from callbridge.connectors.conformance import readiness_suite
from tests.connectors.conftest import harness_for

TestSalesforceReadiness = readiness_suite(lambda: harness_for("salesforce"))
