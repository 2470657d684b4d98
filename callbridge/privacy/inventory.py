"""The data inventory: every table and column, what it holds, and how long it is kept.

Built from the models (each column's ``inventory`` class, each model's docstring) and the
retention settings, so the published inventory cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from callbridge.config import Settings
from callbridge.db.base import INVENTORY_CLASSES, Base, TenantOwned

__all__ = ["TableEntry", "data_inventory", "retention_of"]


@dataclass(frozen=True)
class TableEntry:
    table: str
    purpose: str
    tenant_owned: bool
    retention: str
    columns: tuple[tuple[str, str], ...]  # (column, inventory class)

    @property
    def personal_columns(self) -> list[str]:
        return [c for c, kind in self.columns if kind == "personal"]


def retention_of(table: str, settings: Settings) -> str:
    """How long rows of ``table`` are kept, in words, with the setting that changes it."""
    rules = {
        "support_sessions": f"{settings.support_session_days} days (CALLBRIDGE_SUPPORT_SESSION_DAYS)",
        "jobs": f"{settings.retention_finished_jobs_days} days after they finish "
        "(CALLBRIDGE_RETENTION_FINISHED_JOBS_DAYS); failed ones until replayed",
        "applied_effects": f"{settings.retention_finished_jobs_days} days (with their jobs)",
        "audit_log": f"{settings.retention_audit_days} days (CALLBRIDGE_RETENTION_AUDIT_DAYS)",
        "deletion_receipts": "for good (they hold no personal data)",
        "virtual_clock": "n/a (tests and benchmarks only)",
        "users": "while the person is a member of at least one organization",
    }
    return rules.get(table, "until the organization is deleted")


def data_inventory(settings: Settings) -> list[TableEntry]:
    entries = []
    for mapper in sorted(Base.registry.mappers, key=lambda m: m.local_table.name):
        table = mapper.local_table
        doc = " ".join((mapper.class_.__doc__ or "").strip().split("\n\n")[0].split())
        entries.append(
            TableEntry(
                table=table.name,
                purpose=doc.replace("``", "`"),
                tenant_owned=issubclass(mapper.class_, TenantOwned),
                retention=retention_of(table.name, settings),
                columns=tuple((c.name, str(c.info.get("inventory", "?"))) for c in table.columns),
            )
        )
    return entries


CLASSES = INVENTORY_CLASSES
