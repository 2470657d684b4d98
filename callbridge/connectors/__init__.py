"""CRM connectors: the contract in base.py, one folder per CRM, declarative proxy manifests."""
