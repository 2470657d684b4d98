"""Simulators of the platforms and CRMs callbridge talks to (demo, tests, benchmarks)."""
