"""Storage: engine, scoped sessions, models and migrations."""

from callbridge.db.session import Database, Scope, scope_of

__all__ = ["Database", "Scope", "scope_of"]
