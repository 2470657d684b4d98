"""The data inventory: every table and column, what it holds, and how long it is kept.

Built from the models (each column's ``inventory`` class, each model's docstring) and the
retention settings, so the published inventory cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from callbridge.config import Settings
from callbridge.db.base import INVENTORY_CLASSES, Base, TenantOwned

__all__ = ["RetentionRule", "TableEntry", "data_inventory", "retention_of", "retention_policy"]

UNTIL_DELETED = "until the organization is deleted"


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


@dataclass(frozen=True)
class RetentionRule:
    """How long one type of data is kept, where, which setting changes it, and why."""

    data: str
    tables: tuple[str, ...]
    kept: str  # with this configuration's figures
    setting: str | None  # the environment variable, if any
    note: str = ""


def retention_policy(settings: Settings) -> list[RetentionRule]:
    """Every type of data callbridge keeps, with its retention; the purge enforces these hourly."""
    dead = settings.retention_dead_jobs_days
    archive = settings.retention_archive_days
    return [
        RetentionRule(
            "Communications metadata (parties, times, results) and their CRM logging bookkeeping",
            ("communications", "crm_activities"),
            f"{settings.retention_communications_days} days after the last change",
            "CALLBRIDGE_RETENTION_COMMUNICATIONS_DAYS",
            "The bookkeeping row is what makes logging exactly-once: an event about a purged "
            "communication would be logged again as a second CRM activity. In normal operation "
            "callbridge reads at most CALLBRIDGE_INGEST_INITIAL_HOURS (≤ 30 days) plus "
            "CALLBRIDGE_INGEST_LOOKBACK_MINUTES (≤ 7 days) back, hence a minimum of 60 days and a "
            "default of a year; after an outage longer than the retention the catch-up sync resumes "
            "from its cursor and could meet purged communications again, so keep it longer than any "
            "outage you expect. The CRM's own activities are the CRM's: callbridge never deletes them.",
        ),
        RetentionRule(
            "Raw webhook and poll bodies (inbox)",
            ("inbox_events",),
            f"body dropped once normalised; the event {settings.retention_inbox_days} days after "
            f"receipt; one never normalised (its job dead) {dead} days",
            "CALLBRIDGE_RETENTION_INBOX_DAYS",
            "The event row without its body is the delivery's dedupe key: a redelivery after it is "
            "gone is merged into the same communication again, which changes nothing.",
        ),
        RetentionRule(
            "Archived recordings and attachments (stored objects)",
            ("archived_objects",),
            f"{archive} days after the communication's day"
            if archive
            else "kept until an admin sets a retention",
            "CALLBRIDGE_RETENTION_ARCHIVE_DAYS",
            "When set, the purge deletes the stored object first and then its row (objects still "
            "being copied are left until they are stored). Keep it longer than the platform's own "
            "retention, or a re-run of the archive over an old window whose records changed at the "
            "platform may copy an object again.",
        ),
        RetentionRule(
            "Archive records (call log, legs, messages as the platform gave them) and archive cursors",
            ("archived_calls", "archived_call_legs", "archived_messages", "archive_cursors"),
            UNTIL_DELETED,
            None,
            "The company's own record (Decision 2); exported and deleted with the organization.",
        ),
        RetentionRule(
            "Summaries",
            (),
            "none stored",
            None,
            "callbridge stores no summaries yet: there is nothing to keep or purge.",
        ),
        RetentionRule(
            "Finished jobs and their payloads (ids only)",
            ("jobs", "applied_effects"),
            f"{settings.retention_finished_jobs_days} days after they finish; dead ones {dead} days "
            "after they died unless replayed",
            "CALLBRIDGE_RETENTION_FINISHED_JOBS_DAYS",
        ),
        RetentionRule(
            "Dead letters (jobs that used up their attempts)",
            ("dead_letters",),
            f"{dead} days after the job died, or with the job once it is replayed and done",
            "CALLBRIDGE_RETENTION_DEAD_JOBS_DAYS",
            "Long enough for an admin to read and replay them.",
        ),
        RetentionRule(
            "Audit entries",
            ("audit_log",),
            f"{settings.retention_audit_days} days",
            "CALLBRIDGE_RETENTION_AUDIT_DAYS",
            "Append-only: the application changes or deletes none except through this purge and the "
            "deletion of the organization.",
        ),
        RetentionRule(
            "Support sessions (diagnostic bundles)",
            ("support_sessions",),
            f"{settings.support_session_days} days",
            "CALLBRIDGE_SUPPORT_SESSION_DAYS",
        ),
        RetentionRule(
            "Logs",
            (),
            "not stored by callbridge",
            None,
            "callbridge writes its logs to standard error only, never to files or the database; how "
            "long they are kept is the setting of whatever collects them (journald, Docker, …). "
            "They hold no secrets and no transcripts.",
        ),
        RetentionRule(
            "Deletion receipts",
            ("deletion_receipts",),
            "for good (they hold no personal data)",
            None,
        ),
    ]


def retention_of(table: str, settings: Settings) -> str:
    """How long rows of ``table`` are kept, in words, with the setting that changes it."""
    for rule in retention_policy(settings):
        if table in rule.tables:
            return rule.kept + (f" ({rule.setting})" if rule.setting else "")
    rules = {
        "virtual_clock": "n/a (tests and benchmarks only)",
        "users": "while the person is a member of at least one organization",
    }
    return rules.get(table, UNTIL_DELETED)


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
