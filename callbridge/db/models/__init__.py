"""All tables; importing this module registers every model on ``Base.metadata``."""

from callbridge.db.models.audit import AuditEntry
from callbridge.db.models.clock import VirtualClockState
from callbridge.db.models.jobs import AppliedEffect, DeadLetter, Job, JobStatus
from callbridge.db.models.tenancy import ApiToken, Membership, Organization, Role, User
from callbridge.db.models.vault import SealedSecret

__all__ = [
    "ApiToken",
    "AppliedEffect",
    "AuditEntry",
    "DeadLetter",
    "Job",
    "JobStatus",
    "Membership",
    "Organization",
    "Role",
    "SealedSecret",
    "User",
    "VirtualClockState",
]
