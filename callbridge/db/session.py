"""Sessions that know their scope: one tenant, the audited system scope, or anonymous.

Every ORM statement is checked before it runs: a tenant session sees only its organization's
rows (a loader criterion added to every query, relationship loads included); an anonymous
session may not touch a tenant-owned table at all (except a table built for lookups before the
tenant is known, like API tokens); only the system scope, opened with a reason, sees across
tenants. Writes are checked at flush: a row can only be written into the session's tenant.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from callbridge.db.base import TenantOwned
from callbridge.db.engine import make_engine
from callbridge.db.models import Organization
from callbridge.errors import TenantScopeMissing

__all__ = ["Database", "Scope", "scope_of"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scope:
    """Who a session acts for: one organization, the system (with a reason), or nobody yet."""

    organization_id: str | None = None
    system_reason: str | None = None

    @property
    def is_system(self) -> bool:
        return self.system_reason is not None


ANONYMOUS = Scope()


def scope_of(session: Session) -> Scope:
    scope = session.info.get("scope")
    return scope if isinstance(scope, Scope) else ANONYMOUS


class Database:
    """The engine and the three ways to open a session."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, class_=ScopedSession)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def tenant(self, organization_id: str) -> Iterator[Session]:
        """A transaction that can see and change only ``organization_id``'s rows."""
        if not organization_id:
            raise TenantScopeMissing("a tenant session needs an organization id")
        with self._open(Scope(organization_id=organization_id)) as session:
            yield session

    @contextmanager
    def system(self, reason: str) -> Iterator[Session]:
        """A transaction across tenants; only jobs/ and webhook routing may open one."""
        if not reason.strip():
            raise TenantScopeMissing("the system scope needs a reason")
        with self._open(Scope(system_reason=reason)) as session:
            yield session

    @contextmanager
    def anonymous(self) -> Iterator[Session]:
        """A transaction before any tenant is known: global tables and token lookups only."""
        with self._open(ANONYMOUS) as session:
            yield session

    @contextmanager
    def _open(self, scope: Scope) -> Iterator[Session]:
        session = self._sessions(info={"scope": scope})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


class ScopedSession(Session):
    """A Session whose statements are checked against its Scope (listeners below)."""


@event.listens_for(ScopedSession, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    scope = scope_of(state.session)
    if scope.is_system or not (state.is_select or state.is_update or state.is_delete):
        return
    mappers = state.all_mappers
    owned = [m.class_ for m in mappers if issubclass(m.class_, TenantOwned)]
    if scope.organization_id is None:
        blocked = [c.__name__ for c in owned if not c.__anonymous_lookup__]
        if blocked or ((state.is_update or state.is_delete) and owned):
            raise TenantScopeMissing(
                f"{', '.join(blocked or [c.__name__ for c in owned])} read without a tenant",
                hint="open the session with Database.tenant(organization_id)",
            )
        return
    tenant = scope.organization_id
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.organization_id == tenant,
            include_aliases=True,
            track_closure_variables=False,
        ),
        with_loader_criteria(
            Organization,
            lambda cls: cls.id == tenant,
            include_aliases=True,
            track_closure_variables=False,
        ),
    )


@event.listens_for(ScopedSession, "before_flush")
def _scope_writes(session: Session, _context: Any, _instances: Any) -> None:
    scope = scope_of(session)
    if scope.is_system:
        return
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, Organization):
            if obj in session.new:
                continue  # creating a tenant happens before any tenant scope exists
            if obj.id != scope.organization_id:
                raise TenantScopeMissing("an organization changed outside its own scope")
            continue
        if not isinstance(obj, TenantOwned):
            continue
        if scope.organization_id is None:
            raise TenantScopeMissing(
                f"{type(obj).__name__} written without a tenant",
                hint="open the session with Database.tenant(organization_id)",
            )
        if obj.organization_id is None:
            obj.organization_id = scope.organization_id
        elif obj.organization_id != scope.organization_id:
            raise TenantScopeMissing(f"{type(obj).__name__} written into another organization")
